"""Demo spot checks for ``make run``: a year of plans taken through the real services.

Deterministic for a seed, dated relative to today. Three plans — a provincial routine check, a
city seasonal check and a county risk-weighted check — are created, committed (SHA-256 of a
secret), drawn with a public value and published, so that each stored record and pool verify
with ``zhijian verify-draw``. Their tasks then go through the lifecycle by ``services.apply``
(the same checks and deadlines as the pages): sampling, delivery, test results, notification,
re-inspection requests and re-tests, rectification, re-checks, hand-over and closure; results are
published when the law allows. The credit events these steps record feed the demo grading that
runs afterwards. Lab steps are taken by a lab account of the task's lab (created for the demo).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory

from . import drawing, services
from .models import Plan, PlanLab, Task

logger = logging.getLogger(__name__)
TITLE_PREFIX = "【演示】"
U, Q_ = Task.Verdict.UNQUALIFIED, Task.Verdict.QUALIFIED

# A task's path: the steps it takes, each (step, days after the previous step).
PATHS = {
    "closed": [("sample", 0), ("deliver", 3), ("record_result", 20), ("notify", 4), ("close", 20)],
    "rectified": [("sample", 0), ("deliver", 3), ("record_result:u", 20), ("notify", 4),
                  ("order_rectification", 40), ("recheck:q", 70), ("close", 2)],
    "retested_ok": [("sample", 0), ("deliver", 3), ("record_result:u", 20), ("notify", 4),
                    ("file_objection", 6), ("record_retest:q", 20), ("close", 3)],
    "handed_over": [("sample", 0), ("deliver", 3), ("record_result:u", 20), ("notify", 4),
                    ("order_rectification", 40), ("recheck:u", 70), ("hand_over", 3)],
    "not_sampled": [("not_sampled", 0)],
    # open ones, ending a few days before today
    "assigned": [],
    "sampled": [("sample", 0)],
    "delivered": [("sample", 0), ("deliver", 3)],
    "tested": [("sample", 0), ("deliver", 3), ("record_result", 12)],
    "notified_open": [("sample", 0), ("deliver", 3), ("record_result:u", 12), ("notify", 3)],
    "objection": [("sample", 0), ("deliver", 3), ("record_result:u", 12), ("notify", 3),
                  ("file_objection", 4)],
    "retested": [("sample", 0), ("deliver", 3), ("record_result:u", 12), ("notify", 3),
                 ("file_objection", 4), ("record_retest:q", 10)],
    "rechecked": [("sample", 0), ("deliver", 3), ("record_result:u", 12), ("notify", 3),
                  ("order_rectification", 40), ("recheck:q", 20)],
    "rectifying": [("sample", 0), ("deliver", 3), ("record_result:u", 12), ("notify", 3),
                   ("order_rectification", 40)],
}
# Finished paths: about nine results in ten qualified (near the seed's targets) ...
DONE = ("closed",) * 16 + ("rectified", "retested_ok", "handed_over", "not_sampled")
# ... and clearly worse in one category of each plan (its first), as real checks show.
DONE_WORSE = ("closed",) * 5 + ("rectified", "rectified", "retested_ok", "handed_over", "handed_over")
OPEN = ("assigned", "sampled", "delivered", "tested", "notified_open", "objection", "retested",
        "rectifying", "rechecked")
ITEMS = ["标识标志", "安全性能", "理化指标", "结构检查"]


def _categories(n: int, rng: random.Random, area: str, seasonal: bool = False) -> list[ProductCategory]:
    """Categories with producers in the plan's area and qualified inspectors in the province."""
    qs = (ProductCategory.objects.filter(key_supervised=True, active=True)
          .annotate(producers=Count("products__enterprise", distinct=True,
                                    filter=Q(products__enterprise__division__pk__startswith=area)),
                    qualified=Count("inspectors", distinct=True,
                                    filter=Q(inspectors__status=Inspector.Status.ACTIVE,
                                             inspectors__division__pk__startswith="32")))
          .filter(producers__gte=1, qualified__gte=3).order_by("-producers", "code"))
    if seasonal:
        qs = qs.exclude(seasonal_months=[])
    pool = list(qs[:30])
    chosen = sorted(rng.sample(pool, min(n, len(pool))), key=lambda c: c.code)
    _cover(chosen)
    return chosen


PROVINCE_COVER = 4


