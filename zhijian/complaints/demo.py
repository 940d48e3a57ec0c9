"""Demo complaints and reports for ``make run`` (deterministic for a seed).

Cases are taken through the real services as the province administrator, with
dates spread over the last six months, so that every state, clock and chart has
something to show. Texts come from the project's labelled examples.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Division, Enterprise

from . import services as svc
from .models import Case, RejectionReason, TerminationReason

DATA = Path(__file__).parent / "data" / "labelled_complaints.csv"
FALLBACK = [
    ("电暖器使用一周后插头处发热冒烟，差点起火。", ""),
    ("给孩子买的玩具小零件脱落，孩子差点吞下去。", ""),
    ("电动自行车充电时电池鼓包起火，烧坏了车棚。", ""),
    ("新买的衣柜有很重的刺鼻气味，检测甲醛超标。", ""),
    ("压力锅使用时安全阀失灵，锅盖冲开烫伤了手。", ""),
    ("电热水壶底座漏电，手碰到外壳被电了一下。", ""),
    ("商品标注纯棉，实际成分为涤纶，属于虚假标注。", ""),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _texts() -> list[tuple[str, str]]:
    if DATA.exists():
        with open(DATA, encoding="utf-8", newline="") as fh:
            rows = [(r["text"], r.get("category", "")) for r in csv.DictReader(fh) if r.get("text")]
        if rows:
            return rows
    return FALLBACK


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _i in range(9))


def _workday_before(cal, day: dt.date) -> dt.date:
    while not cal.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


@transaction.atomic
def load(user, *, n: int = 300, seed: int = 1, today: dt.date | None = None) -> int:
    """Create ``n`` cases handled by ``user`` (a province administrator); returns the number created."""
    from zhijian.deadlines.services import WorkdayCalendar

    if Case.objects.exists():
        return 0
    rng = random.Random(seed)
    cal = WorkdayCalendar.load()
    today = today or timezone.localdate()
    texts = _texts()
    counties = list(Division.objects.filter(level="county", code__startswith="32").order_by("code"))
    enterprises = list(Enterprise.objects.filter(division__code__startswith="32").order_by("pk")[:2000])
    created = 0
    for i in range(n):
        text, _cat = rng.choice(texts)
        received = _workday_before(cal, today - dt.timedelta(days=rng.randint(0, 180)))
        ent = rng.choice(enterprises) if enterprises and rng.random() < 0.65 else None
        county = rng.choice(counties)
        kind = "report" if rng.random() < 0.2 else "complaint"
        data = {"kind": kind, "channel": rng.choice(["web", "phone", "phone", "letter", "walk_in"]),
                "complainant_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)]),
                "complainant_phone": _phone(rng), "complainant_address": f"{county.name}某小区{rng.randint(1, 30)}幢",
                "respondent_name": ent.name if ent else f"{county.name}{rng.choice(['某某', '鑫源', '恒达', '佳美'])}商行",
                "respondent_uscc": ent.uscc if ent else "", "facts": text,
                "request": rng.choice(["退货退款", "更换商品", "赔偿损失", "要求查处"]),
                "amount_claimed": str(rng.choice([199, 399, 899, 1299, 2599, 4999])),
                "received_on": received.isoformat(), "real_name": rng.random() < 0.8}
        case, _code = svc.receive(data, user=user, division=county)
        created += 1
        age = cal.workdays_between(received, today)
        step_day = min(_workday_before(cal, cal.add_workdays(received, rng.randint(1, 6))), today)
        if kind == "complaint":
            if age < 3 or rng.random() < 0.1:
                continue  # still waiting for the acceptance decision (some overdue)
            if rng.random() < 0.1:
                svc.reject(case, user, rng.choice(RejectionReason.values), on=step_day)
                continue
            case = svc.accept(case, user, on=step_day)
            if age < 15 or rng.random() < 0.15:
                continue  # in mediation
            mediated = min(cal.add_workdays(step_day, rng.randint(2, 10)), today)
            svc.record_mediation(case, user, date=mediated, method=rng.choice(["phone", "on_site", "online"]),
                                 mediator="调解员", summary="组织双方调解，听取陈述。")
            if rng.random() < 0.75:
                svc.close_with_agreement(case, user, on=mediated, refunded=data["amount_claimed"],
                                         compensated=str(rng.choice([0, 0, 100, 300])), upheld=rng.random() < 0.7)
            else:
                svc.terminate(case, user, rng.choice([TerminationReason.NO_AGREEMENT, TerminationReason.REFUSED]),
                              on=mediated)
        else:
            if age < 5:
                continue
            svc.start_check(case, user, on=step_day)
            if age < 12:
                continue
            decided = min(cal.add_workdays(step_day, rng.randint(3, 12)), today)
            open_case = rng.random() < 0.4
            svc.decide_report(case, user, open_case=open_case, on=decided,
                              reference=f"苏市监立〔{decided.year}〕{i + 1}号" if open_case else "")
            if case.real_name and rng.random() < 0.8:
                case.refresh_from_db()
                if case.notify_due:
                    svc.record_notification(case, user, on=min(cal.add_workdays(decided, 2), today))
    return created
