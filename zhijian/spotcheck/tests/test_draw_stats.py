"""Statistics of the draw over many seeds (fixed, so the tests are deterministic): inclusion
frequencies follow the Efraimidis-Spirakis probabilities of the risk weights (chi-square), and
a class-D enterprise is drawn about 30 times as often as a class-A one (DESIGN §6.1)."""
import itertools
import math
from collections import Counter
from fractions import Fraction

import pytest

from zhijian.registry.identifiers import make_uscc
from zhijian.spotcheck import draw as D
from zhijian.spotcheck.tests.draw_helpers import TIMES


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square(df): the regularized upper incomplete gamma Q(df/2, x/2)
    (series for x < a + 1, continued fraction otherwise; Numerical Recipes 6.2)."""
    a, x = df / 2.0, x / 2.0
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return 1.0 - total * math.exp(log_front)
    b = x + 1 - a
    c = 1 / 1e-300
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_front) * h


def chi_square(observed: dict, expected: dict, min_expected: float = 5.0):
    """Pearson's statistic and degrees of freedom; cells expected below ``min_expected`` are
    pooled into one cell."""
    obs, exp = [], []
    pooled_o = pooled_e = 0.0
    for key, e in expected.items():
        if e < min_expected:
            pooled_o += observed.get(key, 0)
            pooled_e += e
        else:
            obs.append(observed.get(key, 0))
            exp.append(e)
    if pooled_e > 0:
        obs.append(pooled_o)
        exp.append(pooled_e)
    stat = sum((o - e) ** 2 / e for o, e in zip(obs, exp))
    return stat, len(obs) - 1


def test_chi2_sf_against_tabulated_critical_values():
    # 5 % critical values: df 1 3.841, df 3 7.815, df 10 18.307, df 55 73.311; 0.1 %: df 3 16.266
    for x, df, p in [(3.841, 1, 0.05), (7.815, 3, 0.05), (18.307, 10, 0.05), (73.311, 55, 0.05),
                     (16.266, 3, 0.001)]:
        assert chi2_sf(x, df) == pytest.approx(p, rel=2e-3)


def _pool(layout: str, strata: int):
    """``strata`` strata (one category each, all in county 320505) holding one enterprise per
    letter of ``layout`` with that risk class; and two inspectors qualified for all of them."""
    rows = []
    for s in range(strata):
        for j, cls in enumerate(layout):
            rows.append((make_uscc("320505", s * 100 + j), "320505", f"C{s:04d}", cls))
    categories = [f"C{s:04d}" for s in range(strata)]
    return D.Pool.from_rows(rows), [("I1", "320505", categories, 0), ("I2", "320500", categories, 0)]


def _position(uscc: str, s: int) -> int:
    return int(uscc[8:16]) - s * 100


def es_set_probabilities(weights, q):
    """Exact probability of every q-subset under successive sampling proportional to weight
    (which is what taking the q largest Efraimidis-Spirakis keys is)."""
    total = sum(weights)
    probs = Counter()
    for seq in itertools.permutations(range(len(weights)), q):
        p = Fraction(1)
        left = total
        for i in seq:
            p *= weights[i] / left
            left -= weights[i]
        probs[tuple(sorted(seq))] += p
    return probs


def test_single_pick_follows_the_weights_and_d_is_drawn_30_times_as_often_as_a():
    """One A, one B, one C and one D enterprise per stratum, quota 1: the pick is multinomial
    with probabilities w / sum(w) = 1/43, 2/43, 10/43, 30/43."""
    layout = "ABCD"
    pool, inspectors = _pool(layout, 200)
    params = D.DrawParams(plan_id="STAT-1", quota_mode="count", quota_count=1)
    counts = Counter()
    seeds = 60
    for seed in range(seeds):
        rnd = D.Randomness(secret=f"{seed:064x}", public_value=f"fixed public value {seed}",
                              public_value_source="test", **TIMES)
        record = D.run_draw(pool, params, rnd, inspectors=inspectors, engine="fast")
        for stratum in record["result"]["strata"]:
            s = int(stratum["stratum"].split("/C")[1])
            (chosen,) = stratum["selected"]
            counts[layout[_position(chosen[0], s)]] += 1
    n = seeds * 200
    weights = {c: Fraction(D.DEFAULT_CLASS_RATIOS[c]) for c in layout}
    expected = {c: float(w / sum(weights.values())) * n for c, w in weights.items()}
    stat, df = chi_square(counts, expected)
    assert df == 3
    assert chi2_sf(stat, df) > 0.001, (counts, expected, stat)
    ratio = counts["D"] / counts["A"]
    assert 25 < ratio < 36, ratio  # expected 30; the 99.9 % range for these counts is about 25-37


def test_inclusion_sets_follow_the_exact_es_probabilities():
    """Eight enterprises of mixed classes per stratum, quota 3: the frequencies of the 56
    possible selections match the exact successive-sampling probabilities (chi-square)."""
    layout = "AABBBCDD"
    pool, inspectors = _pool(layout, 150)
    params = D.DrawParams(plan_id="STAT-2", quota_mode="count", quota_count=3)
    seeds = 80
    observed = Counter()
    for seed in range(seeds):
        rnd = D.Randomness(secret=f"{seed + 1000:064x}", public_value=f"fixed public value {seed}",
                              public_value_source="test", **TIMES)
        record = D.run_draw(pool, params, rnd, inspectors=inspectors, engine="fast")
        for stratum in record["result"]["strata"]:
            s = int(stratum["stratum"].split("/C")[1])
            observed[tuple(sorted(_position(e[0], s) for e in stratum["selected"]))] += 1
    n = seeds * 150
    weights = [Fraction(D.DEFAULT_CLASS_RATIOS[c]) for c in layout]
    probs = es_set_probabilities(weights, 3)
    assert sum(probs.values()) == 1
    expected = {k: float(p) * n for k, p in probs.items()}
    stat, df = chi_square(observed, expected)
    assert df >= 15
    assert chi2_sf(stat, df) > 0.001, (stat, df)
    # and per enterprise: inclusion frequency against the exact inclusion probability
    for i in range(len(layout)):
        p_incl = float(sum(p for k, p in probs.items() if i in k))
        seen = sum(c for k, c in observed.items() if i in k)
        sd = math.sqrt(n * p_incl * (1 - p_incl))
        assert abs(seen - n * p_incl) < 4 * sd, (i, seen, n * p_incl)


def test_risk_quota_samples_each_class_at_about_its_ratio():
    """A realistic stratum (250 A, 600 B, 120 C, 30 D) in quota mode "risk": the quota is
    round(2.5 + 12 + 12 + 9) = 36, and over many seeds each class is drawn at about its ratio
    (successive sampling slightly under-includes the heaviest class)."""
    layout = "A" * 250 + "B" * 600 + "C" * 120 + "D" * 30
    rows = [(make_uscc("320505", j), "320505", "KP012", c) for j, c in enumerate(layout)]
    pool = D.Pool.from_rows(rows)
    params = D.DrawParams(plan_id="STAT-3")
    cls_of = {u: c for u, _d, _c, c in rows}
    drawn = Counter()
    seeds = 150
    for seed in range(seeds):
        rnd = D.Randomness(secret=f"{seed + 5000:064x}", public_value=f"fixed public value {seed}",
                              public_value_source="test", **TIMES)
        record = D.run_draw(pool, params, rnd, engine="reference",
                            inspectors=[("I1", "320505", ["KP012"], 0), ("I2", "320505", ["KP012"], 0)])
        (stratum,) = record["result"]["strata"]
        assert stratum["quota"] == 36
        drawn.update(cls_of[e[0]] for e in stratum["selected"])
    rate = {c: drawn[c] / (seeds * layout.count(c)) for c in "ABCD"}
    assert rate["A"] == pytest.approx(0.01, rel=0.25)
    assert rate["B"] == pytest.approx(0.02, rel=0.10)
    assert rate["C"] == pytest.approx(0.10, rel=0.10)
    assert rate["D"] == pytest.approx(0.30, rel=0.10)
    assert 22 < rate["D"] / rate["A"] < 38
