"""The spot-check task lifecycle as checked state transitions (no HTTP here).

The procedure follows 产品质量监督抽查管理暂行办法 (SAMR order 18) and 产品质量法
Art. 15-17: sampling by at least two inspectors, delivery to the lab, test
result per item, notification of the enterprise, a re-inspection request
within 15 days of receipt (Art. 15), and for an unqualified result the ladder
rectification → re-check → hand-over to an enforcement case (Art. 17).

Each transition names the states it leaves from, the state it enters and the
roles that may take it; ``apply`` checks all three plus the user's scope,
writes the task (audited by the change log) and appends a typed ``TaskEvent``,
all in one transaction. Going back is possible only where defined: a lab may
reject a sample on receipt, which sends the task back to sampling.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhijian.core import scope as S
from zhijian.credit.services import record_event as record_credit_event
from zhijian.deadlines.services import WorkdayCalendar, due_date

from .models import Task, TaskEvent, TestItem

T = Task.Status
QUALIFIED, UNQUALIFIED = Task.Verdict.QUALIFIED, Task.Verdict.UNQUALIFIED
OFFICERS = {S.ROLE_OFFICER, S.ROLE_PROVINCE_ADMIN}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    event: str
    label: object = ""  # lazily translated
    fields: tuple[str, ...] = field(default=())


TRANSITIONS = {t.name: t for t in [
    Transition("sample", (T.ASSIGNED,), T.SAMPLED, frozenset({S.ROLE_INSPECTOR, *OFFICERS}),
               TaskEvent.Type.SAMPLED, _lazy("record sampling"),
               ("sample_name", "sample_quantity", "sample_batch", "sampled_on")),
    Transition("not_sampled", (T.ASSIGNED,), T.NOT_SAMPLED, frozenset({S.ROLE_INSPECTOR, *OFFICERS}),
               TaskEvent.Type.NOT_SAMPLED, _lazy("record that no sample could be taken"), ("reason",)),
    Transition("deliver", (T.SAMPLED,), T.DELIVERED, frozenset({S.ROLE_LAB, S.ROLE_INSPECTOR, *OFFICERS}),
               TaskEvent.Type.DELIVERED, _lazy("confirm delivery to the lab"), ("delivered_on",)),
    Transition("reject_sample", (T.SAMPLED,), T.ASSIGNED, frozenset({S.ROLE_LAB}),
               TaskEvent.Type.SAMPLE_REJECTED, _lazy("reject the sample (back to sampling)"), ("reason",)),
    Transition("record_result", (T.DELIVERED,), T.TESTED, frozenset({S.ROLE_LAB}),
               TaskEvent.Type.TESTED, _lazy("enter the test result"),
               ("verdict", "tested_on", "report_number", "items")),
    Transition("notify", (T.TESTED,), T.NOTIFIED, frozenset(OFFICERS), TaskEvent.Type.NOTIFIED,
               _lazy("record notification of the enterprise"), ("notified_on", "served_by_announcement")),
    Transition("file_objection", (T.NOTIFIED,), T.OBJECTION, frozenset({S.ROLE_ENTERPRISE, *OFFICERS}),
               TaskEvent.Type.OBJECTION_FILED, _lazy("request re-inspection"), ("filed_on", "reason")),
    Transition("record_retest", (T.OBJECTION,), T.RETESTED, frozenset({S.ROLE_LAB}),
               TaskEvent.Type.RETESTED, _lazy("enter the re-test result"), ("verdict", "tested_on", "items")),
    Transition("order_rectification", (T.NOTIFIED, T.RETESTED), T.RECTIFYING, frozenset(OFFICERS),
               TaskEvent.Type.RECTIFICATION_ORDERED, _lazy("order rectification"), ("rectification_due",)),
    Transition("recheck", (T.RECTIFYING,), T.RECHECKED, frozenset({S.ROLE_INSPECTOR, *OFFICERS}),
               TaskEvent.Type.RECHECKED, _lazy("record the re-check"), ("verdict",)),
    Transition("hand_over", (T.RECHECKED, T.RECTIFYING), T.HANDED_OVER, frozenset(OFFICERS),
               TaskEvent.Type.HANDED_OVER, _lazy("hand over to an enforcement case"), ("case_reference",)),
    Transition("close", (T.NOTIFIED, T.RETESTED, T.RECHECKED), T.CLOSED, frozenset(OFFICERS),
               TaskEvent.Type.CLOSED, _lazy("close")),
]}


class TransitionError(ValidationError):
    pass


def today() -> dt.date:
    return timezone.localdate()


def available_transitions(task: Task, user) -> list[Transition]:
    """Transitions the user could take now (state and role; data checks come on apply)."""
    role = S.scope_for(user).role
    return [t for t in TRANSITIONS.values()
            if task.status in t.sources and (role in t.roles or user.is_superuser)
            and _guard(task, t, on=today()) is None]


def _guard(task: Task, t: Transition, on: dt.date) -> str | None:
    """A reason why ``t`` cannot be taken from the task's current data, or None."""
    if t.name == "file_objection":
        if task.final_verdict != UNQUALIFIED:
            return _("Only an unqualified result can be objected to.")
        if task.objection_due and on > task.objection_due:
            return _("The re-inspection request period ended on %(date)s.") % {"date": task.objection_due}
    if t.name == "order_rectification":
        if task.final_verdict != UNQUALIFIED:
            return _("Only an unqualified result is rectified.")
        if task.status == T.NOTIFIED and task.objection_due and on <= task.objection_due:
            return _("The enterprise may still request re-inspection until %(date)s.") % {
                "date": task.objection_due}
    if t.name == "close":
        if task.status == T.RECHECKED and task.recheck_verdict != QUALIFIED:
            return _("A failed re-check is handed over to enforcement, not closed.")
        if task.status in (T.NOTIFIED, T.RETESTED) and task.final_verdict != QUALIFIED:
            return _("An unqualified result goes to rectification before it is closed.")
    if t.name == "hand_over" and task.status == T.RECHECKED and task.recheck_verdict != UNQUALIFIED:
        return _("Only a failed re-check is handed over.")
    if t.name == "hand_over" and task.status == T.RECTIFYING and (
            not task.rectification_due or on <= task.rectification_due):
        return _("Rectification is still within its deadline.")
    return None