def _cover(categories) -> None:
    """The province bureau has inspectors qualified for each category, so that a task anywhere
    in the province finds two even where its county and city have none (the draw escalates)."""
    bureau = list(Inspector.objects.filter(division_id="320000", status=Inspector.Status.ACTIVE)
                  .order_by("pk"))
    for cat in categories:
        have = {i.pk for i in bureau if cat in i.categories.all()}
        for insp in [i for i in bureau if i.pk not in have][:max(0, PROVINCE_COVER - len(have))]:
            insp.categories.add(cat)


def _lab_user(lab: Lab):
    from django.contrib.auth import get_user_model

    from zhijian.accounts.services import create_user

    username = f"lab{lab.pk}"
    user = get_user_model().objects.filter(username=username).first()
    return user or create_user(username, None, S.ROLE_LAB, lab=lab, full_name=f"{lab.name}（演示）")


def _witness(officer):
    """The second officer of the officer's bureau, who enters the public values of demo draws."""
    from django.contrib.auth import get_user_model

    from zhijian.accounts.services import create_user

    username = f"{officer.username}-witness"
    user = get_user_model().objects.filter(username=username).first()
    return user or create_user(username, None, officer.profile.role, division=officer.profile.division,
                               full_name="抽查见证人（演示）")


def _plan(user, rng, *, n_categories: int, seasonal: bool = False, **kw) -> Plan | None:
    """A committed, drawn and published plan; categories whose draw would lack inspectors (all
    conflicts and rotation rules applied) are replaced by others, as an officer would."""
    last = None
    for _attempt in range(12):
        try:
            with transaction.atomic():
                area = kw["division"].rstrip("0") if kw["division"][4:] == "00" else kw["division"]
                area = kw["division"][:2] if kw["division"][2:] == "0000" else area
                categories = _categories(n_categories, rng, area, seasonal)
                if not categories:
                    raise drawing.DrawFailed(f"no category has producers in {area}")
                return _drawn_plan(user, rng, categories=categories, **kw)
        except drawing.DrawFailed as exc:
            last = exc
            continue
    # a small demo registry (tests) may have no producers for a plan's area: leave it out
    logger.warning("demo plan %s left out: %s", kw["title"], last)
    return None


def _drawn_plan(user, rng, *, title, kind, division, categories, starts_on, ends_on, **kw) -> Plan:
    plan = Plan(title=TITLE_PREFIX + title, kind=kind, year=starts_on.year, period=str(starts_on.year),
                starts_on=starts_on, ends_on=ends_on, division_id=division, **kw)
    plan.full_clean()
    plan.save()
    plan.categories.set(categories)
    labs = list(Lab.objects.filter(division__pk__startswith=division[:4] if division[2:] != "0000"
                                   else "32").order_by("pk")[:5]) or list(Lab.objects.order_by("pk")[:5])
    for i, cat in enumerate(categories):
        PlanLab.objects.create(plan=plan, category=cat, lab=labs[i % len(labs)])
    secret = hashlib.sha256(f"zhijian-demo-{plan.title}-{rng.random()}".encode()).hexdigest()
    # committed at 09:00 three days before the plan starts, on a value announced that evening at
    # 21:15 (when the lottery draws), drawn the next morning; a second officer enters the value
    committed_at = timezone.make_aware(dt.datetime.combine(starts_on - dt.timedelta(days=3), dt.time(9)))
    announced = committed_at.replace(hour=21, minute=15)
    drawing.scripted_draw(plan, user, _witness(user), secret=secret,
                          public_value=f"{announced:%Y%m%d}-{rng.randrange(10**6):06d}",
                          public_value_source=f"演示：{announced:%Y-%m-%d} 21:15 公布的公开随机数",
                          committed_at=committed_at, public_value_at=announced,
                          drawn_at=announced + dt.timedelta(hours=12))
    drawing.publish_draw(plan, user)
    return plan


