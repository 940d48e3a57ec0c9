"""National (or provincial) injury estimates from a stratified sample of sentinel hospitals.

Modelled on NEISS (docs/risk-methods.md). Pure domain logic: no Django, no database.

Design: sentinel hospitals are the primary sampling units (PSUs), stratified by the size
of their emergency department and treated as sampled with replacement within strata. Each
case record carries a weight (the inverse of its hospital's selection probability). For a
domain (e.g. one product category × period × division):

    y_hi      = Σ weights of the domain's cases at hospital i of stratum h
                (0 for a participating hospital with no such case: it still counts)
    estimate  = Σ_h Σ_i y_hi
    variance  = Σ_h n_h / (n_h − 1) · Σ_i (y_hi − ȳ_h)²       n_h = hospitals in stratum h
    se        = √variance,  cv = se / estimate
    95 % CI   = estimate ± z·se  (z = 1.96)

A stratum with a single participating hospital has no within-stratum variation to measure;
it contributes 0 to the variance and is listed in ``single_hospital_strata`` so that the
understatement is visible. ``ci_low`` is the symmetric interval as NEISS publishes it (it
can be negative); ``ci_low_clipped`` is the same bound clipped at 0.

Reliability (NEISS rules, thresholds as parameters): an estimate is flagged when it rests
on fewer than ``min_cases`` cases, has a CV above ``max_cv``, or is below ``min_estimate``.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

Z95 = 1.96


class SurveyInputError(ValueError):
    """Hospitals or cases that the design cannot take."""


@dataclass(frozen=True)
class Estimate:
    estimate: float
    variance: float
    se: float
    cv: float | None              # None when the estimate is 0
    ci_low: float                 # estimate − z·se (symmetric, may be negative)
    ci_high: float
    ci_low_clipped: float         # max(0, ci_low)
    n_cases: int
    n_hospitals: int              # participating hospitals (the design's PSUs)
    n_hospitals_with_cases: int
    single_hospital_strata: tuple = ()
    flags: tuple[str, ...] = field(default=())
    reliable: bool = True


def flag_labels(*, min_cases=20, max_cv=0.33, min_estimate=1200):
    return (
        f"fewer than {min_cases:,} cases",
        f"CV above {max_cv * 100:g} %",
        f"below {min_estimate:,}",
    )


def _flags(n_cases, cv, estimate, *, min_cases, max_cv, min_estimate):
    few, high_cv, small = flag_labels(min_cases=min_cases, max_cv=max_cv, min_estimate=min_estimate)
    flags = []
    if n_cases < min_cases:
        flags.append(few)
    if cv is not None and cv > max_cv:
        flags.append(high_cv)
    if estimate < min_estimate:
        flags.append(small)
    return tuple(flags)


def _hospital_strata(hospitals: Iterable[Sequence]) -> dict:
    strata = {}
    for row in hospitals:
        try:
            hospital, stratum = row
        except (TypeError, ValueError):
            raise SurveyInputError(f"hospital {row!r}: expected (hospital id, stratum)") from None
        if strata.get(hospital, stratum) != stratum:
            raise SurveyInputError(f"hospital {hospital!r} is in two strata ({strata[hospital]!r}, {stratum!r})")
        strata[hospital] = stratum
    if not strata:
        raise SurveyInputError("no participating hospitals")
    return strata


def _check_weight(weight, where):
    try:
        w = float(weight)
    except (TypeError, ValueError):
        raise SurveyInputError(f"{where}: weight {weight!r} is not a number") from None
    if not math.isfinite(w) or w <= 0:
        raise SurveyInputError(f"{where}: weight {weight!r} must be a positive finite number")
    return w


def estimate(cases: Iterable[Sequence], hospitals: Iterable[Sequence], *, min_cases=20, max_cv=0.33,
             min_estimate=1200, z=Z95) -> Estimate:
    """Estimate for one domain.

    ``cases``: (hospital id, weight) of each case in the domain. ``hospitals``: (hospital id,
    stratum) of every participating sentinel hospital in the period, with or without cases.
    """
    strata = _hospital_strata(hospitals)
    totals = defaultdict(float)
    n_cases = 0
    for i, row in enumerate(cases, start=1):
        try:
            hospital, weight = row
        except (TypeError, ValueError):
            raise SurveyInputError(f"case {i}: expected (hospital id, weight)") from None
        if hospital not in strata:
            raise SurveyInputError(f"case {i}: hospital {hospital!r} is not a participating hospital")
        totals[hospital] += _check_weight(weight, f"case {i}")
        n_cases += 1
    by_stratum = defaultdict(list)
    for hospital, stratum in strata.items():
        by_stratum[stratum].append(totals.get(hospital, 0.0))
    variance = 0.0
    single = []
    for stratum, ys in by_stratum.items():
        n = len(ys)
        if n < 2:
            single.append(stratum)
            continue
        mean = math.fsum(ys) / n
        variance += n / (n - 1) * math.fsum((y - mean) ** 2 for y in ys)
    total = math.fsum(totals.values())
    return _result(total, variance, n_cases, len(strata), len(totals), tuple(sorted(single, key=str)),
                   min_cases=min_cases, max_cv=max_cv, min_estimate=min_estimate, z=z)


def _result(total, variance, n_cases, n_hospitals, n_with_cases, single, *, min_cases, max_cv, min_estimate, z):
    se = math.sqrt(variance)
    cv = se / total if total > 0 else None
    flags = _flags(n_cases, cv, total, min_cases=min_cases, max_cv=max_cv, min_estimate=min_estimate)
    return Estimate(
        estimate=total, variance=variance, se=se, cv=cv,
        ci_low=total - z * se, ci_high=total + z * se, ci_low_clipped=max(0.0, total - z * se),
        n_cases=n_cases, n_hospitals=n_hospitals, n_hospitals_with_cases=n_with_cases,
        single_hospital_strata=single, flags=flags, reliable=not flags,
    )


def estimates(rows, hospitals, by: Sequence[str] = ("category", "period", "division"), *,
              hospital: str = "hospital", weight: str = "weight", stratum: str = "stratum",
              min_cases=20, max_cv=0.33, min_estimate=1200, z=Z95) -> pd.DataFrame:
    """One estimate per group of ``by`` over many cases at once (pandas group-by).

    ``rows``: a DataFrame (or records) of cases with the ``hospital`` and ``weight`` columns
    and the ``by`` columns. ``hospitals``: a DataFrame (or records) of the participating
    hospitals with ``hospital`` and ``stratum`` columns and, where participation varies, any
    of the ``by`` columns (typically ``period``): a group's design is then the hospitals whose
    values in those columns match the group's. Only groups that have cases are returned.
    The result has the ``by`` columns and the fields of :class:`Estimate`.
    """
    by = list(by)
    cases = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows))
    hosp = hospitals if isinstance(hospitals, pd.DataFrame) else pd.DataFrame.from_records(list(hospitals))
    for name, frame, needed in (("rows", cases, by + [hospital, weight]), ("hospitals", hosp, [hospital, stratum])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise SurveyInputError(f"{name}: missing column(s) {', '.join(missing)}")
    if hosp.empty:
        raise SurveyInputError("no participating hospitals")
    shared = [c for c in by if c in hosp.columns]       # e.g. period
    hosp = hosp[shared + [hospital, stratum]].drop_duplicates()
    clash = hosp.groupby(shared + [hospital])[stratum].nunique()
    if (clash > 1).any():
        raise SurveyInputError(f"hospital {clash[clash > 1].index[0]!r} is in two strata")
    w = pd.to_numeric(cases[weight], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SurveyInputError(f"case {i + 1}: weight {cases[weight].iloc[i]!r} must be a positive finite number")
    cases = cases[by + [hospital]].assign(_w=w)

    # Per group × hospital totals, with each hospital's stratum from the design.
    per_h = cases.groupby(by + [hospital], sort=False, dropna=False).agg(y=("_w", "sum"), n=("_w", "size")).reset_index()
    per_h = per_h.merge(hosp, on=shared + [hospital], how="left")
    if per_h[stratum].isna().any():
        r = per_h[per_h[stratum].isna()].iloc[0]
        raise SurveyInputError(f"hospital {r[hospital]!r} has cases in group "
                               f"{tuple(r[c] for c in by)!r} but is not a participating hospital there")

    # n_h: participating hospitals per stratum (per shared key), zero-case hospitals included.
    n_h = hosp.groupby(shared + [stratum], sort=False).size().rename("n_h").reset_index()
    groups = per_h[by].drop_duplicates()
    design = groups.merge(n_h, on=shared, how="inner") if shared else groups.merge(n_h, how="cross")
    sums = per_h.groupby(by + [stratum], sort=False, dropna=False)["y"].sum().rename("sum_y").reset_index()
    design = design.merge(sums, on=by + [stratum], how="left").fillna({"sum_y": 0.0})
    design["mean"] = design["sum_y"] / design["n_h"]
    # Σ_i (y_hi − ȳ_h)² = Σ over hospitals with cases of (y − ȳ)² + (hospitals without cases)·ȳ².
    dev = per_h.merge(design[by + [stratum, "mean"]], on=by + [stratum], how="left")
    dev["d2"] = (dev["y"] - dev["mean"]) ** 2
    dev_sum = dev.groupby(by + [stratum], sort=False, dropna=False).agg(d2=("d2", "sum"), m=("y", "size")).reset_index()
    design = design.merge(dev_sum, on=by + [stratum], how="left").fillna({"d2": 0.0, "m": 0})
    design["ss"] = design["d2"] + (design["n_h"] - design["m"]) * design["mean"] ** 2
    nh = design["n_h"].to_numpy(dtype=float)
    design["var"] = np.where(nh > 1, nh / np.maximum(nh - 1, 1) * design["ss"], 0.0)
    design["_single"] = design[stratum].astype(object).where(nh < 2)

    out = design.groupby(by, sort=False, dropna=False).agg(
        variance=("var", "sum"), n_hospitals=("n_h", "sum"),
        single_hospital_strata=("_single", lambda s: tuple(sorted(s.dropna(), key=str))),
    ).reset_index()
    counts = per_h.groupby(by, sort=False, dropna=False).agg(
        estimate=("y", "sum"), n_cases=("n", "sum"), n_hospitals_with_cases=(hospital, "size")).reset_index()
    out = counts.merge(out, on=by, how="left")
    se = np.sqrt(out["variance"].to_numpy(dtype=float))
    est = out["estimate"].to_numpy(dtype=float)
    out["se"] = se
    out["cv"] = np.where(est > 0, se / np.where(est > 0, est, 1.0), np.nan)
    out["ci_low"] = est - z * se
    out["ci_high"] = est + z * se
    out["ci_low_clipped"] = np.maximum(0.0, est - z * se)
    few, high_cv, small = flag_labels(min_cases=min_cases, max_cv=max_cv, min_estimate=min_estimate)
    f_few = out["n_cases"].to_numpy() < min_cases
    f_cv = np.nan_to_num(out["cv"].to_numpy(dtype=float), nan=0.0) > max_cv
    f_small = est < min_estimate
    out["flags"] = [tuple(label for label, on in ((few, a), (high_cv, b), (small, c)) if on)
                    for a, b, c in zip(f_few, f_cv, f_small)]
    out["reliable"] = ~(f_few | f_cv | f_small)
    out["n_cases"] = out["n_cases"].astype(int)
    out["n_hospitals"] = out["n_hospitals"].astype(int)
    out["n_hospitals_with_cases"] = out["n_hospitals_with_cases"].astype(int)
    columns = by + ["estimate", "variance", "se", "cv", "ci_low", "ci_high", "ci_low_clipped", "n_cases",
                    "n_hospitals", "n_hospitals_with_cases", "single_hospital_strata", "flags", "reliable"]
    return out[columns].sort_values(by, kind="stable").reset_index(drop=True)
