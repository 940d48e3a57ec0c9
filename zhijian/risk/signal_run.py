"""Signal runs: weekly counts (one Ibis definition, ``analytics.signal_counts``) through the
detection methods (``analytics.signals``) of every active ``SignalDefinition``.

A run snapshots the counted records to Parquet, counts them on the chosen engine (DuckDB by
default, Spark at scale), and evaluates the last complete week before ``as_of`` (the week whose
Monday is at least 7 days before it) for every product category × division unit of each
definition. Alarms are stored as ``Signal`` rows with their series, statistic and threshold (the
page draws them); a second run for the same week updates the rows instead of adding new ones.

Per method (parameters from the definition, DESIGN §6.5a):

* ``cusum``: baseline = the ``baseline_weeks`` weeks before the evaluation window of
  ``guard_weeks`` + 1 weeks; μ0 = baseline mean, σ = max(baseline standard deviation, √μ0,
  ``min_sigma``); the upper CUSUM over the window; alarm when its last value exceeds ``h`` and
  the week has at least ``min_observed`` counts.
* ``ewma``: the same baseline; z starts at μ0 and runs over the window; alarm above the exact
  control limit at the last week, with at least ``min_observed`` counts.
* ``farrington``: Farrington flexible over the whole weekly series (weekly dates), evaluated at
  the last week, all series of the definition at once (``farrington_flexible_batch``); a window
  without ``b`` years of history plus ``w`` weeks is skipped.
* ``prr``: per division unit, product × hazard counts over the last ``window_weeks`` weeks; a
  signal when PRR ≥ ``min_prr``, χ² ≥ ``min_chi2`` and a ≥ ``min_a`` (hazard ``none`` is not a hazard).
"""
from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections import defaultdict

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhijian.analytics import signal_counts, signals
from zhijian.analytics.grading import day_number
from zhijian.registry.models import Division, ProductCategory

from .models import Signal, SignalDefinition, SignalRun


def evaluation_week(as_of: dt.date) -> dt.date:
    """The Monday of the last complete week before ``as_of``."""
    return signal_counts.week_date(signal_counts.monday(day_number(as_of) - 7))


PRR_CAP = 1e6


