"""Fixed records for the indicator tests (hand-counted in test_indicators.py).

Spot checks, complaints, credit grades, incidents and recall cases of 2026 in 苏州 (虎丘区 320505 and 昆山
320583) and 南京 (玄武区 320102)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from zhijian.registry.models import Division, ProductCategory

D = dt.date


def categories():
    out = {}
    for kind in ("agricultural", "industrial", "consumer"):
        out[kind], _ = ProductCategory.objects.get_or_create(code=f"TGT-{kind[:3].upper()}",
                                                             defaults={"name": f"目标测试{kind}", "kind": kind})
    return out


# (division, kind, tested_on, verdict, retest_verdict)
SPOT_CHECKS = [
    ("320505", "agricultural", D(2026, 1, 10), "qualified", ""),
    ("320505", "agricultural", D(2026, 2, 3), "qualified", ""),
    ("320505", "agricultural", D(2026, 2, 20), "unqualified", ""),
    ("320583", "agricultural", D(2026, 3, 15), "qualified", ""),
    ("320102", "agricultural", D(2026, 1, 20), "unqualified", ""),
    ("320505", "agricultural", D(2026, 4, 5), "qualified", ""),
    ("320505", "industrial", D(2026, 3, 1), "unqualified", "qualified"),   # the re-test stands
    ("320505", "industrial", D(2026, 3, 2), "qualified", ""),
    ("320583", "consumer", D(2026, 5, 1), "unqualified", ""),
    ("320583", "consumer", None, "", ""),                                  # not tested yet
]


def build():
    from zhijian.complaints import services as complaints
    from zhijian.complaints.models import Case
    from zhijian.credit.models import Grade
    from zhijian.credit.services import current_method
    from zhijian.registry.tests.factories import make_enterprise
    from zhijian.risk.models import Incident, IncidentLevel
    from zhijian.spotcheck import models as sc

    cats = categories()
    plan = sc.Plan.objects.create(title="目标测试抽查计划", kind="routine", year=2026, period="2026",
                                  starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), division_id="320000",
                                  quota_mode="count", quota_count=1, status=sc.Plan.Status.PUBLISHED)
    ents = {}
    for i, (division, kind, tested, verdict, retest) in enumerate(SPOT_CHECKS):
        e = make_enterprise(division=division, name=f"目标测试企业{i}")
        ents.setdefault(division, e)
        sc.Task.objects.create(plan=plan, enterprise=e, category=cats[kind], division_id=division,
                               stratum=f"{division}/x", status=sc.Task.Status.CLOSED, verdict=verdict,
                               tested_on=tested, retest_verdict=retest)
    # complaints: (division, received, upheld, kind)
    for division, received, upheld, kind in [("320505", "2026-02-01", True, "complaint"),
                                             ("320505", "2026-02-10", False, "complaint"),
                                             ("320583", "2026-05-01", True, "complaint"),
                                             ("320583", "2026-05-02", True, "report")]:
        case, _code = complaints.receive(
            {"kind": kind, "channel": "phone", "complainant_name": "目标测试投诉人",
             "complainant_phone": "13800000000", "complainant_address": "测试路1号",
             "respondent_name": "目标测试被投诉商店", "facts": "测试：商品质量问题。", "request": "退货",
             "received_on": received}, division=Division.objects.get(pk=division))
        Case.objects.filter(pk=case.pk).update(upheld=upheld)
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
    # recall cases: (division, opened, decided (None: still under investigation), kind, status)
    from zhijian.recall.models import RecallCase

    for n, (division, opened, decided, kind, status) in enumerate([
            ("320505", D(2026, 2, 1), D(2026, 3, 10), "voluntary", "recalling"),
            ("320583", D(2026, 3, 20), D(2026, 4, 28), "ordered", "closed"),
            ("320583", D(2026, 5, 2), None, "", "investigating"),
            ("320102", D(2026, 6, 1), D(2026, 6, 30), "ordered", "recalling")]):
        RecallCase.objects.create(number=f"TGT-R{n}", title="测试召回", division_id=division,
                                  producer=ents[division], product_description="测试产品",
                                  defect="测试缺陷", origin="defect_report", opened_on=opened,
                                  decided_on=decided, kind=kind, status=status)
    build_awards()
    return cats


# --------------------------------------------------------------------------- awards, brands, zones
# granted award applications: (division, kind, year, decision date); one draft and one rejected
# application that do not count; brands: (division, kind, year, recognised on, valid until);
# zones: (division, kind, status, year, approved on). Hand counts in test_awards.py.
AWARDS = [
    ("320505", "jiangsu_quality_award", 2026, D(2026, 3, 10)),
    ("320583", "jiangsu_quality_award", 2026, D(2026, 3, 20)),
    ("320102", "china_quality_award", 2026, D(2026, 6, 1)),
    ("320583", "city_quality_award", 2026, D(2026, 2, 5)),
]
BRANDS = [
    ("320505", "well_known_trademark", 2025, None, None),                 # in force all 2026
    ("320583", "well_known_trademark", 2026, D(2026, 4, 2), None),        # from April
    ("320583", "jiangsu_famous_brand", 2026, D(2026, 1, 5), D(2026, 5, 31)),  # January–May
    ("320102", "service_brand", 2026, D(2026, 2, 1), None),
    ("320505", "geographical_indication", 2026, None, None),              # from January
]
ZONES = [
    ("320500", "quality_city", "approved", 2026, D(2026, 5, 15)),
    ("320583", "quality_product_zone", "approved", 2026, None),
    ("320100", "brand_zone", "candidate", 2026, None),                  # not approved: not counted
]


def build_awards():
    from zhijian.registry.tests.factories import make_enterprise
    from zhijian.targets.models import AwardApplication, Brand, DemonstrationZone

    for n, (division, kind, year, decided) in enumerate(AWARDS):
        AwardApplication.objects.create(enterprise=make_enterprise(division=division, name=f"获奖测试企业{n}"),
                                        kind=kind, year=year, title=f"申报{n}", status="granted",
                                        decision_date=decided, decision_number=f"苏质奖〔2026〕{n}号")
    e = make_enterprise(division="320505", name="未获奖测试企业")
    AwardApplication.objects.create(enterprise=e, kind="jiangsu_quality_award", year=2026, title="草稿",
                                    status="draft")
    AwardApplication.objects.create(enterprise=e, kind="china_quality_award", year=2026, title="未通过",
                                    status="rejected", decision_date=D(2026, 3, 1), decision_number="x")
    for n, (division, kind, year, on, until) in enumerate(BRANDS):
        Brand.objects.create(name=f"测试品牌{n}", kind=kind, division_id=division, year=year, recognised_on=on,
                             valid_until=until)
    for n, (division, kind, status, year, on) in enumerate(ZONES):
        DemonstrationZone.objects.create(name=f"测试示范区{n}", kind=kind, division_id=division, status=status,
                                         year=year, approved_on=on)
