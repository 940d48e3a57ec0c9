"""Demo traceability graph and recall case for ``make run`` (deterministic; dated relative to today).

A power-bank producer (the demo enterprise account's enterprise) makes two lots from a supplier's
cell lots and ships them to two distributors and on to retailers; one lot is recalled voluntarily
through the real services: scope from the graph, plan registered and sent, a progress report and
the notice on the portal.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Enterprise

from . import services as svc
from .models import Lot, Movement, RecallCase


def _workday_before(cal, day: dt.date) -> dt.date:
    while not cal.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


@transaction.atomic
def load(officer, *, producer: Enterprise | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Create the demo graph and case (nothing when lots exist already)."""
    from zhijian.deadlines.services import WorkdayCalendar

    if Lot.objects.exists():
        return {"lots": 0, "movements": 0, "recall cases": 0}
    today = today or timezone.localdate()
    cal = WorkdayCalendar.load()
    others = list(Enterprise.objects.filter(division__pk__startswith="32").exclude(pk=getattr(producer, "pk", None))
                  .order_by("pk")[:6])
    if producer is None:
        producer, others = others[0], others[1:]
    if len(others) < 5:
        return {"lots": 0, "movements": 0, "recall cases": 0}
    supplier, dist_a, dist_b, shop_a, shop_b = others[:5]
    made = today - dt.timedelta(days=120)
    spec = [("CELL-2405-A", supplier, 2000, "电芯"), ("CELL-2405-B", supplier, 1000, "电芯"),
            ("PB-2406-01", producer, 1500, "移动电源 10000mAh"), ("PB-2406-02", producer, 1200, "移动电源 10000mAh"),
            ("WH-A-0601", dist_a, 900, "移动电源 10000mAh"), ("WH-B-0603", dist_b, 600, "移动电源 10000mAh"),
            ("WH-B-0611", dist_b, 700, "移动电源 10000mAh"), ("SHOP-A-17", shop_a, 300, "移动电源 10000mAh"),
            ("SHOP-B-09", shop_b, 250, "移动电源 10000mAh")]
    lots = {code: Lot.objects.create(code=code, operator=op, quantity=Decimal(q), unit="个", description=desc,
                                     produced_on=made)
            for code, op, q, desc in spec}
    edges = [("CELL-2405-A", "PB-2406-01", "input", 1500), ("CELL-2405-B", "PB-2406-01", "input", 500),
             ("CELL-2405-B", "PB-2406-02", "input", 500), ("PB-2406-01", "WH-A-0601", "shipment", 900),
             ("PB-2406-01", "WH-B-0603", "shipment", 600), ("PB-2406-02", "WH-B-0611", "shipment", 700),
             ("WH-A-0601", "SHOP-A-17", "shipment", 300), ("WH-B-0603", "SHOP-B-09", "shipment", 250)]
    for i, (a, b, kind, q) in enumerate(edges):
        Movement.objects.create(source=lots[a], target=lots[b], kind=kind, quantity=Decimal(q),
                                moved_on=made + dt.timedelta(days=7 + 3 * i), document=f"DN{made:%y%m}{i + 1:03d}")
    opened = _workday_before(cal, today - dt.timedelta(days=40))
    now = timezone.now()
    case = svc.open_case(officer, producer=producer, title="移动电源电芯过热召回",
                         product_description="移动电源 10000mAh（批次 PB-2406-01）",
                         defect="部分电芯隔膜缺陷，充电时可能过热起火。", hazard="fire", lots=[lots["PB-2406-01"]],
                         on=opened, now=now)
    svc.record_investigation(case, officer, text="抽取同批次样品 20 件检测，3 件充电温升超标。", now=now)
    svc.start_voluntary_recall(case, officer, on=_workday_before(cal, opened + dt.timedelta(days=3)), now=now)
    svc.compute_scope(case, officer, now=now)
    svc.register_plan(case, officer, plan="停止销售，向消费者免费退换，回收产品集中销毁。",
                      on=_workday_before(cal, opened + dt.timedelta(days=6)), now=now)
    svc.send_plan(case, officer, on=_workday_before(cal, opened + dt.timedelta(days=7)), now=now)
    svc.report_progress(case, officer, on=_workday_before(cal, opened + dt.timedelta(days=21)), now=now,
                        located=Decimal(1100), recovered=Decimal(820), destroyed=Decimal(500),
                        text="经销商已下架，消费者退换 820 件。")
    svc.publish_notice(case, officer, title="关于召回部分移动电源的公告",
                       text="部分批次移动电源电芯存在缺陷，充电时可能过热起火。请立即停止使用，联系销售者免费退换。",
                       now=now)
    return {"lots": len(lots), "movements": len(edges), "recall cases": RecallCase.objects.count()}
