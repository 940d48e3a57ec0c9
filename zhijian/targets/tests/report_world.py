"""Fixed records for the quality-status report tests: the indicator world (``world.py``) plus test
items, signals, alerts, recall cases with progress, and the computed target values of 2026."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from . import world

D = dt.date


def _indicator_world():
    """``world.build`` with the complaints stored directly (its intake classifies the text, which
    trains the classifier the first time: a minute the report does not need)."""
    from zhijian.complaints.models import Case
    from zhijian.credit.models import Grade
    from zhijian.credit.services import current_method
    from zhijian.registry.tests.factories import make_enterprise
    from zhijian.risk.models import Incident, IncidentLevel
    from zhijian.spotcheck import models as sc

    cats = world.categories()
    plan = sc.Plan.objects.create(title="目标测试抽查计划", kind="routine", year=2026, period="2026",
                                  starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), division_id="320000",
                                  quota_mode="count", quota_count=1, status=sc.Plan.Status.PUBLISHED)
    ents = {}
    for i, (division, kind, tested, verdict, retest) in enumerate(world.SPOT_CHECKS):
        e = make_enterprise(division=division, name=f"目标测试企业{i}")
        ents.setdefault(division, e)
        sc.Task.objects.create(plan=plan, enterprise=e, category=cats[kind], division_id=division,
                               stratum=f"{division}/x", status=sc.Task.Status.CLOSED, verdict=verdict,
                               tested_on=tested, retest_verdict=retest)
    # complaints: (division, received, upheld, kind, decided, due)
    for i, (division, received, upheld, kind, decided, due) in enumerate([
            ("320505", D(2026, 2, 1), True, "complaint", D(2026, 2, 5), D(2026, 2, 10)),
            ("320505", D(2026, 2, 10), False, "complaint", D(2026, 2, 25), D(2026, 2, 20)),
            ("320583", D(2026, 5, 1), True, "complaint", None, D(2026, 5, 12)),
            ("320583", D(2026, 5, 2), True, "report", D(2026, 5, 6), D(2026, 5, 13))]):
        Case.objects.create(ticket=f"RPT{i}", kind=kind, channel="phone", received_on=received,
                            respondent_name="目标测试被投诉商店", facts="测试：商品质量问题。", division_id=division,
                            category=cats["consumer"], upheld=upheld, decided_on=decided, accept_due=due)
    # credit grades: (enterprise division, as_of, grade)
    method = current_method(D(2026, 1, 31))
    a, b = ents["320505"], ents["320583"]
    for ent, as_of, grade in [(a, D(2026, 1, 31), "AA"), (b, D(2026, 1, 15), "C"), (b, D(2026, 1, 31), "AAA"),
                              (a, D(2026, 2, 28), "B")]:
        Grade.objects.create(enterprise=ent, method=method, as_of=as_of, score=Decimal("80"), grade=grade,
                             risk_class="B", computed_at=timezone.now())
    # incidents: (division, occurred, level, status)
    tz = timezone.get_current_timezone()
    for n, (division, occurred, level, status) in enumerate([("320505", D(2026, 3, 5), "general", "confirmed"),
                                                             ("320583", D(2026, 4, 2), "larger", "confirmed"),
                                                             ("320583", D(2026, 4, 9), "major", "rejected")]):
        at = dt.datetime(occurred.year, occurred.month, occurred.day, 10, tzinfo=tz)
        Incident.objects.create(number=f"TGT{n}", enterprise=ents[division], category=cats["industrial"],
                                product_name="测试产品", occurred_at=at, division_id=division, place="测试路",
                                description="测试事故", channel="officer", reported_at=at,
                                level=IncidentLevel.objects.get(code=level), last_report_at=at, status=status)
    return cats


def build(officer):
    from zhijian.recall.models import ProgressReport, RecallCase
    from zhijian.risk.models import Alert, Signal, SignalDefinition
    from zhijian.spotcheck.models import Task, TestItem
    from zhijian.targets import services

    cats = _indicator_world()
    for task in Task.objects.filter(category__in=cats.values(), verdict="unqualified"):
        TestItem.objects.create(task=task, name="标签标识" if task.division_id == "320505" else "甲醛含量",
                                verdict="unqualified")
        TestItem.objects.create(task=task, name="外观", verdict="qualified")
    tz = timezone.get_current_timezone()
    definitions = list(SignalDefinition.objects.order_by("code")[:2])
    for i, (division, week, status) in enumerate([("320505", D(2026, 3, 2), "new"), ("320583", D(2026, 6, 1), "alerted"),
                                                  ("320102", D(2026, 9, 7), "dismissed")]):
        Signal.objects.create(definition=definitions[i % len(definitions)], category=cats["consumer"],
                              division_id=division, week=week, observed=9, statistic=5.1, threshold=4)
        Signal.objects.filter(week=week).update(status=status)
    for i, (division, level, published) in enumerate([("320500", "S", True), ("320583", "H", False),
                                                     ("320102", "M", True)]):
        a = Alert.objects.create(number=f"RPTA{i}", title=f"测试风险警示{i}", division_id=division,
                                 category=cats["consumer"], level=level, source="manual", owner=officer,
                                 published_at=timezone.now() if published else None)
        Alert.objects.filter(pk=a.pk).update(created=dt.datetime(2026, 4 + i, 10, 9, tzinfo=tz))
    producer = Task.objects.filter(division_id="320505").first().enterprise
    for i, (division, opened, status, scope, recovered) in enumerate([
            ("320505", D(2026, 3, 1), "recalling", 1200, 700), ("320583", D(2026, 7, 1), "closed", 500, 480),
            ("320102", D(2026, 8, 1), "investigating", 0, None)]):
        case = RecallCase.objects.create(number=f"RPTR{i}", title=f"测试召回{i}", division_id=division,
                                         producer=producer, product_description="测试产品 批次A",
                                         defect="测试缺陷", origin="defect_report", status=status,
                                         opened_on=opened, scope_quantity=Decimal(scope))
        if recovered is not None:
            ProgressReport.objects.create(case=case, reported_on=opened + dt.timedelta(days=20),
                                          recovered=Decimal(recovered // 2))
            ProgressReport.objects.create(case=case, reported_on=opened + dt.timedelta(days=40),
                                          recovered=Decimal(recovered))
    services.compute_values("202601", "202612")
    return cats
