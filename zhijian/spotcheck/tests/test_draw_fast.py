"""The fast path (numpy + compiled kernels) gives byte-identical records to the reference
path (hashlib, row by row), on random inputs and on a pool big enough for every kernel."""
import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from zhijian.spotcheck import draw as D
from zhijian.spotcheck import draw_fast as F
from zhijian.spotcheck.tests.draw_helpers import TIMES, check_draw, check_shortage, draw_inputs


def big_inputs(n_enterprises: int, seed: int = 7):
    """A generated pool (counties of Suzhou and Nanjing, 40 categories, 1-2 categories per
    enterprise) with inspectors, conflicts, last inspectors and exclusions."""
    from zhijian.registry.identifiers import make_uscc

    rng = np.random.default_rng(seed)
    counties = ["320102", "320104", "320105", "320505", "320506", "320507", "320508", "320509"]
    cats = [f"KP{i:03d}" for i in range(1, 41)]
    rows, seen = [], set()
    for _ in range(n_enterprises):
        d = counties[rng.integers(len(counties))]
        u = make_uscc(d, int(rng.integers(10 ** 8)))
        if u in seen:
            continue
        seen.add(u)
        cls = "ABCD"[rng.choice(4, p=[0.25, 0.6, 0.12, 0.03])]
        for c in rng.choice(len(cats), 1 + int(rng.integers(2)), replace=False):
            rows.append((u, d, cats[c], cls))
    pool = D.Pool.from_rows(rows)
    inspectors = []
    for j in range(300):
        div = counties[j % len(counties)] if j % 5 else ["320500", "320100"][j % 2]
        inspectors.append((f"JS{j:05d}", div, sorted(rng.choice(cats, 15, replace=False).tolist()),
                           int(rng.integers(4))))
    inspectors += [(f"PR{j:02d}", "320000", cats, 0) for j in range(6)]
    usccs = sorted({r[0] for r in rows})
    ids = [i[0] for i in inspectors]
    kw = dict(
        exclusions=[(rows[i][0], rows[i][2], "NAT-2026-Q2") for i in rng.choice(len(rows), 50, replace=False)],
        inspectors=inspectors,
        conflicts=[(ids[rng.integers(len(ids))], usccs[rng.integers(len(usccs))]) for _ in range(400)],
        last_inspectors=[(usccs[rng.integers(len(usccs))], ids[rng.integers(len(ids))]) for _ in range(800)],
    )
    params = D.DrawParams(plan_id="JS-2026-Q2-R01", quota_mode="ratio", quota_ratio="0.05")
    rnd = D.Randomness("ab" * 32, "FC3D 2026118: 3 7 1", "China Welfare Lottery", **TIMES)
    return pool, params, rnd, kw


@pytest.fixture(scope="module")
def big():
    return big_inputs(25_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draw_inputs(max_enterprises=30))
def test_fast_equals_reference_on_random_inputs(inp):
    try:
        _pool, ref = inp.run(engine="reference")
    except D.InspectorShortage as exc:
        check_shortage(inp, exc)
        with pytest.raises(D.InspectorShortage):
            inp.run(engine="fast")
        return
    _pool, fast = inp.run(engine="fast")
    assert D.record_bytes(fast) == D.record_bytes(ref)


def test_fast_equals_reference_on_a_big_pool(big):
    pool, params, rnd, kw = big
    assert len(pool) > D.FAST_THRESHOLD
    fast = D.run_draw(pool, params, rnd, engine="fast", **kw)
    ref = D.run_draw(pool, params, rnd, engine="reference", **kw)
    assert len(fast["result"]["tasks"]) > 200  # the compiled assignment ran
    assert D.record_bytes(fast) == D.record_bytes(ref)
    assert D.verify(D.record_bytes(fast), pool.to_bytes(), engine="fast").match


@pytest.mark.parametrize("mode", [dict(quota_mode="risk"), dict(quota_mode="count", quota_count=3),
                                  dict(quota_mode="risk", strata_level="city", risk_weighting=False,
                                       min_per_stratum=0, inspector_area="county"),
                                  dict(quota_mode="ratio", quota_ratio="0.02", strata_level="province",
                                       quota_overrides={"320000/KP007": 11, "320000/KP008": 0})])
