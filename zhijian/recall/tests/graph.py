"""A small traceability graph the recall tests share (hand-drawn, so scopes can be counted by hand).

    supplier S: cell lots C1 (1000), C2 (500)
    producer P: power-bank lots B1 (800) from C1 + C2, B2 (400) from C2
    distributor D: received D1 (500) of B1, D2 (400) of B2
    retailers R1, R2: R1a (300) of D1, R2a (200) of D1, R2b (100) of B1 (direct) and of D2 (many-to-many)

    C1 ─input→ B1 ─ship→ D1 ─ship→ R1a
    C2 ─input→ B1 ─ship→ R2b       D1 ─ship→ R2a
    C2 ─input→ B2 ─ship→ D2 ─ship→ R2b
"""
import datetime as dt
from decimal import Decimal

from zhijian.recall.models import Lot, Movement
from zhijian.registry.tests.factories import make_enterprise


def build_graph(division="320505"):
    ops = {
        "S": make_enterprise("320505", name="电芯供应有限公司"),
        "P": make_enterprise(division, name="移动电源制造有限公司"),
        "D": make_enterprise("320506", name="数码批发有限公司"),
        "R1": make_enterprise("320506", name="便利零售一店"),
        "R2": make_enterprise("310101", name="上海零售二店"),
    }
    spec = {"C1": ("S", 1000), "C2": ("S", 500), "B1": ("P", 800), "B2": ("P", 400), "D1": ("D", 500),
            "D2": ("D", 400), "R1a": ("R1", 300), "R2a": ("R2", 200), "R2b": ("R2", 100)}
    lots = {code: Lot.objects.create(code=code, operator=ops[op], quantity=Decimal(q), unit="个",
                                     produced_on=dt.date(2026, 3, 2))
            for code, (op, q) in spec.items()}
    edges = [("C1", "B1", "input"), ("C2", "B1", "input"), ("C2", "B2", "input"), ("B1", "D1", "shipment"),
             ("B2", "D2", "shipment"), ("D1", "R1a", "shipment"), ("D1", "R2a", "shipment"),
             ("B1", "R2b", "shipment"), ("D2", "R2b", "shipment")]
    moves = {(a, b): Movement.objects.create(source=lots[a], target=lots[b], kind=k,
                                             quantity=lots[b].quantity, moved_on=dt.date(2026, 3, 9))
             for a, b, k in edges}
    return ops, lots, moves