def _require(data: dict, name: str):
    value = data.get(name)
    if value in (None, ""):
        raise TransitionError({name: _("This field is required.")})
    return value


def _verdict_with_items(task: Task, data: dict, retest: bool) -> str:
    verdict = _require(data, "verdict")
    if verdict not in (QUALIFIED, UNQUALIFIED):
        raise TransitionError({"verdict": _("Unknown result %(v)s.") % {"v": verdict}})
    items = data.get("items") or []
    if not items:
        raise TransitionError({"items": _("Enter at least one inspected item.")})
    objs = []
    for n, item in enumerate(items, start=1):
        if not item.get("name") or item.get("verdict") not in (QUALIFIED, UNQUALIFIED):
            raise TransitionError({"items": _("Item %(n)d needs a name and a verdict.") % {"n": n}})
        objs.append(TestItem(task=task, retest=retest, name=item["name"],
                             standard_id=item.get("standard"), clause=item.get("clause", ""),
                             requirement=item.get("requirement", ""),
                             measured=item.get("measured", ""), verdict=item["verdict"]))
    failed = any(o.verdict == UNQUALIFIED for o in objs)
    if failed != (verdict == UNQUALIFIED):
        raise TransitionError({"verdict": _("The result must be unqualified exactly when an item is "
                                            "unqualified.")})
    for o in objs:
        o.save()
    return verdict


def _date(data: dict, name: str, default: dt.date | None = None) -> dt.date:
    value = data.get(name) or default
    if value is None:
        raise TransitionError({name: _("This field is required.")})
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise TransitionError({name: _("Enter a date as YYYY-MM-DD.")}) from exc
    return value


def _apply_data(task: Task, t: Transition, data: dict, on: dt.date, calendar: WorkdayCalendar) -> dict:
    """Write the transition's data onto the task; returns the event parameters."""
    params: dict = {}
    if t.name == "sample":
        for f in ("sample_name", "sample_quantity"):
            setattr(task, f, _require(data, f))
        task.sample_batch = data.get("sample_batch", "")
        task.sampled_on = _date(data, "sampled_on", on)
        if data.get("product"):
            task.product_id = data["product"]
        params = {"sample": task.sample_name, "quantity": task.sample_quantity,
                  "batch": task.sample_batch, "sampled_on": task.sampled_on.isoformat()}
    elif t.name in ("not_sampled", "reject_sample"):
        params = {"reason": _require(data, "reason")}
        if t.name == "reject_sample":
            task.sampled_on = None
        else:
            task.closed_on = on
    elif t.name == "deliver":
        task.delivered_on = _date(data, "delivered_on", on)
        params = {"delivered_on": task.delivered_on.isoformat()}
    elif t.name == "record_result":
        task.verdict = _verdict_with_items(task, data, retest=False)
        task.tested_on = _date(data, "tested_on", on)
        task.report_number = data.get("report_number", "")
        params = {"verdict": task.verdict, "report_number": task.report_number}
    elif t.name == "notify":
        task.served_by_announcement = bool(data.get("served_by_announcement"))
        served = _date(data, "notified_on", on)
        if task.served_by_announcement:
            # Served by public announcement: effective after the announcement period.
            served = due_date("spotcheck.public_service", served, calendar=calendar)
        task.notified_on = served
        task.objection_due = due_date("spotcheck.reinspection_request", served, calendar=calendar)
        task.publication_due = due_date("spotcheck.publication", served, calendar=calendar)
        params = {"notified_on": served.isoformat(), "objection_due": task.objection_due.isoformat(),
                  "announcement": task.served_by_announcement}
    elif t.name == "file_objection":
        filed = _date(data, "filed_on", on)
        if task.objection_due and filed > task.objection_due:
            raise TransitionError({"filed_on": _("The re-inspection request period ended on %(date)s.")
                                   % {"date": task.objection_due}})
        params = {"filed_on": filed.isoformat(), "reason": data.get("reason", "")}
    elif t.name == "record_retest":
        task.retest_verdict = _verdict_with_items(task, data, retest=True)
        params = {"verdict": task.retest_verdict}
    elif t.name == "order_rectification":
        task.rectification_due = _date(data, "rectification_due")
        if task.rectification_due <= on:
            raise TransitionError({"rectification_due": _("The deadline must be in the future.")})
        params = {"rectification_due": task.rectification_due.isoformat()}
    elif t.name == "recheck":
        verdict = _require(data, "verdict")
        if verdict not in (QUALIFIED, UNQUALIFIED):
            raise TransitionError({"verdict": _("Unknown result %(v)s.") % {"v": verdict}})
        task.recheck_verdict = verdict
        params = {"verdict": verdict}
    elif t.name == "hand_over":
        task.case_reference = _require(data, "case_reference")
        params = {"case_reference": task.case_reference}
    elif t.name == "close":
        task.closed_on = on
    return params


