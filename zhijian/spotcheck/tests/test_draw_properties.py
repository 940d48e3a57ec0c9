"""Property tests of the draw (hypothesis): for any pool, plan and inspector data the draw
never picks an ineligible entity, never exceeds a quota, never assigns a conflicted
inspector, gives every task at least two inspectors, does not depend on row order, and is
reproduced exactly by verify; one changed byte in the record or the pool is a mismatch."""
import random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from zhijian.spotcheck import draw as D
from zhijian.spotcheck.tests.draw_helpers import check_draw, check_shortage, draw_inputs

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run_or_shortage(inp, **kw):
    try:
        out = inp.run(**kw)
    except D.InspectorShortage as exc:
        check_shortage(inp, exc)
        event("inspector shortage")
        return None
    tasks = len(out[1]["result"]["tasks"])
    event("no task" if not tasks else "1-5 tasks" if tasks <= 5 else "more than 5 tasks")
    return out


@SETTINGS
@given(draw_inputs())
def test_draw_keeps_every_rule(inp):
    out = _run_or_shortage(inp)
    if out is None:
        return
    _pool, record = out
    check_draw(inp, record)


@SETTINGS
@given(draw_inputs(), st.randoms(use_true_random=False))
def test_draw_does_not_depend_on_the_order_of_any_input(inp, rnd):
    out = _run_or_shortage(inp)
    if out is None:
        return
    pool, record = out
    rows = list(inp.rows)
    rnd.shuffle(rows)
    shuffled = [list(x) for x in (inp.inspectors, inp.conflicts, inp.last, inp.exclusions)]
    for x in shuffled:
        rnd.shuffle(x)
    pool2, record2 = inp.run(rows=rows, inspectors=shuffled[0], conflicts=shuffled[1], last=shuffled[2],
                             exclusions=shuffled[3])
    assert pool2.to_bytes() == pool.to_bytes()
    assert D.record_bytes(record2) == D.record_bytes(record)


@SETTINGS
@given(draw_inputs(max_enterprises=12, max_inspectors=10), st.data())
def test_verify_reproduces_the_draw_and_catches_any_changed_byte(inp, data):
    out = _run_or_shortage(inp)
    if out is None:
        return
    pool, record = out
    record_file, pool_file = D.record_bytes(record), pool.to_bytes()
    assert D.verify(record_file, pool_file) == D.VerifyResult(True, "")
    which = data.draw(st.sampled_from(["record", "pool"]))
    target = bytearray(record_file if which == "record" else pool_file)
    pos = data.draw(st.integers(0, len(target) - 1))
    target[pos] = data.draw(st.integers(0, 255).filter(lambda b: b != target[pos]))
    if which == "record":
        result = D.verify(bytes(target), pool_file)
    else:
        result = D.verify(record_file, bytes(target))
    assert not result.match
    assert result.first_difference


@settings(max_examples=25, deadline=None)
@given(draw_inputs(max_enterprises=16))
def test_a_forged_result_with_a_fresh_hash_is_named_as_the_difference(inp):
    """Someone who edits the result and recomputes record_sha256 is still caught, with the
    stratum and position of the edit."""
    out = _run_or_shortage(inp)
    if out is None:
        return
    pool, record = out
    strata = [s for s in record["result"]["strata"] if s["selected"]]
    swappable = [s for s in strata if s["eligible"] and sum(s["eligible"]) > s["quota"]]
    if not swappable:
        return
    s = swappable[0]
    chosen = {e[0] for e in s["selected"]}
    cat = s["stratum"].split("/")[1]
    other = next(u for u, _d, c, _r in sorted(inp.rows) if c == cat and u not in chosen
                 and (u, c) not in {(x[0], x[1]) for x in inp.exclusions}
                 and f"{D.unit_code(int(_d), inp.params.strata_level):06d}/{c}" == s["stratum"])
    s["selected"][-1][0] = other
    result = D.verify(D.record_bytes(record), pool.to_bytes())
    assert not result.match
    assert result.first_difference.startswith(f"stratum {s['stratum']}: expected ")
    assert f"at position {len(s['selected'])}, record has {other}" in result.first_difference


def test_row_order_of_a_big_pool_changes_nothing():
    """The same invariance on a pool big enough for the fast path (>= 20,000 rows)."""
    from zhijian.spotcheck.tests.test_draw_fast import big_inputs

    pool, params, rnd, kw = big_inputs(25_000)
    record = D.run_draw(pool, params, rnd, **kw)
    rows = list(pool.rows())
    random.Random(5).shuffle(rows)
    record2 = D.run_draw(D.Pool.from_rows(rows), params, rnd, **kw)
    assert D.record_bytes(record2) == D.record_bytes(record)


@pytest.mark.parametrize("k", [2, 3])
def test_at_least_two_inspectors_is_enforced_by_the_parameters(k):
    with pytest.raises(D.DrawError, match="at least 2"):
        D.DrawParams(plan_id="P", inspectors_per_task=1).validate()
    D.DrawParams(plan_id="P", inspectors_per_task=k).validate()
