"""Demo awards, brands and demonstration zones for ``make run`` (issue 12 §3).

Award applications of Suzhou enterprises at several steps — a draft, one found eligible, one
under review, a Jiangsu Quality Award granted and its reward paid, a city award granted (a step
is skipped when the enterprise's check fails) — recognised brands and demonstration zones. Dated
relative to the day it is loaded; loaded once (nothing is added when applications exist).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Enterprise

from . import award_services as svc
from .models import AwardApplication, Brand, DemonstrationZone

BRANDS = [("苏绣", "geographical_indication", "320505"), ("阳澄湖大闸蟹", "geographical_indication", "320583"),
          ("演示电器", "well_known_trademark", None), ("演示纺织", "jiangsu_famous_brand", None),
          ("演示物流", "service_brand", None), ("演示光电", "international_brand", None)]
ZONES = [("苏州市全国质量强市示范城市", "quality_city", "320500", "approved"),
         ("昆山市全国知名品牌示范区", "brand_zone", "320583", "candidate"),
         ("南京市江苏省优质产品生产示范区", "quality_product_zone", "320100", "approved")]


def load(province, officer, *, today: dt.date | None = None) -> dict[str, int]:
    """``province``: the province administrator; ``officer``: a Suzhou city officer."""
    today = today or timezone.localdate()
    if AwardApplication.objects.exists():
        return {"award applications": 0, "brands": 0, "demonstration zones": 0}
    ents = list(Enterprise.objects.filter(division__pk__startswith="3205").order_by("uscc")[:8])
    if len(ents) < 6:
        return {"award applications": 0, "brands": 0, "demonstration zones": 0}
    year = today.year
    with transaction.atomic():
        def app(e, kind, title):
            return AwardApplication.objects.create(enterprise=e, kind=kind, year=year, title=title,
                                                   documents="自评报告\n卓越绩效自评材料\n近三年质量信用证明")

        app(ents[0], "jiangsu_quality_award", "卓越绩效模式导入与实践（草稿）")
        a = app(ents[1], "jiangsu_quality_award", "以质取胜的智能制造实践")
        svc.submit(a, officer)
        svc.check_eligibility(a, officer, on=today)
        b = app(ents[2], "china_quality_award_nomination", "全面质量管理推进")
        svc.submit(b, officer)
        b = svc.check_eligibility(b, officer, on=today)
        if b.status == AwardApplication.Status.ELIGIBLE:
            svc.start_review(b, province)
        c = app(ents[3], "jiangsu_quality_award", "质量强企的三十年")
        svc.submit(c, officer)
        c = svc.check_eligibility(c, officer, on=today - dt.timedelta(days=40))
        if c.status == AwardApplication.Status.ELIGIBLE:
            svc.start_review(c, province)
            svc.decide(c, province, grant=True, on=today - dt.timedelta(days=30), number=f"苏政发〔{year}〕演示号",
                       payment_due=today + dt.timedelta(days=60))
            svc.record_payment(c, province, paid_on=today - dt.timedelta(days=5), voucher="DEMO-PZ-0001")
        d = app(ents[4], "city_quality_award", "苏州市市长质量奖申报")
        svc.submit(d, officer)
        d = svc.check_eligibility(d, officer, on=today)
        if d.status == AwardApplication.Status.ELIGIBLE:
            svc.start_review(d, officer)
            svc.decide(d, officer, grant=True, on=today - dt.timedelta(days=3), number=f"苏府〔{year}〕演示号")
        n_brands = 0
        for i, (name, kind, division) in enumerate(BRANDS):
            e = None if division else ents[min(5 + i % 3, len(ents) - 1)]
            on = dt.date(year - i % 3, 1 + i, 10)
            Brand.objects.create(name=name, kind=kind, enterprise=e, division_id=division or e.division_id,
                                 year=on.year, recognised_on=on if on <= today else None)
            n_brands += 1
        for name, kind, division, status in ZONES:
            DemonstrationZone.objects.create(name=name, kind=kind, division_id=division, status=status,
                                             year=year - 1 if status == "approved" else year,
                                             approved_on=dt.date(year - 1, 11, 20) if status == "approved" else None)
    return {"award applications": 5, "brands": n_brands, "demonstration zones": len(ZONES)}