def _finite(value):
    """JSON has no infinities or NaN (PostgreSQL's jsonb refuses them): those become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _dense(rows, first_week: int, last_week: int) -> dict[tuple, np.ndarray]:
    """(category, unit) -> weekly counts from first_week to last_week (zeros filled)."""
    n = (last_week - first_week) // 7 + 1
    out: dict[tuple, np.ndarray] = {}
    for r in rows:
        if not r["category"]:
            continue
        key = (r["category"], r["unit"])
        series = out.get(key)
        if series is None:
            series = out[key] = np.zeros(n)
        i = (r["week"] - first_week) // 7
        if 0 <= i < n:
            series[i] += r["n"]
    return out


def _weeks(first_week: int, n: int) -> list[str]:
    return [signal_counts.week_date(first_week + 7 * i).isoformat() for i in range(n)]


def _chart(definition, x: np.ndarray, first_week: int):
    """(statistic, threshold, alarm, series) of a CUSUM / EWMA definition on one series."""
    p = definition.parameters
    base_n, guard = int(p.get("baseline_weeks", 26)), int(p.get("guard_weeks", 1))
    baseline, window = x[:base_n], x[base_n:]
    mu0 = float(baseline.mean())
    sigma = max(float(baseline.std(ddof=1)) if len(baseline) > 1 else 0.0, math.sqrt(mu0),
                float(p.get("min_sigma", 1.0)))
    if definition.method == SignalDefinition.Method.CUSUM:
        result = signals.cusum(window, mu0, sigma, k=float(p.get("k", 0.5)), h=float(p.get("h", 4.0)))
    else:
        result = signals.ewma(window, mu0, sigma, lam=float(p.get("lam", 0.2)), L=float(p.get("L", 3.0)))
    alarm = bool(result.alarm[-1]) and x[-1] >= float(p.get("min_observed", 0))
    n = len(x)
    series = {"weeks": _weeks(first_week, n), "values": x.tolist(), "baseline_weeks": base_n,
              "statistic": [None] * base_n + [round(float(v), 4) for v in result.statistic],
              "threshold": [None] * base_n + [round(float(v), 4) for v in result.threshold],
              "mu0": round(mu0, 4), "sigma": round(sigma, 4), "guard_weeks": guard}
    return float(result.statistic[-1]), float(result.threshold[-1]), alarm, series


def _window(definition) -> int:
    p = definition.parameters
    if definition.method in (SignalDefinition.Method.CUSUM, SignalDefinition.Method.EWMA):
        return int(p.get("baseline_weeks", 26)) + int(p.get("guard_weeks", 1)) + 1
    if definition.method == SignalDefinition.Method.PRR:
        return int(p.get("window_weeks", 13))
    return 52 * (int(p.get("b", 3)) + 1) + int(p.get("w", 3)) + 1


def _farrington(definition, dense, first_week: int) -> list[dict]:
    """Farrington flexible at the last week for all series of a definition at once (the batch
    version: the same alarms and thresholds as the per-series function)."""
    if not dense:
        return []
    p = definition.parameters
    y = np.array([x for _key, x in dense]).astype(int)
    n = y.shape[1]
    dates = [signal_counts.week_date(first_week + 7 * i) for i in range(n)]
    try:
        result = signals.farrington_flexible_batch(
            y, dates, b=int(p.get("b", 3)), w=int(p.get("w", 3)), alpha=float(p.get("alpha", 0.05)),
            no_periods=int(p.get("no_periods", 10)),
            past_weeks_not_included=int(p.get("past_weeks_not_included", 26)), positions=[n - 1],
            only_alarmable=True)
    except ValueError:
        return []  # not enough history (the same for every series: one window)
    found = []
    for i in np.flatnonzero(result.alarm[:, -1]):
        (cat, unit), x = dense[i]
        found.append({"category": cat, "hazard": "", "unit": unit, "observed": float(x[-1]),
                      "statistic": float(x[-1]), "threshold": float(result.upperbound[i, -1]),
                      "series": {"weeks": _weeks(first_week, n), "values": x.tolist(),
                                 "upperbound": float(result.upperbound[i, -1]),
                                 "expected": float(result.expected[i, -1])}})
    return found


def evaluate(definition: SignalDefinition, weekly_rows, hazard_rows, week: dt.date) -> list[dict]:
    """The alarms of one definition at ``week`` from the counted rows (pure; no database)."""
    last_week = day_number(week)
    first_week = last_week - 7 * (_window(definition) - 1)
    found = []
    if definition.method == SignalDefinition.Method.PRR:
        p = definition.parameters
        by_unit: dict[str, dict] = defaultdict(lambda: {"cells": defaultdict(int), "cat": defaultdict(int),
                                                        "haz": defaultdict(int), "total": 0})
        for r in hazard_rows:
            if r["hazard"] == "none":
                continue
            u = by_unit[r["unit"]]
            u["cells"][(r["category"], r["hazard"])] += r["n"]
            u["cat"][r["category"]] += r["n"]
            u["haz"][r["hazard"]] += r["n"]
            u["total"] += r["n"]
        for unit, u in by_unit.items():
            for (cat, haz), a in u["cells"].items():
                b, c = u["cat"][cat] - a, u["haz"][haz] - a
                d = u["total"] - a - b - c
                result = signals.prr(a, b, c, d, min_prr=float(p.get("min_prr", 2.0)),
                                     min_chi2=float(p.get("min_chi2", 4.0)), min_a=int(p.get("min_a", 3)))
                if result.signal:
                    # a hazard seen with no other product has an infinite PRR: stored as the cap
                    found.append({"category": cat, "hazard": haz, "unit": unit, "observed": float(a),
                                  "statistic": min(float(result.prr), PRR_CAP), "threshold": float(p.get("min_prr", 2.0)),
                                  "series": {"a": a, "b": b, "c": c, "d": d, "prr": result.prr,
                                             "chi2": result.chi2, "ci": [result.ci_low, result.ci_high]}})
        return found
    dense = sorted(_dense(weekly_rows, first_week, last_week).items())
    dense = [(key, x) for key, x in dense if x[-1] > 0]   # nothing this week: no alarm for it
    if definition.method == SignalDefinition.Method.FARRINGTON:
        return _farrington(definition, dense, first_week)
    for (cat, unit), x in dense:
        statistic, threshold, alarm, series = _chart(definition, x, first_week)
        if alarm:
            found.append({"category": cat, "hazard": "", "unit": unit, "observed": float(x[-1]),
                          "statistic": statistic, "threshold": threshold, "series": series})
    return found


def run_signals(as_of: dt.date | None = None, *, engine: str = "duckdb", snapshot_dir=None,
                definitions=None) -> dict:
    """Snapshot, count and evaluate; store the alarms. Returns {definition code: alarms}."""
    as_of = as_of or timezone.localdate()
    week = evaluation_week(as_of)
    defs = list(definitions if definitions is not None else SignalDefinition.objects.filter(active=True))
    with tempfile.TemporaryDirectory(prefix="zhijian-signals-") as tmp:
        directory = snapshot_dir or tmp
        signal_counts.export(directory)
        counted: dict[tuple, tuple] = {}
        results = {}
        for definition in defs:
            first = week - dt.timedelta(weeks=_window(definition) - 1)
            key = (definition.level, first)
            if key not in counted:
                weekly, hazards = signal_counts.run(directory, definition.level, first, week + dt.timedelta(days=6),
                                                    engine)
                counted[key] = (weekly.to_pylist(), hazards.to_pylist())
            weekly, hazards = counted[key]
            weekly = [r for r in weekly if r["source"] == definition.source]
            hazards = [r for r in hazards if r["source"] == definition.source]
            results[definition.code] = evaluate(definition, weekly, hazards, week)
    store(results, {d.code: d for d in defs}, week)
    return {code: len(found) for code, found in results.items()}


@transaction.atomic
def store(results: dict, definitions: dict, week: dt.date) -> None:
    categories = dict(ProductCategory.objects.values_list("code", "pk"))
    divisions = set(Division.objects.values_list("pk", flat=True))
    for code, found in results.items():
        definition = definitions[code]
        for f in found:
            if f["category"] not in categories or f["unit"] not in divisions:
                continue
            signal, created = Signal.objects.get_or_create(
                definition=definition, category_id=categories[f["category"]], hazard=f["hazard"],
                division_id=f["unit"], week=week,
                defaults={"observed": f["observed"], "statistic": f["statistic"], "threshold": f["threshold"],
                          "series": _finite(f["series"])})
            if not created:
                signal.observed, signal.statistic, signal.threshold = f["observed"], f["statistic"], f["threshold"]
                signal.series = _finite(f["series"])
                signal.save()


def run_if_due(as_of: dt.date | None = None, *, engine: str = "duckdb") -> SignalRun | None:
    """The scheduler's weekly run: once per evaluated week (a failed run is retried next time)."""
    as_of = as_of or timezone.localdate()
    week = evaluation_week(as_of)
    if SignalRun.objects.filter(week=week, finished__isnull=False, error="").exists():
        return None
    run = SignalRun.objects.create(week=week, engine=engine, started=timezone.now())
    try:
        run.alarms = run_signals(as_of, engine=engine)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, raised for the caller's log
        run.error = f"{type(exc).__name__}: {exc}"
        run.finished = timezone.now()
        run.save()
        raise
    run.finished = timezone.now()
    run.save()
    return run