@transaction.atomic
def apply(task: Task, name: str, user, data: dict | None = None, *, on: dt.date | None = None,
          calendar: WorkdayCalendar | None = None) -> Task:
    """Take transition ``name`` on ``task`` as ``user``; raises PermissionDenied or TransitionError."""
    data = data or {}
    on = on or today()
    t = TRANSITIONS.get(name)
    if t is None:
        raise TransitionError(_("Unknown step %(name)s.") % {"name": name})
    # Lock the row and re-read it inside the user's scope for changes.
    task = Task.objects.locked(user, task, _("This task is outside your scope."))
    role = S.scope_for(user).role
    if role not in t.roles and not user.is_superuser:
        raise PermissionDenied(_("Your role cannot %(step)s.") % {"step": t.label or t.name})
    if task.status not in t.sources:
        raise TransitionError(_("Cannot %(step)s a task that is %(status)s.") % {
            "step": t.label or t.name, "status": task.get_status_display()})
    reason = _guard(task, t, on)
    if reason:
        raise TransitionError(reason)
    params = _apply_data(task, t, data, on, calendar or WorkdayCalendar.load())
    task.status = t.target
    task.save()
    TaskEvent.objects.create(task=task, type=t.event, user=user if user.is_authenticated else None,
                             parameters=params)
    _record_credit_event(task, t.name, on)
    return task


def _record_credit_event(task: Task, step: str, on: dt.date) -> None:
    """Credit events once a result is final (idempotent per type and task; DESIGN §7)."""
    code = None
    if step in ("notify", "close") and task.final_verdict == QUALIFIED:
        code = "spotcheck_qualified"
    elif step == "order_rectification":
        code = "spotcheck_unqualified"
    elif step == "recheck":
        code = "recheck_qualified" if task.recheck_verdict == QUALIFIED else "recheck_unqualified"
    if code:
        record_credit_event(task.enterprise, code, on, source=task,
                            note=f"{task.plan_id}/{task.category_id}")


@transaction.atomic
def publish_result(task: Task, user, *, on: dt.date | None = None) -> Task:
    """Publish a task's result on the portal (一公开); not while an objection can still change it."""
    on = on or today()
    task = Task.objects.locked(user, task, _("This task is outside your scope."))
    if S.scope_for(user).role not in OFFICERS and not user.is_superuser:
        raise PermissionDenied(_("Only officers publish results."))
    if task.published_on:
        raise TransitionError(_("The result is already published."))
    if task.status in (T.ASSIGNED, T.SAMPLED, T.DELIVERED, T.TESTED, T.NOT_SAMPLED):
        raise TransitionError(_("There is no result to publish yet."))
    if task.status == T.OBJECTION or (task.status == T.NOTIFIED and task.verdict == UNQUALIFIED
                                      and task.objection_due and on <= task.objection_due):
        raise TransitionError(_("The result may still change on re-inspection."))
    task.published_on = on
    task.save()
    TaskEvent.objects.create(task=task, type=TaskEvent.Type.PUBLISHED, user=user,
                             parameters={"published_on": on.isoformat()})
    return task


def overdue_conditions(on: dt.date) -> dict[str, Q]:
    """Tasks past a legal or set deadline on ``on``, by kind (one definition for lists and filters)."""
    return {
        "sampling": Q(status=T.ASSIGNED, plan__ends_on__lt=on),
        "publication": Q(published_on__isnull=True, publication_due__lt=on)
        & ~Q(status__in=[T.OBJECTION, T.NOT_SAMPLED]),
        "rectification": Q(status=T.RECTIFYING, rectification_due__lt=on),
        "awaiting_disposition": Q(status=T.NOTIFIED, verdict=UNQUALIFIED, objection_due__lt=on),
    }


def overdue_q(on: dt.date) -> Q:
    """Tasks past any deadline."""
    q = Q()
    for cond in overdue_conditions(on).values():
        q |= cond
    return q


def overdue(queryset, on: dt.date | None = None) -> dict[str, list[Task]]:
    """Tasks whose legal or set deadline has passed, by kind, for an officer's dashboard."""
    qs = queryset.select_related("enterprise", "category", "plan")
    return {kind: list(qs.filter(cond)) for kind, cond in overdue_conditions(on or today()).items()}