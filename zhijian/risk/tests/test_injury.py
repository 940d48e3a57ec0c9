"""Stratified injury estimates (NEISS-style): hand-computed totals, variance, CV, CI and flags."""
import math
import time

import numpy as np
import pandas as pd
import pytest

from zhijian.risk.injury import SurveyInputError, estimate, estimates

EXACT = dict(rel=1e-12, abs=1e-9)

# Two strata × three hospitals. a3 took part but had no case in the domain.
HOSPITALS = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B"), ("b2", "B"), ("b3", "B")]
CASES = [("a1", 10), ("a1", 20), ("a2", 40), ("b1", 5), ("b1", 5), ("b1", 5), ("b2", 15), ("b3", 30)]
# By hand:
#   stratum A: y = 30, 40, 0   ȳ = 70/3   Σ(y−ȳ)² = 900 + 1600 + 0 − 70²/3 = 2600/3
#              var_A = 3/2 · 2600/3 = 1300
#   stratum B: y = 15, 15, 30  ȳ = 20     Σ(y−ȳ)² = 25 + 25 + 100 = 150
#              var_B = 3/2 · 150 = 225
#   estimate = 70 + 60 = 130, variance = 1525, se = √1525 = 39.05124837953327
#   cv = 39.0512…/130 = 0.30039421830410206
#   CI = 130 ± 1.96 · 39.0512… = 53.45955317611479 … 206.5404468238852
#   8 cases (< 20) and 130 (< 1,200) are flagged; CV 30 % is not.


def test_hand_computed_sample():
    e = estimate(CASES, HOSPITALS)
    assert e.estimate == 130
    assert e.variance == pytest.approx(1525, **EXACT)
    assert e.se == pytest.approx(math.sqrt(1525), **EXACT)
    assert e.cv == pytest.approx(math.sqrt(1525) / 130, **EXACT)
    assert e.ci_low == pytest.approx(130 - 1.96 * math.sqrt(1525), **EXACT)
    assert e.ci_high == pytest.approx(130 + 1.96 * math.sqrt(1525), **EXACT)
    assert e.ci_low == pytest.approx(53.45955317611479, **EXACT)
    assert e.ci_low_clipped == e.ci_low
    assert (e.n_cases, e.n_hospitals, e.n_hospitals_with_cases) == (8, 6, 5)
    assert e.single_hospital_strata == ()
    assert e.flags == ("fewer than 20 cases", "below 1,200")
    assert not e.reliable


def test_zero_case_hospital_counts_in_the_variance():
    # Leaving a3 out of the design would give stratum A y = 30, 40: var_A = 2 · 50 = 100.
    without = estimate(CASES, [h for h in HOSPITALS if h[0] != "a3"])
    assert without.variance == pytest.approx(100 + 225, **EXACT)
    assert estimate(CASES, HOSPITALS).variance == pytest.approx(1525, **EXACT)
    # A hospital with no case at all in any stratum: all-zero stratum adds nothing.
    e = estimate(CASES, HOSPITALS + [("c1", "C"), ("c2", "C")])
    assert e.variance == pytest.approx(1525, **EXACT) and e.n_hospitals == 8


def test_single_hospital_stratum_contributes_zero_and_is_reported():
    # Stratum C has one hospital with a case of weight 7: in the estimate, not in the variance.
    e = estimate(CASES + [("c1", 7)], HOSPITALS + [("c1", "C")])
    assert e.estimate == 137
    assert e.variance == pytest.approx(1525, **EXACT)
    assert e.single_hospital_strata == ("C",)


def test_cv_flag_alone():
    # a1: 20 cases × 100 = 2000, a2: 0. ȳ = 1000, var = 2/1 · (1000² + 1000²) = 4,000,000,
    # se = 2000, cv = 1.0 > 0.33; 20 cases is not "fewer than 20"; 2000 ≥ 1200.
    e = estimate([("a1", 100)] * 20, [("a1", "A"), ("a2", "A")])
    assert (e.estimate, e.variance, e.se, e.cv) == (2000, 4_000_000, 2000, 1.0)
    assert e.ci_low == pytest.approx(2000 - 1.96 * 2000, **EXACT)  # −1920: symmetric, negative
    assert e.ci_low_clipped == 0.0
    assert e.flags == ("CV above 33 %",)


def test_reliable_estimate_and_thresholds_as_parameters():
    # Three hospitals each with 10 cases × 50 = 500: no variation, 30 cases, 1500.
    cases = [(h, 50) for h in ("a1", "a2", "a3") for _ in range(10)]
    hosp = [("a1", "A"), ("a2", "A"), ("a3", "A")]
    e = estimate(cases, hosp)
    assert (e.estimate, e.variance, e.cv, e.flags, e.reliable) == (1500, 0, 0, (), True)
    e = estimate(cases, hosp, min_cases=50, max_cv=0.2, min_estimate=2000)
    assert e.flags == ("fewer than 50 cases", "below 2,000")
    assert not e.reliable


def test_each_flag_boundary():
    hosp = [("a1", "A"), ("a2", "A"), ("a3", "A")]
    # Exactly 1200 and exactly 20 cases are not flagged (flags are "fewer than", "below").
    e = estimate([(h, 60) for h in ("a1", "a2") for _ in range(10)], hosp[:2])
    assert (e.estimate, e.n_cases, e.flags) == (1200, 20, ())
    # 19 cases: a1 10 × 60 = 600, a2 9 × 70 = 630; ȳ = 615, var = 2 · (15² + 15²) = 900, cv = 30/1230.
    e = estimate([("a1", 60)] * 10 + [("a2", 70)] * 9, hosp[:2])
    assert (e.estimate, e.variance, e.flags) == (1230, 900, ("fewer than 20 cases",))
    assert estimate([("a1", 59.99)] * 10 + [("a2", 59.99)] * 10, hosp[:2]).flags == ("below 1,200",)


