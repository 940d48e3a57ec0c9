"""Signal detection: CUSUM/EWMA by hand, PRR/ROR by hand and scipy, Farrington against R surveillance.

The Farrington vectors in ./data were written by scripts/surveillance_vectors.R with R 4.2.2 and
surveillance 1.20.3; CI does not run R, it reads the committed CSV files. Alarms must agree
exactly; upper bounds, expected counts and overdispersion to a relative 1e-9 (the fits agree to
about 1e-14; the upper bounds are integer quantiles and agree exactly).
"""
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zhijian.analytics import signals as S

DATA = Path(__file__).with_name("data")
REL = 1e-9


# --------------------------------------------------------------------------- CUSUM / EWMA

def test_cusum_by_hand():
    # z = (x − 5)/2 = 0, 1, 3.5, 5, −0.5;  S = 0, 0.5, 3.5, 8, 7  (each step − k = 0.5, floor 0)
    r = S.cusum([5, 7, 12, 15, 4], mu0=5, sigma=2, k=0.5, h=4)
    assert r.statistic.tolist() == [0, 0.5, 3.5, 8, 7]
    assert r.threshold.tolist() == [4] * 5
    assert r.alarm.tolist() == [False, False, False, True, True]


def test_cusum_resets_at_zero_and_takes_arrays():
    r = S.cusum([0, 0, 10], mu0=[1, 1, 4], sigma=[1, 1, 2], k=0.5, h=2.5)
    # z = −1, −1, 3 → S = 0, 0, 2.5 (not > h)
    assert r.statistic.tolist() == [0, 0, 2.5] and not r.alarm.any()


def test_cusum_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    x = rng.poisson(6, 300).astype(float)
    x[200:210] += 6
    s, out = 0.0, []
    for v in x:
        s = max(0.0, s + (v - 6) / math.sqrt(6) - 0.5)
        out.append(s)
    r = S.cusum(x, 6, math.sqrt(6), k=0.5, h=5)
    assert np.allclose(r.statistic, out, rtol=1e-15, atol=0)
    assert r.alarm.tolist() == [v > 5 for v in out]


def test_ewma_by_hand():
    # λ = 0.5, μ0 = 10, σ = 2, L = 3:  z = 10, 15, 13
    # limit_t = 10 + 6·√(1/3 · (1 − 0.25^t)) = 13, 13.3541…, 13.4369…
    r = S.ewma([10, 20, 11], mu0=10, sigma=2, lam=0.5, L=3)
    assert r.statistic.tolist() == [10, 15, 13]
    assert r.threshold[0] == pytest.approx(13, rel=1e-15)
    assert r.threshold[1] == pytest.approx(10 + 6 * math.sqrt(0.3125), rel=1e-15)
    assert r.threshold[2] == pytest.approx(10 + 6 * math.sqrt(0.328125), rel=1e-15)
    assert r.alarm.tolist() == [False, True, False]


def test_ewma_start_value_and_asymptotic_limit():
    r = S.ewma([0.0] * 200, mu0=4, sigma=1, lam=0.2, L=3, z0=8)
    assert r.statistic[0] == pytest.approx(0.8 * 8)
    assert r.threshold[-1] == pytest.approx(4 + 3 * math.sqrt(0.2 / 1.8), rel=1e-12)
    with pytest.raises(ValueError):
        S.ewma([1, 2], mu0=1, sigma=0)
    with pytest.raises(ValueError):
        S.ewma([1, 2], mu0=1, sigma=1, lam=0)


# --------------------------------------------------------------------------- PRR / ROR

