"""Plans through the double-random draw: commit, draw, publish (DESIGN §5).

Builds the draw's inputs from the database — the eligible pool, exclusions by
higher-level plans of the same period, the qualified inspectors with their open
workload, recorded conflicts and each enterprise's last inspectors — runs the
pure engine in ``draw.py`` and stores the record and pool files, from which
anyone can recompute the draw with ``zhijian verify-draw RECORD POOL``.

The platform never holds the secret before the draw: the bureau publishes only
its commitment, and reveals the secret when it draws.
"""
from __future__ import annotations

import re
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.scope import division_prefix
from zhijian.credit.services import risk_classes as credit_risk_classes
from zhijian.registry.models import Enterprise, Inspector, Product

from . import draw as engine
from .models import Draw, InspectorConflict, Plan, PlanLab, Task, TaskEvent

HEX64 = re.compile(r"[0-9a-f]{64}\Z")
OPEN_STATUSES = [Task.Status.ASSIGNED, Task.Status.SAMPLED, Task.Status.DELIVERED]
DEFAULT_RISK_CLASS = "B"  # until credit grading assigns classes (DESIGN §6.1)


class DrawFailed(ValidationError):
    pass


def _locked_plan(plan: Plan, user) -> Plan:
    locked = Plan.objects.restrict(user, "change").select_for_update().filter(pk=plan.pk).first()
    if locked is None:
        raise PermissionDenied(_("This plan is outside your scope."))
    return locked


def division_prefixes(plan: Plan) -> list[str]:
    """The code prefixes of the divisions the plan samples."""
    chosen = list(plan.scope_divisions.values_list("code", flat=True))
    return [division_prefix(c) for c in chosen] or [division_prefix(plan.division_id)]


def _in_prefixes(field: str, prefixes: list[str]) -> Q:
    q = Q()
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p})
    return q


def eligible_pairs(plan: Plan) -> list[tuple[int, str, str, int]]:
    """(enterprise id, uscc, division, category id) of active producers of the plan's categories."""
    cats = list(plan.categories.values_list("pk", flat=True))
    rows = (Product.objects
            .filter(category_id__in=cats, enterprise__status=Enterprise.Status.ACTIVE)
            .filter(_in_prefixes("enterprise__division__pk", division_prefixes(plan)))
            .values_list("enterprise_id", "enterprise__uscc", "enterprise__division_id", "category_id")
            .distinct())
    return sorted(set(rows))


def exclusions_for(plan: Plan, pairs) -> list[tuple[str, str, str]]:
    """Pairs already sampled by a higher-level plan of the same period (no duplicate checks)."""
    higher = Task.objects.filter(plan__period=plan.period, plan__level__lt=plan.level) \
        .exclude(plan__status=Plan.Status.CANCELLED) \
        .values_list("enterprise_id", "category__code", "plan_id")
    wanted = {(e, c) for e, _u, _d, c in pairs}
    codes = dict(plan.categories.values_list("pk", "code"))
    uscc = {e: u for e, u, _d, _c in pairs}
    code_to_id = {v: k for k, v in codes.items()}
    return sorted({(uscc[e], code, str(p)) for e, code, p in higher
                   if code in code_to_id and (e, code_to_id[code]) in wanted})


def inspector_rows(plan: Plan) -> tuple[list[engine.InspectorRow], dict[str, Inspector]]:
    cats = dict(plan.categories.values_list("pk", "code"))
    prefix = division_prefix(plan.division_id)
    # candidates may come from the issuing division's whole area (the engine widens to it)
    qs = (Inspector.objects.filter(status=Inspector.Status.ACTIVE, division__pk__startswith=prefix[:2])
          .annotate(load=Count("spotcheck_tasks", filter=Q(spotcheck_tasks__status__in=OPEN_STATUSES)))
          .prefetch_related("categories"))
    rows, by_id = [], {}
    for insp in qs:
        qualified = sorted(cats[c.pk] for c in insp.categories.all() if c.pk in cats)
        if not qualified:
            continue
        rows.append(engine.InspectorRow(insp.badge_number, insp.division_id, tuple(qualified), insp.load))
        by_id[insp.badge_number] = insp
    return rows, by_id


def conflicts_and_last(enterprise_ids) -> tuple[list, list]:
    ids = list(enterprise_ids)
    conflicts = list(InspectorConflict.objects.filter(enterprise_id__in=ids)
                     .values_list("inspector__badge_number", "enterprise__uscc"))
    last_task: dict[int, int] = {}
    for task_id, ent in (Task.objects.filter(enterprise_id__in=ids).exclude(status=Task.Status.NOT_SAMPLED)
                         .order_by("enterprise_id", "-created", "-id").values_list("id", "enterprise_id")):
        last_task.setdefault(ent, task_id)
    last = list(Task.inspectors.through.objects.filter(task_id__in=last_task.values())
                .values_list("task__enterprise__uscc", "inspector__badge_number"))
    return conflicts, last


def params_of(plan: Plan) -> engine.DrawParams:
    mode = {"count": "count", "ratio": "ratio", "class_ratios": "risk"}[plan.quota_mode]
    return engine.DrawParams(
        plan_id=str(plan.pk),
        strata_level=plan.strata_level,
        quota_mode=mode,
        quota_ratio=(str(plan.quota_ratio.normalize())
                     if mode == "ratio" and plan.quota_ratio is not None else None),
        quota_count=plan.quota_count if mode == "count" else None,
        risk_weighting=plan.risk_weighting,
        class_ratios={k: engine.ratio_text(v) for k, v in plan.class_ratios.items()},
        inspectors_per_task=plan.inspectors_per_task,
    )