def test_empty_domain():
    e = estimate([], HOSPITALS)
    assert (e.estimate, e.variance, e.cv, e.n_cases) == (0, 0, None, 0)
    assert e.flags == ("fewer than 20 cases", "below 1,200")


@pytest.mark.parametrize("cases, hospitals, message", [
    ([("zz", 1)], HOSPITALS, "case 1: hospital 'zz' is not a participating hospital"),
    ([("a1", 0)], HOSPITALS, "case 1: weight 0 must be a positive"),
    ([("a1", 1), ("a1", float("nan"))], HOSPITALS, "case 2: weight nan"),
    ([("a1", "x")], HOSPITALS, "case 1: weight 'x' is not a number"),
    ([("a1",)], HOSPITALS, "case 1: expected (hospital id, weight)"),
    ([], [], "no participating hospitals"),
    ([], [("a1", "A"), ("a1", "B")], "hospital 'a1' is in two strata"),
])
def test_bad_input(cases, hospitals, message):
    with pytest.raises(SurveyInputError) as err:
        estimate(cases, hospitals)
    assert message in str(err.value)


def _frame(cases, **cols):
    return pd.DataFrame([{"hospital": h, "weight": w, **cols} for h, w in cases])


def test_grouped_matches_the_hand_computed_sample():
    rows = pd.concat([_frame(CASES, category="toys"), _frame(CASES[:3], category="stoves")])
    hosp = pd.DataFrame(HOSPITALS, columns=["hospital", "stratum"])
    out = estimates(rows, hosp, by=["category"])
    toys = out.set_index("category").loc["toys"]
    assert toys["estimate"] == 130 and toys["variance"] == pytest.approx(1525, **EXACT)
    assert toys["n_hospitals"] == 6 and toys["n_hospitals_with_cases"] == 5 and toys["n_cases"] == 8
    assert toys["flags"] == ("fewer than 20 cases", "below 1,200")
    stoves = out.set_index("category").loc["stoves"]
    # stoves: A = 30, 40, 0 (var 1300); B = 0, 0, 0 (var 0).
    assert stoves["estimate"] == 70 and stoves["variance"] == pytest.approx(1300, **EXACT)


def _random_survey(seed, n_cases):
    rng = np.random.default_rng(seed)
    strata = ["small", "medium", "large", "very large", "children's"]
    hosp_rows = []
    for period in ("2024Q1", "2024Q2", "2024Q3"):
        for i in range(40):
            if rng.random() < 0.9:          # participation varies by period
                hosp_rows.append({"period": period, "hospital": f"h{i}", "stratum": strata[i % 5] if i else "solo"})
    hosp = pd.DataFrame(hosp_rows)
    picks = hosp.sample(n_cases, replace=True, random_state=seed).reset_index(drop=True)
    rows = picks[["period", "hospital"]].assign(
        category=rng.choice(["toys", "stoves", "ladders", "bikes"], n_cases),
        division=rng.choice(["north", "south"], n_cases),
        weight=rng.uniform(5, 120, n_cases).round(4),
    )
    return rows, hosp


def test_grouped_equals_one_by_one_with_varying_participation():
    rows, hosp = _random_survey(7, 3000)
    out = estimates(rows, hosp, by=("category", "period", "division"))
    assert len(out) == rows.groupby(["category", "period", "division"]).ngroups
    for r in out.itertuples():
        dom = rows[(rows.category == r.category) & (rows.period == r.period) & (rows.division == r.division)]
        part = hosp[hosp.period == r.period]
        one = estimate(zip(dom.hospital, dom.weight), zip(part.hospital, part.stratum))
        assert r.estimate == pytest.approx(one.estimate, rel=1e-12)
        assert r.variance == pytest.approx(one.variance, rel=1e-9, abs=1e-6)
        assert r.cv == pytest.approx(one.cv, rel=1e-9)
        assert (r.n_cases, r.n_hospitals, r.n_hospitals_with_cases) == (one.n_cases, one.n_hospitals,
                                                                          one.n_hospitals_with_cases)
        assert r.single_hospital_strata == one.single_hospital_strata
        assert r.flags == one.flags and r.reliable == one.reliable


def test_grouped_is_fast_for_tens_of_thousands_of_cases():
    rows, hosp = _random_survey(11, 60_000)
    start = time.perf_counter()
    out = estimates(rows, hosp, by=("category", "period", "division"))
    assert time.perf_counter() - start < 5.0
    assert out["n_cases"].sum() == 60_000
    assert out["estimate"].sum() == pytest.approx(rows["weight"].sum(), rel=1e-12)


def test_grouped_bad_input():
    hosp = pd.DataFrame(HOSPITALS, columns=["hospital", "stratum"])
    with pytest.raises(SurveyInputError, match="missing column"):
        estimates(_frame(CASES), hosp, by=["category"])
    with pytest.raises(SurveyInputError, match="'zz' has cases in group"):
        estimates(_frame(CASES + [("zz", 3)], category="toys"), hosp, by=["category"])
    with pytest.raises(SurveyInputError, match="case 9: weight"):
        estimates(_frame(CASES + [("a1", -3)], category="toys"), hosp, by=["category"])
