"""Demo enforcement cases for ``make run``: a few cases in several states, taken through the real
services and dated relative to the day the demo is loaded.

A province administrator proposes, a 苏州 officer approves (filing needs a second officer). The
demo enterprise account's enterprise gets an ordinary decision whose fine is overdue, so that
the enterprise sees a decision and the dashboard shows the late-payment surcharge.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Enterprise

from . import services as S
from .models import Case

VIOLATION = "生产销售不符合保障人身、财产安全的国家标准的产品"
BASIS = "《中华人民共和国产品质量法》第四十九条"


@transaction.atomic
def load(proposer, approver, *, enterprise=None, today: dt.date | None = None) -> dict:
    """Create the demo cases (nothing when cases exist already); returns counts by status."""
    if Case.objects.exists():
        return {}
    today = today or timezone.localdate()
    prefix = approver.profile.division_id[:4]
    pool = list(Enterprise.objects.filter(division__code__startswith=prefix).order_by("pk")[:12])
    if enterprise is not None:
        pool = [enterprise] + [e for e in pool if e.pk != enterprise.pk]
    if len(pool) < 6:
        return {}
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731

    def filed(ent, title, proposed_ago, origin="tip_off"):
        case = S.open_case(proposer, enterprise=ent, division=ent.division, title=title,
                           facts=f"{ent.name}涉嫌{title}，经核查线索属实。", origin=origin, on=day(proposed_ago))
        case = S.approve_filing(case, approver, on=day(proposed_ago))
        S.add_evidence(case, approver, kind="onsite_record", description="现场检查笔录及照片", collected_on=day(proposed_ago),
                       collected_by="执法人员甲、乙")
        S.add_evidence(case, approver, kind="expert", description="检验检测报告（不合格）", collected_on=day(proposed_ago - 3),
                       collected_by="检验机构")
        return case

    def notice(case, ago, kinds, fine, **kw):
        return S.notify(case, approver, number=f"{case.number}-告", on=day(ago), kinds=kinds, fine=fine,
                        penalty=f"拟{'、'.join(kinds)}；罚款 {fine} 元", **kw)

    # 1. filing proposed
    S.open_case(proposer, enterprise=pool[1], division=pool[1].division, title="产品标识不符合规定",
                facts="消费者举报产品无中文厂名厂址。", origin="tip_off", on=day(3))
    # 2. under investigation; 3. past the 90-day decision deadline
    filed(pool[2], "以次充好", 20, origin="inspection")
    filed(pool[3], "伪造产品产地", 100)
    # 4. ordinary decision against the demo enterprise: fine unpaid, decision not yet published
    case = notice(filed(pool[0], "生产销售不合格电热水器", 100), 60, ["fine"], 20000)
    S.record_statement(case, approver, on=day(57), text="对事实无异议，请求从轻处罚。")
    S.decide(case, approver, number=f"{case.division.name[:2]}市监罚〔{day(40).year}〕{case.pk}号", on=day(40),
             kinds=["fine"], fine=20000, violation=VIOLATION, penalty="罚款 20000 元", legal_basis=BASIS,
             severity="ordinary")
    # 5. heavy decision after a hearing: published, paid, executed and closed
    case = notice(filed(pool[4], "生产销售不合格电动自行车电池", 200), 150, ["fine", "suspension"], 150000)
    S.request_hearing(case, proposer, on=day(149))
    hearing = S.earliest_hearing(day(148))
    S.notify_hearing(case, approver, on=day(148), hearing_date=hearing)
    S.hold_hearing(case, approver, on=hearing, record="当事人到场陈述申辩，承认违法事实。")
    decided = hearing + dt.timedelta(days=3)
    decision = S.decide(case, approver, number=f"{case.division.name[:2]}市监罚〔{decided.year}〕{case.pk}号",
                        on=decided, kinds=["fine", "suspension"], fine=120000, violation=VIOLATION,
                        penalty="罚款 120000 元，责令停产停业整顿", legal_basis=BASIS, severity="heavy")
    S.publish(decision, approver, on=decided + dt.timedelta(days=5))
    S.record_payment(decision, approver, on=decided + dt.timedelta(days=10), amount=120000)
    S.record_execution(decision, approver, on=decided + dt.timedelta(days=12), note="停产停业整顿 30 日，复查合格。")
    S.close_case(case, approver, on=decided + dt.timedelta(days=45))
    # 6. transferred to the public security organ, the administrative case suspended
    case = filed(pool[5], "生产销售伪劣产品，货值金额巨大", 30)
    S.transfer(case, approver, organ_kind="public_security", organ_name=f"{case.division.name}公安局",
               suspected_crime="生产、销售伪劣产品罪", on=day(5),
               documents="涉嫌犯罪案件移送书；调查报告；涉案物品清单；检验报告")
    counts = {}
    for status in Case.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
