"""The recursive trace: forward and backward, many-to-many, depth limits, cycles."""
import pytest
from django.db import connection

from zhijian.recall import trace as T
from zhijian.recall.models import Lot, Movement

from .graph import build_graph

pytestmark = pytest.mark.django_db


def codes(result, lots):
    by_id = {lot.pk: code for code, lot in lots.items()}
    return {by_id[i]: d for i, d in result.lots.items()}


def test_forward_trace_reaches_every_descendant_with_its_minimum_depth():
    _, lots, _ = build_graph()
    result = T.trace_lots([lots["C2"].pk], T.FORWARD)
    # R2b is reached from B1 at depth 2 and through B2 → D2 at depth 3: the minimum counts
    assert codes(result, lots) == {"C2": 0, "B1": 1, "B2": 1, "D1": 2, "R2b": 2, "D2": 2, "R1a": 3, "R2a": 3}
    assert len(result.edges) == 8  # every movement out of a reached lot except C1 → B1
    assert {(e.source, e.target) for e in result.edges} >= {(lots["D2"].pk, lots["R2b"].pk)}


def test_backward_trace_finds_every_ancestor():
    _, lots, _ = build_graph()
    result = T.trace_lots([lots["R2b"].pk], T.BACKWARD)
    assert codes(result, lots) == {"R2b": 0, "B1": 1, "D2": 1, "C1": 2, "C2": 2, "B2": 2}
    kinds = sorted(e.kind for e in result.edges)
    assert kinds == ["input", "input", "input", "shipment", "shipment", "shipment"]


def test_depth_limit():
    _, lots, _ = build_graph()
    assert codes(T.trace_lots([lots["C1"].pk], T.FORWARD, max_depth=1), lots) == {"C1": 0, "B1": 1}
    assert codes(T.trace_lots([lots["C1"].pk], T.FORWARD, max_depth=0), lots) == {"C1": 0}
    two = T.trace_lots([lots["C1"].pk], T.FORWARD, max_depth=2)
    assert codes(two, lots) == {"C1": 0, "B1": 1, "D1": 2, "R2b": 2}
    # only movements out of lots above the limit are traversed
    assert {e.source for e in two.edges} == {lots["C1"].pk, lots["B1"].pk}


def test_several_seeds_and_an_empty_trace():
    _, lots, _ = build_graph()
    result = T.trace_lots([lots["D1"].pk, lots["D2"].pk], T.FORWARD)
    assert codes(result, lots) == {"D1": 0, "D2": 0, "R1a": 1, "R2a": 1, "R2b": 1}
    assert T.trace_lots([], T.FORWARD).lots == {}
    with pytest.raises(ValueError):
        T.trace_lots([lots["D1"].pk], "sideways")


def test_a_cycle_is_guarded():
    ops, lots, _ = build_graph()
    # a return: R1a goes back to the distributor as D1's lot, and D1 back to the producer's B1
    Movement.objects.create(source=lots["R1a"], target=lots["D1"], kind="return", quantity=10)
    Movement.objects.create(source=lots["D1"], target=lots["B1"], kind="return", quantity=10)
    result = T.trace_lots([lots["B1"].pk], T.FORWARD)
    assert codes(result, lots) == {"B1": 0, "D1": 1, "R2b": 1, "R1a": 2, "R2a": 2}
    assert result.max_depth == T.MAX_DEPTH
    back = T.trace_lots([lots["D1"].pk], T.BACKWARD)
    assert set(codes(back, lots)) == {"D1", "B1", "R1a", "C1", "C2"}


def test_a_long_chain_and_a_tight_cycle_finish():
    ops, lots, _ = build_graph()
    chain = [Lot.objects.create(code=f"X{i}", operator=ops["D"], quantity=1) for i in range(40)]
    for a, b in zip(chain, chain[1:]):
        Movement.objects.create(source=a, target=b, kind="repack", quantity=1)
    Movement.objects.create(source=chain[-1], target=chain[0], kind="repack", quantity=1)
    result = T.trace_lots([chain[0].pk], T.FORWARD)
    assert len(result.lots) == 40 and result.lots[chain[-1].pk] == 39
    assert len(T.trace_lots([chain[0].pk], T.FORWARD, max_depth=5).lots) == 6


def test_the_same_sql_runs_on_a_raw_cursor():
    _, lots, _ = build_graph()
    with connection.cursor() as cursor:
        result = T.trace(cursor, [lots["B2"].pk], T.FORWARD)
    assert codes(result, lots) == {"B2": 0, "D2": 1, "R2b": 2}