def test_prr_by_hand():
    # a=10 b=90 c=20 d=880: PRR = (10/100)/(20/900) = 4.5
    r = S.prr(10, 90, 20, 880)
    assert r.prr == pytest.approx(4.5, rel=1e-15)
    se = math.sqrt(1 / 10 - 1 / 100 + 1 / 20 - 1 / 900)
    assert (r.ci_low, r.ci_high) == (pytest.approx(4.5 * math.exp(-1.96 * se)), pytest.approx(4.5 * math.exp(1.96 * se)))
    # χ² with Yates: N(|ad − bc| − N/2)² / ((a+b)(c+d)(a+c)(b+d)) = 1000·(7000 − 500)²/(100·900·30·970)
    assert r.chi2 == pytest.approx(1000 * 6500**2 / (100 * 900 * 30 * 970), rel=1e-15)
    assert r.chi2 == pytest.approx(stats.chi2_contingency([[10, 90], [20, 880]], correction=True)[0], rel=1e-12)
    assert r.signal


@pytest.mark.parametrize("table", [(3, 7, 3, 27), (1, 1, 0, 3), (5, 5, 5, 5), (40, 60, 30, 970), (0, 10, 5, 100)])
def test_chi_square_matches_scipy(table):
    a, b, c, d = table
    expected = stats.chi2_contingency([[a, b], [c, d]], correction=True)[0] if 0 not in (a + b, c + d, a + c, b + d) else math.nan
    assert S.chi_square_2x2(*table) == pytest.approx(expected, rel=1e-12, nan_ok=True)
    assert S.chi_square_2x2(*table, yates=False) == pytest.approx(
        stats.chi2_contingency([[a, b], [c, d]], correction=False)[0], rel=1e-12)


def test_prr_signal_needs_all_three_criteria():
    assert not S.prr(2, 8, 1, 99).signal                   # PRR 10, but a = 2 < 3
    weak = S.prr(3, 7, 3, 27)                              # PRR 3, a = 3, χ² (Yates) = 40·40²/(10·30·6·34) ≈ 1.05 < 4
    assert weak.prr == 3 and weak.chi2 < 4 and not weak.signal
    assert S.prr(3, 7, 3, 27, min_chi2=1.0).signal          # thresholds are parameters
    assert S.prr(4, 6, 2, 8, min_chi2=0).prr == 2 and S.prr(4, 6, 2, 8, min_chi2=0).signal  # PRR exactly 2
    assert not S.prr(30, 70, 200, 800).signal               # PRR 1.5 < 2
    assert S.prr(5, 0, 0, 100).prr == math.inf and S.prr(5, 0, 0, 100).signal


def test_ror_by_hand():
    # ROR = (10·880)/(90·20) = 4.888…, SE(ln) = √(1/10 + 1/90 + 1/20 + 1/880)
    r = S.ror(10, 90, 20, 880)
    value = 8800 / 1800
    se = math.sqrt(1 / 10 + 1 / 90 + 1 / 20 + 1 / 880)
    assert r.ror == pytest.approx(value, rel=1e-15)
    assert r.ci_low == pytest.approx(value * math.exp(-1.96 * se), rel=1e-15)
    assert r.ci_high == pytest.approx(value * math.exp(1.96 * se), rel=1e-15)
    assert r.signal
    zero = S.ror(4, 10, 0, 50)
    assert zero.ror == math.inf and math.isnan(zero.ci_low) and not zero.signal
    h = S.ror(4, 10, 0, 50, haldane=True)                   # 4.5·50.5 / (10.5·0.5)
    assert h.ror == pytest.approx(4.5 * 50.5 / (10.5 * 0.5)) and h.ci_low > 1 and h.signal


def test_counts_must_be_counts():
    for bad in ((-1, 1, 1, 1), (1.5, 1, 1, 1), (True, 1, 1, 1)):
        with pytest.raises(ValueError, match="count"):
            S.prr(*bad)
        with pytest.raises(ValueError, match="count"):
            S.ror(*bad)


# --------------------------------------------------------------------------- Farrington vs R

VECTORS = {
    # vector file: (series, options beyond the Noufaily defaults)
    "salmnewport_noufaily": ("salmnewport", {}),
    "salmnewport_original": ("salmnewport", dict(no_periods=1, weights_threshold=1, p_threshold_trend=0.05,
                                                 past_weeks_not_included=3)),
    "simulated_noufaily": ("simulated", {}),
    "simulated_trend_muan": ("simulated", dict(p_threshold_trend=0.05, threshold_method="muan")),
}


