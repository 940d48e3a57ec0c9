"""A spot-check world carried through the real services: a published plan with its draw,
results published, refused, pending; an unpublished plan; personal data planted to be
looked for in every public response."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import drawing, services
from zhijian.spotcheck.models import Plan, PlanLab, Task
from zhijian.spotcheck.tests.draw_helpers import draw_plan

D = dt.date
PHONE = "0512-66668888"
LEGAL_REP = "王小明法人"
INSPECTOR_NAME = "李检查员"
PASS = [{"name": "标志和说明", "verdict": "qualified"}]
FAIL = [{"name": "输入功率和电流", "verdict": "unqualified", "measured": "+18%", "requirement": "≤ +15%"},
        {"name": "标志和说明", "verdict": "qualified"}]
SECRETS_NEVER_PUBLIC = (PHONE, LEGAL_REP, INSPECTOR_NAME)


@dataclass
class SpotWorld:
    plan: Plan
    hidden_plan: Plan  # drawn, draw not published
    draft_plan: Plan
    ind: ProductCategory
    agr: ProductCategory
    officer: object
    lab_user: object
    inspector_user: object
    tasks: dict = field(default_factory=dict)  # name -> Task


def _plan(title, division, cats, **kw):
    plan = Plan.objects.create(title=title, kind="routine", year=2026, period="2026",
                               starts_on=D(2026, 3, 1), ends_on=D(2026, 11, 30), division_id=division,
                               quota_mode="count", quota_count=2, **kw)
    plan.categories.add(*cats)
    return plan


def _draw(plan, officer, publish=True):
    draw_plan(plan, officer, committed_at=timezone.now() - dt.timedelta(days=3))
    if publish:
        drawing.publish_draw(plan, officer)
    plan.refresh_from_db()
    return plan


def build(make_user, enterprise_factory) -> SpotWorld:
    ind = ProductCategory.objects.create(code="PUB-IND", name="电热毯", kind="industrial")
    agr = ProductCategory.objects.create(code="PUB-AGR", name="大米", kind="agricultural")
    for i in range(6):
        county = ["320505", "320506"][i % 2]
        e = enterprise_factory(county, name=f"苏州公示企业{i}有限公司", phone=PHONE,
                               legal_representative=LEGAL_REP)
        Product.objects.create(enterprise=e, category=ind, name=f"电热毯{i}")
        Product.objects.create(enterprise=e, category=agr, name=f"大米{i}")
    nj = enterprise_factory("320102", name="南京未公示企业有限公司", phone=PHONE)
    Product.objects.create(enterprise=nj, category=ind, name="南京电热毯")
    inspectors = []
    for i in range(6):
        insp = Inspector.objects.create(name=f"{INSPECTOR_NAME}{i}", badge_number=f"PUB{i:04d}",
                                        division_id=["320500", "320100"][i % 2], phone=PHONE)
        insp.categories.add(ind, agr)
        inspectors.append(insp)
    lab = Lab.objects.create(name="苏州市质检院", accreditation_number="CMA-PUB-1", division_id="320500",
                             level="city")
    officer = make_user(S.ROLE_OFFICER, "320500")
    nj_officer = make_user(S.ROLE_OFFICER, "320100")
    plan = _plan("2026 年苏州市电热毯和大米监督抽查", "320500", [ind, agr])
    PlanLab.objects.create(plan=plan, category=ind, lab=lab)
    PlanLab.objects.create(plan=plan, category=agr, lab=lab)
    plan = _draw(plan, officer)
    hidden = _draw(_plan("2026 年南京市未公示抽查", "320100", [ind]), nj_officer, publish=False)
    draft = _plan("2026 年苏州市草稿计划", "320500", [ind])
    w = SpotWorld(plan, hidden, draft, ind, agr, officer, make_user(S.ROLE_LAB, lab=lab),
                  make_user(S.ROLE_INSPECTOR, "320500", inspector=inspectors[0]))
    ind_tasks = list(Task.objects.filter(plan=plan, category=ind).order_by("id"))
    agr_tasks = list(Task.objects.filter(plan=plan, category=agr).order_by("id"))
    assert len(ind_tasks) == 4 and len(agr_tasks) == 4, (len(ind_tasks), len(agr_tasks))
    # industrial: 3 qualified + 1 unqualified published; agricultural: 2 + 1 published, 1 pending
    for name, task in [("ind_ok1", ind_tasks[0]), ("ind_ok2", ind_tasks[1]), ("ind_ok3", ind_tasks[2]),
                       ("agr_ok1", agr_tasks[0]), ("agr_ok2", agr_tasks[1])]:
        w.tasks[name] = qualified_and_published(task, w)
    w.tasks["ind_bad"] = unqualified_and_published(ind_tasks[3], w)
    w.tasks["agr_bad"] = unqualified_and_published(agr_tasks[2], w)
    w.tasks["agr_pending"] = tested(agr_tasks[3], w, "qualified")  # notified, not published
    return w


def tested(task, w, verdict):
    officer = w.officer
    services.apply(task, "sample", officer, {"sample_name": "样品", "sample_quantity": "4 件",
                                             "sample_batch": "20260301"}, on=D(2026, 3, 2))
    services.apply(task, "deliver", officer, {}, on=D(2026, 3, 3))
    services.apply(task, "record_result", w.lab_user,
                   {"verdict": verdict, "items": FAIL if verdict == "unqualified" else PASS,
                    "report_number": f"R-{task.pk}"}, on=D(2026, 3, 6))
    return services.apply(task, "notify", officer, {"notified_on": "2026-03-10"}, on=D(2026, 3, 10))


def qualified_and_published(task, w):
    tested(task, w, "qualified")
    task = services.apply(task, "close", w.officer, on=D(2026, 3, 11))
    return services.publish_result(task, w.officer, on=D(2026, 3, 12))


def unqualified_and_published(task, w):
    tested(task, w, "unqualified")
    task = services.apply(task, "order_rectification", w.officer, {"rectification_due": "2026-04-30"},
                          on=D(2026, 3, 26))
    return services.publish_result(task, w.officer, on=D(2026, 3, 27))