def test_fast_equals_reference_in_every_mode(big, mode):
    pool, params, rnd, kw = big
    params = D.DrawParams(plan_id="JS-2026-Q2-R02", **mode)
    fast = D.run_draw(pool, params, rnd, engine="fast", **kw)
    ref = D.run_draw(pool, params, rnd, engine="reference", **kw)
    assert D.record_bytes(fast) == D.record_bytes(ref)
    if "quota_overrides" in mode:
        quotas = {s["stratum"]: s["quota"] for s in fast["result"]["strata"]}
        assert quotas["320000/KP007"] == 11 and quotas["320000/KP008"] == 0


def test_exact_reordering_path_gives_the_same_draw(big, monkeypatch):
    """With the near-tie threshold at 1 every neighbour pair is re-compared with 60-digit
    decimals (and every stratum of the fast path is redone from all its rows): the result is
    the same as ordering by doubles, on both paths."""
    pool, params, rnd, kw = big
    small = D.Pool.from_rows(list(pool.rows())[:D.FAST_THRESHOLD + 500])
    plain = D.record_bytes(D.run_draw(small, params, rnd, engine="fast", **kw))
    monkeypatch.setattr(D, "NEAR_TIE", 1.0)
    assert D.record_bytes(D.run_draw(small, params, rnd, engine="fast", **kw)) == plain
    assert D.record_bytes(D.run_draw(small, params, rnd, engine="reference", **kw)) == plain


def test_hash_kernel_matches_hashlib_on_every_row(big):
    pool, *_ = big
    seed = "5f" * 32
    h = F.entity_hashes(seed, pool.uscc, pool.category, pool.categories)
    for r in range(0, len(pool), 97):
        digest = hashlib.sha256((seed + pool.uscc[r].decode() + pool.categories[pool.category[r]]).encode()).digest()
        assert int(h[r]) == int.from_bytes(digest[:8], "big")


def test_hash_kernel_handles_category_codes_up_to_32_characters():
    cats = sorted(["K", "KP012", "X" * 32, "a.b_c-d" * 4])
    uscc = np.array([b"91320505000010057L"] * len(cats), dtype="S18")
    seed = "00" * 32
    h = F.entity_hashes(seed, uscc, np.arange(len(cats), dtype=np.int32), cats)
    for i, c in enumerate(cats):
        digest = hashlib.sha256((seed + "91320505000010057L" + c).encode()).digest()
        assert int(h[i]) == int.from_bytes(digest[:8], "big")


def test_fast_pool_file_and_hash_equal_the_reference(big):
    pool, *_ = big
    reference = D.POOL_HEADER + "".join(f"{u},{d},{c},{r}\n" for u, d, c, r in pool.rows()).encode()
    assert pool.to_bytes() == reference
    assert F.pool_sha256(D.POOL_HEADER, pool.uscc, pool.division, pool.category, pool.categories,
                         pool.risk, chunk_rows=1000) == hashlib.sha256(reference).hexdigest()
    fresh = D.Pool.from_rows(list(pool.rows()))
    assert fresh.sha256 == hashlib.sha256(reference).hexdigest()


def test_fast_check_finds_the_same_first_bad_row_as_numpy(big):
    pool, *_ = big
    order = np.arange(len(pool))
    order[[1234, 1235]] = [1235, 1234]  # two neighbouring rows swapped
    cols = [pool.uscc[order], pool.division[order], pool.category[order], pool.categories, pool.risk[order]]
    assert len(pool) >= D.FAST_THRESHOLD  # checked by the compiled kernel
    with pytest.raises(D.PoolFormatError, match="line 1237: rows not in canonical order"):
        D.Pool._build(*cols, presorted=True, line_base=2)
    part = [c[1000:1500] if i != 3 else c for i, c in enumerate(cols)]  # checked by numpy
    with pytest.raises(D.PoolFormatError, match="line 237: rows not in canonical order"):
        D.Pool._build(*part, presorted=True, line_base=2)


def test_check_records_a_full_draw_of_the_big_pool(big):
    """The independent checker of the property tests agrees with a fast draw at scale."""
    from zhijian.spotcheck.tests.draw_helpers import DrawInput

    pool, params, rnd, kw = big
    record = D.run_draw(pool, params, rnd, engine="fast", **kw)
    inp = DrawInput(list(pool.rows()), params, rnd, kw["exclusions"], kw["inspectors"],
                    kw["conflicts"], kw["last_inspectors"])
    check_draw(inp, record)