def _step_data(task: Task, step: str, rng: random.Random, on: dt.date) -> tuple[str, dict]:
    name, _, verdict = step.partition(":")
    if name == "sample":
        return name, {"sample_name": f"{task.category.name}样品", "sample_quantity": "2件",
                      "sample_batch": f"{on:%Y%m%d}-{rng.randrange(100, 999)}", "sampled_on": on}
    if name == "not_sampled":
        return name, {"reason": "企业已停产，无可抽样品"}
    if name in ("record_result", "record_retest"):
        verdict = U if verdict == "u" else Q_
        items = [{"name": n, "verdict": Q_} for n in rng.sample(ITEMS, 3)]
        if verdict == U:
            items[0]["verdict"] = U
        return name, {"verdict": verdict, "tested_on": on, "items": items,
                      "report_number": f"JY{on:%Y}-{task.pk:05d}"}
    if name == "notify":
        return name, {"notified_on": on}
    if name == "file_objection":
        return name, {"filed_on": on, "reason": "对检验结论有异议，申请复检"}
    if name == "order_rectification":
        return name, {"rectification_due": on + dt.timedelta(days=60)}
    if name == "recheck":
        return name, {"verdict": U if verdict == "u" else Q_}
    if name == "hand_over":
        return name, {"case_reference": f"苏市监案〔{on:%Y}〕{task.pk}号"}
    return name, {}


def _walk(task: Task, path: str, start: dt.date, officer, rng, today: dt.date) -> Task:
    on = start
    for step, gap in PATHS[path]:
        on = on + dt.timedelta(days=gap)
        if on >= today:
            break
        name, data = _step_data(task, step, rng, on)
        user = _lab_user(task.lab) if name in ("record_result", "record_retest") else officer
        task = services.apply(task, name, user, data, on=on)
    if task.status in (Task.Status.CLOSED, Task.Status.HANDED_OVER, Task.Status.RECTIFYING,
                       Task.Status.RECHECKED, Task.Status.RETESTED) or (
            task.status == Task.Status.NOTIFIED and task.verdict == Q_):
        services.publish_result(task, officer, on=min(on + dt.timedelta(days=2), today))
    return task


@transaction.atomic
def load(officer, *, seed: int = 1, today: dt.date | None = None) -> dict[str, int]:
    """Plans, draws and tasks of the last 12 months; ``officer`` is a province administrator."""
    if Plan.objects.filter(title__startswith=TITLE_PREFIX).exists():
        return {}
    today = today or timezone.localdate()
    rng = random.Random(seed)
    d = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    plans = [
        (_plan(officer, rng, title="省级重点工业产品质量监督抽查", kind=Plan.Kind.ROUTINE, division="320000",
               n_categories=3, starts_on=d(330), ends_on=d(120),
               strata_level="city", quota_mode="count", quota_count=2), DONE),
        (_plan(officer, rng, title="省级节令产品专项抽查", kind=Plan.Kind.SEASONAL, division="320000",
               n_categories=2, seasonal=True, starts_on=d(240), ends_on=d(60),
               strata_level="city", quota_mode="count", quota_count=1), DONE),
        (_plan(officer, rng, title="苏州市风险产品随机抽查", kind=Plan.Kind.RISK, division="320500",
               n_categories=3, starts_on=d(150), ends_on=d(-90),
               strata_level="county", quota_mode="class_ratios",
               class_ratios={"A": 0.05, "B": 0.2, "C": 0.4, "D": 0.8}), OPEN + DONE),
        (_plan(officer, rng, title="昆山市日常监督抽查", kind=Plan.Kind.ROUTINE, division="320583",
               n_categories=2, starts_on=d(100), ends_on=d(-30),
               strata_level="county", quota_mode="count", quota_count=6), OPEN + DONE),
    ]
    plans = [(plan, paths) for plan, paths in plans if plan is not None]
    counts = {"spot-check plans": len(plans), "spot-check tasks": 0}
    turn: dict[tuple, int] = {}  # plans sharing a list of paths continue it, so all are taken
    for plan, paths in plans:
        tasks = list(Task.objects.filter(plan=plan).select_related("category", "lab").order_by("pk"))
        worse = min(t.category.code for t in tasks) if tasks else None
        for task in tasks:
            todo = DONE_WORSE if paths == DONE and task.category.code == worse else paths
            i = turn[todo] = turn.get(todo, -1) + 1
            path = todo[i % len(todo)]
            length = sum(g for _s, g in PATHS[path])
            if path in OPEN:  # ends a few days before today
                start = today - dt.timedelta(days=length + 2 + rng.randrange(3))
            else:
                start = plan.starts_on + dt.timedelta(days=rng.randrange(20))
            _walk(task, path, start, officer, rng, today)
        counts["spot-check tasks"] += len(tasks)
    return counts
