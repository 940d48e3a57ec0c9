"""Benchmark: every signal method over 5 years of daily counts, 329 categories × 109 divisions.

    .venv/bin/python bench/signals.py [--weeks-evaluated 52] [--sample 40] [--seed 10]
        [--categories N] [--divisions N]

1. generates (fixed seed, not timed) 5 years of daily Poisson counts -- 1,827 days, Monday
   2021-06-28 to Sunday 2026-06-28 -- for every product category of the key-supervised catalog
   (329, ``zhijian/registry/data/key_industrial_products_catalog.csv``) × every division of the
   deployment's province (Jiangsu: 1 province, 13 cities, 95 counties = 109 units,
   ``divisions_gbt2260_2024.csv``; taken as 109 independent units, the app runs each level
   separately): rates lognormal per category and per division (larger at city and province
   level), yearly seasonality with a phase per category, and a few injected outbreaks (extra
   cases over 2-4 weeks in 0.5 % of the series, half of them in the last year). Then aggregated
   to ISO weeks as ``analytics.signal_counts`` does (the week of day d starts on day
   d − (d + 3) mod 7; 261 complete weeks), timed for information;
2. times each batch function of ``zhijian.analytics.signals`` over all 35,861 series:
   ``cusum_batch`` and ``ewma_batch`` (baseline = the first 52 weeks: μ0 = mean,
   σ = max(sd, √μ0, 1) as ``risk.signal_run`` does; chart over the other 209 weeks),
   ``farrington_flexible_batch`` (the app's settings: b = 3 years, w = 3, Noufaily defaults
   otherwise, weekly dates) evaluated at each of the last ``--weeks-evaluated`` weeks (fitting,
   as the app needs, only the series that can alarm: ``only_alarmable``, the limit54 rule:
   5 cases in the last 4 weeks; alarms, upper bounds and expected counts are the same as
   fitting every series), and
   ``prr_batch`` / ``ror_batch`` for every product × hazard pair of every division (the last
   13 weeks' counts split over 12 generated hazards, category-specific hazard mixes, a few
   disproportionate pairs injected): prints seconds per method, the total, and series/s.
   Target (issue 10): total under 30 s on a 2-core machine;
3. the baseline in the same run: a per-series Python loop over the scalar functions
   (``cusum``, ``ewma``, ``farrington_flexible``, ``prr``, ``ror``) on a random sample of
   series / tables (``--sample`` series for Farrington, 25 × that for the others), timed and
   **extrapolated linearly** to all series, and the batch/loop ratio per method and in total.
   The loop's results on the sample are checked against the batch's (alarms identical).

Run the final measurement when the machine is idle (the load average is printed).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zhijian.analytics import signals as S  # noqa: E402
from zhijian.analytics.grading import day_number  # noqa: E402
from zhijian.analytics.signal_counts import monday, week_date  # noqa: E402

DATA = ROOT / "zhijian" / "registry" / "data"
FIRST_DAY = dt.date(2021, 6, 28)   # a Monday
N_DAYS = 261 * 7                   # 1,827 days = 5 years and 2 days, 261 complete ISO weeks
BASELINE_WEEKS = 52
HAZARDS = 12
PRR_WINDOW = 13
TARGET = 30.0
FARRINGTON = dict(b=3, w=3)        # as risk.signal_run (other settings: the Noufaily defaults)


def reference_counts():
    with open(DATA / "key_industrial_products_catalog.csv", encoding="utf-8", newline="") as fh:
        categories = sum(1 for _ in csv.DictReader(fh))
    with open(DATA / "divisions_gbt2260_2024.csv", encoding="utf-8", newline="") as fh:
        levels = [r["level"] for r in csv.DictReader(fh) if r["code"].startswith(os.environ.get(
            "ZHIJIAN_PROVINCE_CODE", "320000")[:2])]
    return categories, levels


def generate(n_cat, levels, seed):
    """Weekly counts (series × 261 weeks; series = category-major, category × division), the
    daily counts aggregated as the app does; returns (weekly, series categories, series units,
    aggregation seconds)."""
    rng = np.random.default_rng(seed)
    n_div = len(levels)
    scale = np.array([{"province": 10.0, "prefecture": 3.0, "city": 3.0}.get(lv, 1.0) for lv in levels])
    cat_rate = rng.lognormal(math.log(0.03), 1.3, n_cat)          # cases per day in a county
    div_rate = scale * rng.lognormal(0.0, 0.6, n_div)
    phase = rng.uniform(0, 2 * math.pi, n_cat)
    amplitude = rng.uniform(0.0, 0.6, n_cat)
    day0 = day_number(FIRST_DAY)
    days = day0 + np.arange(N_DAYS)
    week_of_day = (days - (days + 3) % 7 - day0) // 7                # signal_counts' Monday rule
    n_weeks = N_DAYS // 7
    # the days start on a Monday, so each run of 7 days is one week: summing them is the GROUP BY
    assert monday(day0) == day0 and np.array_equal(week_of_day, np.repeat(np.arange(n_weeks), 7))
    weekly = np.empty((n_cat * n_div, n_weeks))
    agg = 0.0
    for c in range(n_cat):
        lam = cat_rate[c] * div_rate[:, None] * (1 + amplitude[c] * np.sin(
            2 * math.pi * np.arange(N_DAYS)[None, :] / 365.25 + phase[c]))
        daily = rng.poisson(lam)                                       # (divisions, days)
        t0 = time.perf_counter()
        rows = slice(c * n_div, (c + 1) * n_div)
        weekly[rows] = daily.reshape(n_div, n_weeks, 7).sum(axis=2)
        agg += time.perf_counter() - t0
    # outbreaks: 0.5 % of the series, 2-4 weeks, 3-8× the usual weekly mean plus 3 cases a week
    n_out = max(1, int(0.005 * len(weekly)))
    hit = rng.choice(len(weekly), n_out, replace=False)
    for j, s in enumerate(hit):
        length = int(rng.integers(2, 5))
        start = int(rng.integers(n_weeks - 52, n_weeks - length + 1)) if j % 2 == 0 else \
            int(rng.integers(BASELINE_WEEKS, n_weeks - 52))
        mean = weekly[s].mean()
        weekly[s, start:start + length] += rng.poisson(3 + mean * rng.uniform(3, 8), length)
    cats = np.repeat(np.arange(n_cat), n_div)
    units = np.tile(np.arange(n_div), n_cat)
    return weekly, cats, units, agg


def hazard_tables(weekly, n_cat, n_div, rng):
    """Cells a, b, c, d (division × category × hazard) of the last PRR_WINDOW weeks."""
    totals = weekly[:, -PRR_WINDOW:].sum(axis=1).reshape(n_cat, n_div).T.astype(np.int64)   # (div, cat)
    mix = rng.dirichlet(np.full(HAZARDS, 0.8), n_cat)                                          # (cat, hazard)
    cells = np.empty((n_div, n_cat, HAZARDS), dtype=np.int64)
    for c in range(n_cat):
        p = np.broadcast_to(mix[c], (n_div, HAZARDS)).copy()
        boosted = rng.random(n_div) < 0.01                     # a disproportionate hazard in 1 % of divisions
        h = rng.integers(0, HAZARDS)
        p[boosted, h] += 2.0
        p /= p.sum(axis=1, keepdims=True)
        cells[:, c, :] = rng.multinomial(totals[:, c], p)
    a = cells
    cat_total = a.sum(axis=2, keepdims=True)
    haz_total = a.sum(axis=1, keepdims=True)
    total = a.sum(axis=(1, 2), keepdims=True)
    b = cat_total - a
    c = haz_total - a
    d = total - a - b - c
    return a, b, c, d


def chart_baseline(weekly):
    base = weekly[:, :BASELINE_WEEKS]
    mu0 = base.mean(axis=1)
    sigma = np.maximum(np.maximum(base.std(axis=1, ddof=1), np.sqrt(mu0)), 1.0)
    return mu0, sigma


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weeks-evaluated", type=int, default=52, help="Farrington: the last N weeks")
    p.add_argument("--sample", type=int, default=40, help="series in the scalar Farrington loop "
                   "(25 × as many series / tables for the other methods)")
    p.add_argument("--seed", type=int, default=10)
    p.add_argument("--categories", type=int, help="default: the catalog's rows (329)")
    p.add_argument("--divisions", type=int, help="default: the province's divisions (109)")
    args = p.parse_args(argv)
    # sparse series: the scalar IRLS divides 0/0 where μ underflows (as R's glm.fit would); quiet
    warnings.filterwarnings("ignore", category=RuntimeWarning)

    la = os.getloadavg()
    print(f"cores: {os.cpu_count()}, load average: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    n_cat, levels = reference_counts()
    n_cat = args.categories or n_cat
    levels = levels[:args.divisions] if args.divisions else levels
    n_div = len(levels)
    t0 = time.perf_counter()
    weekly, _cats, _units, agg_s = generate(n_cat, levels, args.seed)
    n_series, n_weeks = weekly.shape
    rng = np.random.default_rng(args.seed + 1)
    a, b, c, d = hazard_tables(weekly, n_cat, n_div, rng)
    n_tables = a.size
    print(f"generated {n_cat} categories × {n_div} divisions = {n_series:,} series of {N_DAYS:,} daily counts "
          f"({weekly.sum():,.0f} cases, {100 * np.mean(weekly[:, -1] == 0):.0f} % of series with no case in the "
          f"last week, {100 * np.mean(~weekly.any(axis=1)):.0f} % with none at all) in "
          f"{time.perf_counter() - t0:.1f} s; aggregated to {n_weeks} weeks in {agg_s:.1f} s (not timed below)")
    dates = [week_date(day_number(FIRST_DAY) + 7 * i) for i in range(n_weeks)]
    n_eval = min(args.weeks_evaluated, n_weeks - (52 * FARRINGTON["b"] + FARRINGTON["w"] + 1))
    positions = list(range(n_weeks - n_eval, n_weeks))
    print(f"Farrington flexible (b = {FARRINGTON['b']}, w = {FARRINGTON['w']}, Noufaily defaults) evaluated at "
          f"the last {n_eval} weeks ({dates[positions[0]]} .. {dates[-1]}); PRR/ROR: {n_tables:,} product × "
          f"hazard tables ({n_div} divisions × {n_cat} categories × {HAZARDS} hazards, last {PRR_WINDOW} weeks)")

    mu0, sigma = chart_baseline(weekly)
    window = weekly[:, BASELINE_WEEKS:]
    batch = {}
    res_cusum, batch["CUSUM"] = timed(lambda: S.cusum_batch(window, mu0, sigma, k=0.5, h=4.0))
    res_ewma, batch["EWMA"] = timed(lambda: S.ewma_batch(window, mu0, sigma, lam=0.2, L=3.0))
    res_far, batch["Farrington flexible"] = timed(lambda: S.farrington_flexible_batch(
        weekly, dates, positions=positions, only_alarmable=True, **FARRINGTON))
    res_prr, batch["PRR"] = timed(lambda: S.prr_batch(a, b, c, d))
    res_ror, batch["ROR"] = timed(lambda: S.ror_batch(a, b, c, d))
    units = {"CUSUM": n_series, "EWMA": n_series, "Farrington flexible": n_series, "PRR": n_tables, "ROR": n_tables}
    alarms = {"CUSUM": int(res_cusum.alarm.sum()), "EWMA": int(res_ewma.alarm.sum()),
              "Farrington flexible": int(res_far.alarm.sum()), "PRR": int(res_prr.signal.sum()),
              "ROR": int(res_ror.signal.sum())}

    # the per-series loop over the scalar functions, on a sample, extrapolated
    big = min(25 * args.sample, n_series)
    chart_rows = rng.choice(n_series, big, replace=False)
    far_rows = rng.choice(n_series, min(args.sample, n_series), replace=False)
    table_rows = rng.choice(n_tables, min(25 * args.sample, n_tables), replace=False)
    fa, fb, fc, fd = (v.reshape(-1) for v in (a, b, c, d))
    loop = {}
    t0 = time.perf_counter()
    for i in chart_rows:
        r = S.cusum(window[i], mu0[i], sigma[i], k=0.5, h=4.0)
        assert np.array_equal(r.alarm, res_cusum.alarm[i])
    loop["CUSUM"] = (time.perf_counter() - t0) / len(chart_rows) * n_series
    t0 = time.perf_counter()
    for i in chart_rows:
        r = S.ewma(window[i], float(mu0[i]), float(sigma[i]), lam=0.2, L=3.0)
        assert np.array_equal(r.alarm, res_ewma.alarm[i])
    loop["EWMA"] = (time.perf_counter() - t0) / len(chart_rows) * n_series
    t0 = time.perf_counter()
    for i in far_rows:
        r = S.farrington_flexible(weekly[i].astype(int), dates, positions=positions, **FARRINGTON)
        assert np.array_equal(r.alarm, res_far.alarm[i]) and np.array_equal(
            r.upperbound, res_far.upperbound[i], equal_nan=True)
    loop["Farrington flexible"] = (time.perf_counter() - t0) / len(far_rows) * n_series
    t0 = time.perf_counter()
    for j in table_rows:
        r = S.prr(int(fa[j]), int(fb[j]), int(fc[j]), int(fd[j]))
        assert r.signal == res_prr.signal.reshape(-1)[j]
    loop["PRR"] = (time.perf_counter() - t0) / len(table_rows) * n_tables
    t0 = time.perf_counter()
    for j in table_rows:
        r = S.ror(int(fa[j]), int(fb[j]), int(fc[j]), int(fd[j]))
        assert r.signal == res_ror.signal.reshape(-1)[j]
    loop["ROR"] = (time.perf_counter() - t0) / len(table_rows) * n_tables

    print(f"\n{'method':<21} {'batch s':>8} {'per s':>12} {'loop s (extrap.)':>17} {'ratio':>8}  alarms")
    for name, sec in batch.items():
        what = "tables" if name in ("PRR", "ROR") else "series"
        print(f"{name:<21} {sec:8.2f} {units[name] / sec:>10,.0f}/s {loop[name]:17.1f} {loop[name] / sec:7.0f}x  "
              f"{alarms[name]:,} ({what})")
    total, loop_total = sum(batch.values()), sum(loop.values())
    print(f"{'total':<21} {total:8.2f} {n_series / total:>10,.0f}/s {loop_total:17.1f} {loop_total / total:7.0f}x")
    print(f"\ntotal {total:.1f} s for all methods over {n_series:,} series ({n_series / total:,.0f} series/s; "
          f"Farrington at {n_eval} weeks: {n_series * n_eval / batch['Farrington flexible']:,.0f} series-weeks/s, "
          f"{res_far.control['scalar_fits']:,} of {n_series * n_eval:,} week fits by the scalar code); target "
          f"< {TARGET:.0f} s: {'met' if total < TARGET else 'NOT met'}")
    print(f"baseline (per-series Python loop over the scalar functions, timed on a sample of {len(chart_rows):,} "
          f"series (CUSUM, EWMA), {len(far_rows)} series (Farrington), {len(table_rows):,} tables (PRR, ROR) and "
          f"EXTRAPOLATED linearly): {loop_total:,.0f} s; batch/loop ratio {loop_total / total:.0f}x; "
          f"sample alarms identical")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if total < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