def _load(series):
    s = pd.read_csv(DATA / f"{series}_series.csv")
    marks = [dt.date.fromisoformat(d) for d in s["date"]] if "date" in s else None
    return s["observed"].to_numpy(), marks


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_farrington_matches_r_surveillance(name):
    series, options = VECTORS[name]
    counts, marks = _load(series)
    v = pd.read_csv(DATA / f"{name}.csv")
    r = S.farrington_flexible(counts, marks, positions=v["t"].to_numpy() - 1, **options)
    assert r.observed.tolist() == v["observed"].tolist()
    assert r.alarm.tolist() == v["alarm"].astype(bool).tolist()
    assert r.alarm.sum() > 0
    for column in ("upperbound", "expected", "phi", "pvalue"):
        ours, theirs = getattr(r, column), v[column].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(ours), np.isnan(theirs)), column
        assert np.allclose(ours, theirs, rtol=REL, atol=0, equal_nan=True), column
    assert np.array_equal(r.upperbound, v["upperbound"].to_numpy(dtype=float), equal_nan=True)
    assert r.trend.tolist() == v["trend"].astype(bool).tolist()
    assert np.allclose(r.trend_coef, v["trend_coef"].to_numpy(dtype=float), rtol=REL, atol=0, equal_nan=True)


def test_farrington_default_range_and_date_types():
    counts, marks = _load("salmnewport")
    v = pd.read_csv(DATA / "salmnewport_noufaily.csv")
    full = S.farrington_flexible(counts, np.array(marks, dtype="datetime64[D]"))
    assert full.index[0] == 52 * 5 + 3 and full.index[-1] == len(counts) - 1
    tail = pd.Series(full.alarm, index=full.index + 1).loc[v["t"]]
    assert tail.tolist() == v["alarm"].astype(bool).tolist()
    stamps = S.farrington_flexible(counts, pd.to_datetime(marks), positions=[len(counts) - 1])
    assert stamps.upperbound[-1] == full.upperbound[-1]


def test_farrington_week_index_same_as_none():
    counts, _ = _load("simulated")
    a = S.farrington_flexible(counts, None, positions=[300, 400])
    b = S.farrington_flexible(counts, range(1, len(counts) + 1), positions=[300, 400])
    assert np.array_equal(a.upperbound, b.upperbound) and np.array_equal(a.alarm, b.alarm)


def test_farrington_limit54_suppresses_alarm_on_few_cases():
    counts = np.array([0] * 300 + [4] + [0] * 3)    # 4 cases in the last 4 weeks < 5
    r = S.farrington_flexible(counts, positions=[300])
    assert not r.alarm[0] and np.isnan(r.upperbound[0]) and np.isnan(r.expected[0])


def test_farrington_bad_input():
    with pytest.raises(ValueError, match="non-negative integers"):
        S.farrington_flexible([1.5] * 300)
    with pytest.raises(ValueError, match="reference time points"):
        S.farrington_flexible([1] * 300, positions=[100])
    with pytest.raises(ValueError, match="consecutive"):
        S.farrington_flexible([1] * 300, list(range(0, 600, 2)))
    with pytest.raises(ValueError, match="weekly"):
        S.farrington_flexible([1] * 3, [dt.date(2020, 1, 1), dt.date(2020, 1, 8), dt.date(2020, 1, 16)])
    with pytest.raises(ValueError, match="threshold_method"):
        S.farrington_flexible([1] * 300, threshold_method="delta")


def test_year_back_on_29_february():
    assert S._minus_years(dt.date(2016, 2, 29), 1) == dt.date(2015, 3, 1)      # as R's seq(by = "-1 year")
    refs = S._reference_dates(dt.date(2014, 2, 10), 2)                          # a Monday
    assert refs == [dt.date(2014, 2, 10), dt.date(2013, 2, 11), dt.date(2012, 2, 13)]