@transaction.atomic
def commit(plan: Plan, user, commitment: str) -> Draw:
    """Publish the commitment SHA-256(secret) before the draw; the plan can no longer change."""
    plan = _locked_plan(plan, user)
    commitment = (commitment or "").strip().lower()
    if not HEX64.match(commitment):
        raise ValidationError({"commitment": _("The commitment is 64 hexadecimal characters "
                                               "(SHA-256 of the secret).")})
    if plan.status != Plan.Status.DRAFT:
        raise ValidationError(_("Only a draft plan can be committed."))
    if not plan.categories.exists():
        raise ValidationError(_("The plan has no product categories."))
    plan.full_clean()
    draw = Draw.objects.create(plan=plan, commitment=commitment, committed_at=timezone.now())
    plan.status = Plan.Status.COMMITTED
    plan.save()
    return draw


@transaction.atomic
def perform_draw(plan: Plan, user, *, secret: str, public_value: str, public_value_source: str,
                 risk_classes: dict[str, str] | None = None, engine_name: str = "auto") -> Draw:
    """Draw the plan's enterprises and inspectors and create its tasks (all or nothing).

    ``risk_classes``: credit-risk class by USCC; when not given, taken from the credit
    grades (``zhijian.credit.services.risk_classes``; B for enterprises never graded).
    """
    plan = _locked_plan(plan, user)
    if plan.status != Plan.Status.COMMITTED:
        raise ValidationError(_("The plan must be committed, and not yet drawn."))
    draw = Draw.objects.select_for_update().get(plan=plan)
    secret = (secret or "").strip().lower()
    if not HEX64.match(secret) or engine.commitment_of(secret) != draw.commitment:
        raise ValidationError({"secret": _("The secret does not match the published commitment.")})
    if not (public_value or "").strip():
        raise ValidationError({"public_value": _("Give the public random value.")})

    pairs = eligible_pairs(plan)
    if not pairs:
        raise DrawFailed(_("No enterprise is eligible: no active producer of the plan's categories "
                           "in its divisions."))
    codes = dict(plan.categories.values_list("pk", "code"))
    if risk_classes is None:  # from the latest credit grades (B if never graded)
        risk_classes = credit_risk_classes(u for _e, u, _d, _c in pairs)
    classes = risk_classes
    pool = engine.Pool.from_rows((u, d, codes[c], classes.get(u, DEFAULT_RISK_CLASS))
                                 for _e, u, d, c in pairs)
    inspectors, by_badge = inspector_rows(plan)
    conflicts, last = conflicts_and_last({e for e, *_ in pairs})
    try:
        record = engine.run_draw(
            pool, params_of(plan),
            engine.Randomness(secret, public_value.strip(), public_value_source.strip()),
            exclusions=exclusions_for(plan, pairs), inspectors=inspectors, conflicts=conflicts,
            last_inspectors=last,
            meta={"title": plan.title, "period": plan.period, "division": plan.division_id,
                  "kind": plan.kind},
            engine=engine_name)
    except engine.DrawError as exc:
        raise DrawFailed(str(exc)) from exc

    enterprise_of = {u: (e, d) for e, u, d, _c in pairs}
    category_id = {code: pk for pk, code in codes.items()}
    keys = {(uscc, s["stratum"].split("/")[-1]): (s["stratum"], key)
            for s in record["result"]["strata"] for uscc, _h, key in s["selected"]}
    labs = dict(PlanLab.objects.filter(plan=plan).values_list("category__code", "lab_id"))
    tasks, assignments = [], []
    for uscc, code, _area, inspector_ids in record["result"]["tasks"]:
        ent, div = enterprise_of[uscc]
        stratum, key = keys.get((uscc, code), ("", ""))
        tasks.append(Task(plan=plan, enterprise_id=ent, category_id=category_id[code], division_id=div,
                          stratum=stratum, draw_key=str(key)[:40], lab_id=labs.get(code)))
        assignments.append(inspector_ids)
    for task in tasks:
        task.save()  # one audited create per task
    through = Task.inspectors.through
    through.objects.bulk_create([through(task_id=t.pk, inspector_id=by_badge[i].pk)
                                 for t, ids in zip(tasks, assignments) for i in ids])
    TaskEvent.objects.bulk_create([TaskEvent(task=t, type=TaskEvent.Type.DRAWN, user=user,
                                             parameters={"inspectors": ids})
                                   for t, ids in zip(tasks, assignments)])

    record_data = engine.record_bytes(record)
    pool_data = pool.to_bytes()
    draw.public_value = public_value.strip()
    draw.public_value_source = public_value_source.strip()
    draw.secret = secret
    draw.seed = record["randomness"]["seed"]
    draw.algorithm = record["algorithm"]
    draw.pool_hash = record["pool"]["sha256"]
    draw.pool_size = len(pool)
    draw.record_hash = engine.record_sha256(record)
    draw.drawn_at = timezone.now()
    draw.record_file.save(f"plan-{plan.pk}-draw-record.json", ContentFile(record_data), save=False)
    draw.pool_file.save(f"plan-{plan.pk}-pool.csv", ContentFile(pool_data), save=False)
    draw.save()
    plan.status = Plan.Status.DRAWN
    plan.save()
    return draw


@transaction.atomic
def publish_draw(plan: Plan, user) -> Draw:
    """Make the plan, its draw record and pool public (一公开)."""
    plan = _locked_plan(plan, user)
    if plan.status != Plan.Status.DRAWN:
        raise ValidationError(_("Only a drawn plan can be published."))
    draw = plan.draw
    draw.published_at = timezone.now()
    draw.save()
    plan.status = Plan.Status.PUBLISHED
    plan.save()
    return draw


def tasks_by_inspector(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for badge in Task.inspectors.through.objects.filter(task__plan=plan) \
            .values_list("inspector__badge_number", flat=True):
        counts[badge] += 1
    return dict(counts)
