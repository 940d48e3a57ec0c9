"""Every legal and illegal transition of a spot-check task, with roles, scope and deadlines."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, ProductCategory
from zhijian.spotcheck import services
from zhijian.spotcheck.models import Plan, Task, TaskEvent
from zhijian.spotcheck.services import TRANSITIONS, TransitionError, apply, publish_result

D = dt.date
T = Task.Status
PASS = [{"name": "标志和说明", "verdict": "qualified"}]
FAIL = [{"name": "输入功率和电流", "verdict": "unqualified", "measured": "+18%", "requirement": "≤ +15%"}]


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English (the default language is zh-Hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(make_user, enterprise_factory):
    category = ProductCategory.objects.filter(key_supervised=True).first()
    plan = Plan.objects.create(title="2026 电热毯专项", kind="seasonal", year=2026, period="2026",
                               starts_on=D(2026, 1, 5), ends_on=D(2026, 12, 31), division_id="320500")
    plan.categories.add(category)
    lab = Lab.objects.create(name="苏州市产品质量监督检验院", accreditation_number="CMA-320500-1",
                             division_id="320500", level="city")
    enterprise = enterprise_factory("320505", name="苏州某电器有限公司")
    task = Task.objects.create(plan=plan, enterprise=enterprise, category=category,
                               division_id="320505", stratum="320505/x", lab=lab)
    inspectors = [Inspector.objects.create(name=f"检查员{i}", badge_number=f"3205{i:04d}",
                                           division_id="320500") for i in range(3)]
    task.inspectors.add(*inspectors[:2])
    users = {
        "officer": make_user(S.ROLE_OFFICER, "320500"),
        "nanjing": make_user(S.ROLE_OFFICER, "320100"),
        "inspector": make_user(S.ROLE_INSPECTOR, "320500", inspector=inspectors[0]),
        "other_inspector": make_user(S.ROLE_INSPECTOR, "320500", inspector=inspectors[2]),
        "lab": make_user(S.ROLE_LAB, lab=lab),
        "enterprise": make_user(S.ROLE_ENTERPRISE, enterprise=enterprise),
    }
    return task, users


def run_to_notified(task, u, verdict="unqualified", on=D(2026, 3, 2)):
    apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4 条"}, on=on)
    apply(task, "deliver", u["lab"], {}, on=on)
    apply(task, "record_result", u["lab"], {"verdict": verdict,
                                             "items": FAIL if verdict == "unqualified" else PASS}, on=on)
    return apply(task, "notify", u["officer"], {"notified_on": "2026-03-10"}, on=D(2026, 3, 10))


def test_qualified_path_closes_and_publishes(world):
    task, u = world
    task = run_to_notified(task, u, "qualified")
    assert task.objection_due == D(2026, 3, 25)  # 15 days after receipt
    task = apply(task, "close", u["officer"], on=D(2026, 3, 11))
    assert task.status == T.CLOSED
    task = publish_result(task, u["officer"], on=D(2026, 3, 12))
    assert task.published_on == D(2026, 3, 12)
    assert Task.objects.restrict(None).filter(pk=task.pk).exists()  # public now
    types = list(task.events.values_list("type", flat=True))
    assert types == ["sampled", "delivered", "tested", "notified", "closed", "published"]


def test_unqualified_objection_retest_rectification_recheck_handover(world):
    task, u = world
    task = run_to_notified(task, u)
    # publication waits for the objection window
    with pytest.raises(TransitionError):
        publish_result(task, u["officer"], on=D(2026, 3, 12))
    # rectification cannot be ordered while the enterprise may still object
    with pytest.raises(TransitionError, match="re-inspection"):
        apply(task, "order_rectification", u["officer"], {"rectification_due": "2026-05-01"},
              on=D(2026, 3, 12))
    task = apply(task, "file_objection", u["enterprise"], {"reason": "送检样品保存不当"}, on=D(2026, 3, 20))
    assert task.status == T.OBJECTION
    task = apply(task, "record_retest", u["lab"], {"verdict": "unqualified", "items": FAIL},
                 on=D(2026, 4, 1))
    assert task.final_verdict == "unqualified"
    task = apply(task, "order_rectification", u["officer"], {"rectification_due": "2026-05-01"},
                 on=D(2026, 4, 2))
    with pytest.raises(TransitionError, match="within its deadline"):
        apply(task, "hand_over", u["officer"], {"case_reference": "苏市监案〔2026〕1号"}, on=D(2026, 4, 3))
    task = apply(task, "recheck", u["inspector"], {"verdict": "unqualified"}, on=D(2026, 5, 5))
    with pytest.raises(TransitionError, match="handed over"):
        apply(task, "close", u["officer"], on=D(2026, 5, 6))
    task = apply(task, "hand_over", u["officer"], {"case_reference": "苏市监案〔2026〕1号"}, on=D(2026, 5, 6))
    assert task.status == T.HANDED_OVER
    assert task.items.filter(retest=True).count() == 1


def test_objection_after_fifteen_days_is_refused(world):
    task, u = world
    task = run_to_notified(task, u)
    with pytest.raises(TransitionError, match="ended"):
        apply(task, "file_objection", u["enterprise"], {}, on=D(2026, 3, 26))
    task = apply(task, "order_rectification", u["officer"], {"rectification_due": "2026-04-30"},
                 on=D(2026, 3, 26))
    task = apply(task, "recheck", u["officer"], {"verdict": "qualified"}, on=D(2026, 4, 28))
    task = apply(task, "close", u["officer"], on=D(2026, 4, 28))
    assert task.status == T.CLOSED


def test_objection_to_a_qualified_result_is_refused(world):
    task, u = world
    task = run_to_notified(task, u, "qualified")
    with pytest.raises(TransitionError, match="unqualified"):
        apply(task, "file_objection", u["enterprise"], {}, on=D(2026, 3, 12))


def test_served_by_announcement_takes_effect_after_thirty_days(world):
    task, u = world
    apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4"}, on=D(2026, 3, 2))
    apply(task, "deliver", u["lab"], {}, on=D(2026, 3, 3))
    apply(task, "record_result", u["lab"], {"verdict": "unqualified", "items": FAIL}, on=D(2026, 3, 5))
    task = apply(task, "notify", u["officer"], {"notified_on": "2026-03-06", "served_by_announcement": True},
                 on=D(2026, 3, 6))
    assert task.notified_on == D(2026, 4, 5)
    assert task.objection_due == D(2026, 4, 20)


def test_lab_may_reject_a_sample_back_to_sampling(world):
    task, u = world
    apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4"}, on=D(2026, 3, 2))
    task = apply(task, "reject_sample", u["lab"], {"reason": "包装破损"}, on=D(2026, 3, 3))
    assert task.status == T.ASSIGNED and task.sampled_on is None
    task = apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4"},
                 on=D(2026, 3, 4))
    assert task.status == T.SAMPLED


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_no_transition_from_a_state_it_does_not_leave(world, name):
    task, u = world
    t = TRANSITIONS[name]
    for status in T.values:
        if status in t.sources:
            continue
        Task.objects.filter(pk=task.pk).update(status=status)
        task.refresh_from_db()
        actor = u["lab"] if S.ROLE_LAB in t.roles else (
            u["officer"] if S.ROLE_OFFICER in t.roles else u["enterprise"])
        with pytest.raises(TransitionError):
            apply(task, name, actor, {"sample_name": "x", "sample_quantity": "1", "reason": "r",
                                      "verdict": "qualified", "items": PASS, "case_reference": "c",
                                      "rectification_due": "2027-01-01"}, on=D(2026, 3, 2))
        task.refresh_from_db()
        assert task.status == status


def test_roles_are_checked_per_step(world):
    task, u = world
    with pytest.raises(PermissionDenied):
        apply(task, "sample", u["enterprise"], {"sample_name": "x", "sample_quantity": "1"})
    with pytest.raises(PermissionDenied):  # the lab may not sample
        apply(task, "sample", u["lab"], {"sample_name": "x", "sample_quantity": "1"})
    apply(task, "sample", u["inspector"], {"sample_name": "x", "sample_quantity": "1"}, on=D(2026, 3, 2))
    apply(task, "deliver", u["lab"], {}, on=D(2026, 3, 2))
    with pytest.raises(PermissionDenied):  # officers do not enter lab results
        apply(task, "record_result", u["officer"], {"verdict": "qualified", "items": PASS})


def test_out_of_scope_users_cannot_touch_the_task(world):
    task, u = world
    for who in ("nanjing", "other_inspector"):
        with pytest.raises(PermissionDenied):
            apply(task, "sample", u[who], {"sample_name": "x", "sample_quantity": "1"})
    task.refresh_from_db()
    assert task.status == T.ASSIGNED
    assert not TaskEvent.objects.filter(task=task).exists()


def test_result_must_match_items_and_failed_step_writes_nothing(world):
    task, u = world
    apply(task, "sample", u["inspector"], {"sample_name": "x", "sample_quantity": "1"}, on=D(2026, 3, 2))
    apply(task, "deliver", u["lab"], {}, on=D(2026, 3, 2))
    before = AuditEntry.objects.count()
    with pytest.raises(TransitionError, match="exactly"):
        apply(task, "record_result", u["lab"], {"verdict": "qualified", "items": FAIL})
    with pytest.raises(TransitionError):
        apply(task, "record_result", u["lab"], {"verdict": "unqualified", "items": []})
    task.refresh_from_db()
    assert task.status == T.DELIVERED and not task.items.exists()
    assert AuditEntry.objects.count() == before


def test_each_step_is_audited_with_its_user(world):
    task, u = world
    apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4"}, on=D(2026, 3, 2))
    entry = AuditEntry.objects.filter(object_type="spotcheck.task", object_id=str(task.pk)).last()
    # the change context is set by requests and commands; a direct call records the object change
    assert entry.action == "update" and entry.postchange["status"] == "sampled"


def test_overdue_lists(world):
    task, u = world
    run_to_notified(task, u)
    qs = Task.objects.restrict(u["officer"])
    due = services.overdue(qs, on=D(2026, 3, 30))
    assert due["awaiting_disposition"] == [task]
    # publication due 20 working days after 10 March 2026: 8 April (Qingming, 4-6 April, off)
    task.refresh_from_db()
    assert task.publication_due == D(2026, 4, 8)
    assert services.overdue(qs, on=D(2026, 4, 9))["publication"] == [task]
    assert services.overdue(Task.objects.restrict(u["nanjing"]), on=D(2026, 4, 9))["publication"] == []
