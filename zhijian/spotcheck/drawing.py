"""Plans through the double-random draw: commit, draw, publish (DESIGN §5).

Builds the draw's inputs from the database — the eligible pool, exclusions by
higher-level plans of the same period, the qualified inspectors with their open
workload, recorded conflicts and each enterprise's last inspectors — runs the
pure engine in ``draw.py`` and stores the record and pool files, from which
anyone can recompute the draw with ``zhijian verify-draw RECORD POOL``.

The platform never holds the secret before the draw: the bureau publishes only
its commitment, and reveals the secret when it draws. At the commitment the pool and
the other inputs are frozen (the pool's SHA-256 is published with the commitment) and
the source and announced moment of the public value are named; a second officer enters
that value after the moment, and only then can the draw be made (docs/draw.md §2).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict

from django.conf import settings
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
    return Plan.objects.locked(user, plan, _("This plan is outside your scope."))


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


def min_announce_delay() -> dt.timedelta:
    """How long after the commitment the public value's announcement must be, at least
    (setting ``SPOTCHECK_DRAW_MIN_DELAY``, a timedelta; default one hour)."""
    return getattr(settings, "SPOTCHECK_DRAW_MIN_DELAY", dt.timedelta(hours=1))


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def frozen_inputs(plan: Plan, pairs) -> dict:
    """Everything the draw reads besides the pool and the randomness, as it stands now:
    exclusions, the qualified inspectors with their open workload, conflicts and last
    inspectors of every pool enterprise, and the ids the tasks will point to."""
    inspectors, by_badge = inspector_rows(plan)
    conflicts, last = conflicts_and_last({e for e, *_ in pairs})
    return {
        "exclusions": [list(e) for e in exclusions_for(plan, pairs)],
        "inspectors": [[r.id, r.division, list(r.categories), r.workload] for r in inspectors],
        "conflicts": sorted({(str(i), str(u)) for i, u in conflicts}),
        "last_inspectors": sorted({(str(u), str(i)) for u, i in last}),
        "meta": {"title": plan.title, "period": plan.period, "division": plan.division_id, "kind": plan.kind},
        "enterprise_ids": {u: e for e, u, _d, _c in pairs},
        "inspector_ids": {b: insp.pk for b, insp in by_badge.items()},
    }


def inputs_sha256(inputs: dict) -> str:
    return hashlib.sha256(_canonical(inputs)).hexdigest()


@transaction.atomic
def commit(plan: Plan, user, commitment: str, *, public_value_source: str, public_value_at: dt.datetime,
           risk_classes: dict[str, str] | None = None, now: dt.datetime | None = None) -> Draw:
    """Publish the commitment SHA-256(secret) before the draw and freeze the draw's inputs.

    The bureau names where the public value will come from (``public_value_source``, e.g. a
    lottery and its issue) and the announced moment it is taken from (``public_value_at``, at
    least :func:`min_announce_delay` ahead). The pool — the plan's eligible (enterprise,
    category) rows with their risk classes (``risk_classes`` by USCC, else the latest credit
    grades, B if never graded) — is written to the pool file and its SHA-256 published with
    the commitment; inspectors, exclusions, conflicts and last inspectors are frozen beside
    it. The draw later uses exactly these, whatever the registry holds by then, so nobody
    can reshape the pool once the public value is known (docs/draw.md §2)."""
    plan = _locked_plan(plan, user)
    now = now or timezone.now()
    commitment = (commitment or "").strip().lower()
    if not HEX64.match(commitment):
        raise ValidationError({"commitment": _("The commitment is 64 hexadecimal characters "
                                               "(SHA-256 of the secret).")})
    source = " ".join((public_value_source or "").split())
    if not source:
        raise ValidationError({"public_value_source": _(
            "Name where the public value will be published (e.g. the lottery and its issue number).")})
    if public_value_at is None or timezone.is_naive(public_value_at):
        raise ValidationError({"public_value_at": _("Give the date and time the public value is announced.")})
    delay = min_announce_delay()
    if public_value_at < now + max(delay, dt.timedelta(seconds=1)):
        raise ValidationError({"public_value_at": _(
            "The public value must be announced after the commitment, at least %(minutes)d minutes "
            "from now: a value that exists already could be chosen to suit the draw.")
            % {"minutes": int(delay.total_seconds() // 60)}})
    if plan.status != Plan.Status.DRAFT:
        raise ValidationError(_("Only a draft plan can be committed."))
    if not plan.categories.exists():
        raise ValidationError(_("The plan has no product categories."))
    plan.full_clean()
    pairs = eligible_pairs(plan)
    if not pairs:
        raise DrawFailed(_("No enterprise is eligible: no active producer of the plan's categories "
                           "in its divisions."))
    codes = dict(plan.categories.values_list("pk", "code"))
    if risk_classes is None:  # from the latest credit grades (B if never graded)
        risk_classes = credit_risk_classes(u for _e, u, _d, _c in pairs)
    try:
        pool = engine.Pool.from_rows((u, d, codes[c], risk_classes.get(u, DEFAULT_RISK_CLASS))
                                     for _e, u, d, c in pairs)
    except engine.DrawError as exc:
        raise DrawFailed(str(exc)) from exc
    inputs = frozen_inputs(plan, pairs)
    draw = Draw(plan=plan, commitment=commitment, committed_at=now, committed_by=user,
                public_value_source=source, public_value_at=public_value_at,
                pool_hash=pool.sha256, pool_size=len(pool), inputs=inputs, inputs_hash=inputs_sha256(inputs))
    draw.pool_file.save(f"plan-{plan.pk}-pool.csv", ContentFile(pool.to_bytes()), save=False)
    draw.save()
    plan.status = Plan.Status.COMMITTED
    plan.save()
    return draw


@transaction.atomic
def enter_public_value(plan: Plan, user, public_value: str, *, now: dt.datetime | None = None) -> Draw:
    """A second officer — not the one who committed — enters the public value once it has been
    announced at the source named in the commitment. It cannot be changed afterwards: a
    wrong value means cancelling the plan, which stays on record with its commitment."""
    plan = _locked_plan(plan, user)
    now = now or timezone.now()
    if plan.status != Plan.Status.COMMITTED:
        raise ValidationError(_("The plan must be committed, and not yet drawn."))
    draw = Draw.objects.select_for_update().get(plan=plan)
    if draw.public_value:
        raise ValidationError(_("The public value has been entered already (%(by)s, %(at)s); it cannot "
                                "be changed.") % {"by": draw.public_value_entered_by,
                                                   "at": timezone.localtime(draw.public_value_entered_at)
                                                   .strftime("%Y-%m-%d %H:%M")})
    if draw.committed_by_id is not None and draw.committed_by_id == user.pk:
        raise PermissionDenied(_("The public value is entered by a second officer, not by the one "
                                 "who committed."))
    if draw.public_value_at is None or now < draw.public_value_at:
        raise ValidationError({"public_value": _(
            "The public value is announced at %(at)s (%(source)s); it cannot be entered before that.")
            % {"at": timezone.localtime(draw.public_value_at).strftime("%Y-%m-%d %H:%M") if draw.public_value_at
               else "—", "source": draw.public_value_source}})
    value = (public_value or "").strip()
    if not value or "\n" in value or "\r" in value:
        raise ValidationError({"public_value": _("Give the public random value, on one line, as "
                                                 "published.")})
    draw.public_value = value
    draw.public_value_entered_by = user
    draw.public_value_entered_at = now
    draw.save()
    return draw


def frozen_pool(draw: Draw) -> engine.Pool:
    """The pool file written at the commitment, refused when it no longer hashes to the
    published pool SHA-256."""
    try:
        with draw.pool_file.storage.open(draw.pool_file.name, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as exc:
        raise DrawFailed(_("The pool frozen at the commitment cannot be read: %(error)s") % {"error": exc})
    digest = hashlib.sha256(data).hexdigest()
    if digest != draw.pool_hash:
        raise DrawFailed(_("The pool differs from the one frozen at the commitment: it hashes to "
                           "%(got)s, the published pool SHA-256 is %(want)s. The draw is refused.")
                         % {"got": digest, "want": draw.pool_hash})
    try:
        return engine.Pool.from_bytes(data)
    except engine.DrawError as exc:
        raise DrawFailed(str(exc)) from exc


@transaction.atomic
def perform_draw(plan: Plan, user, *, secret: str, engine_name: str = "auto",
                 now: dt.datetime | None = None) -> Draw:
    """Reveal the secret and draw the plan's enterprises and inspectors (all or nothing).

    Uses the pool and inputs frozen at the commitment and the public value entered after its
    announced moment; refuses a draw before that moment, without the public value, or with a
    pool or inputs that differ from what was frozen."""
    plan = _locked_plan(plan, user)
    now = now or timezone.now()
    if plan.status != Plan.Status.COMMITTED:
        raise ValidationError(_("The plan must be committed, and not yet drawn."))
    draw = Draw.objects.select_for_update().get(plan=plan)
    if draw.public_value_at is None or now < draw.public_value_at:
        raise ValidationError(_("The draw cannot be made before the public value is announced (%(at)s).")
                              % {"at": timezone.localtime(draw.public_value_at).strftime("%Y-%m-%d %H:%M")
                                 if draw.public_value_at else "—"})
    if not draw.public_value:
        raise ValidationError(_("The public value has not been entered yet: a second officer enters it "
                                "once it is announced."))
    secret = (secret or "").strip().lower()
    if not HEX64.match(secret) or engine.commitment_of(secret) != draw.commitment:
        raise ValidationError({"secret": _("The secret does not match the published commitment.")})
    pool = frozen_pool(draw)
    inputs = draw.inputs
    if inputs_sha256(inputs) != draw.inputs_hash:
        raise DrawFailed(_("The draw inputs differ from those frozen at the commitment. The draw is refused."))
    try:
        randomness = engine.Randomness(
            secret, draw.public_value, draw.public_value_source,
            committed_at=engine.format_time(draw.committed_at),
            public_value_at=engine.format_time(draw.public_value_at), drawn_at=engine.format_time(now))
        record = engine.run_draw(
            pool, params_of(plan), randomness, exclusions=inputs["exclusions"],
            inspectors=inputs["inspectors"], conflicts=inputs["conflicts"],
            last_inspectors=inputs["last_inspectors"], meta=inputs["meta"], engine=engine_name)
    except engine.DrawError as exc:
        raise DrawFailed(str(exc)) from exc

    enterprise_ids, inspector_ids = inputs["enterprise_ids"], inputs["inspector_ids"]
    division_of = dict(zip(pool.uscc.astype(str).tolist(), (f"{d:06d}" for d in pool.division.tolist())))
    category_id = {code: pk for pk, code in plan.categories.values_list("pk", "code")}
    keys = {(uscc, s["stratum"].split("/")[-1]): (s["stratum"], key)
            for s in record["result"]["strata"] for uscc, _h, key in s["selected"]}
    labs = dict(PlanLab.objects.filter(plan=plan).values_list("category__code", "lab_id"))
    tasks, assignments = [], []
    for uscc, code, _area, badges in record["result"]["tasks"]:
        stratum, key = keys.get((uscc, code), ("", ""))
        tasks.append(Task(plan=plan, enterprise_id=enterprise_ids[uscc], category_id=category_id[code],
                          division_id=division_of[uscc], stratum=stratum, draw_key=str(key)[:40],
                          lab_id=labs.get(code)))
        assignments.append(badges)
    for task in tasks:
        task.save()  # one audited create per task
    through = Task.inspectors.through
    through.objects.bulk_create([through(task_id=t.pk, inspector_id=inspector_ids[b])
                                 for t, badges in zip(tasks, assignments) for b in badges])
    TaskEvent.objects.bulk_create([TaskEvent(task=t, type=TaskEvent.Type.DRAWN, user=user,
                                             parameters={"inspectors": badges})
                                   for t, badges in zip(tasks, assignments)])

    draw.secret = secret
    draw.seed = record["randomness"]["seed"]
    draw.algorithm = record["algorithm"]
    draw.record_hash = engine.record_sha256(record)
    draw.drawn_at = now
    draw.record_file.save(f"plan-{plan.pk}-draw-record.json", ContentFile(engine.record_bytes(record)),
                          save=False)
    draw.save()
    plan.status = Plan.Status.DRAWN
    plan.save()
    return draw


def scripted_draw(plan: Plan, officer, witness, *, secret: str, public_value: str, public_value_source: str,
                  committed_at: dt.datetime, public_value_at: dt.datetime | None = None,
                  drawn_at: dt.datetime | None = None, risk_classes: dict[str, str] | None = None,
                  engine_name: str = "auto") -> Draw:
    """Commit, enter the public value and draw through the services above, at given moments
    (demo data and tests): ``officer`` commits and draws, ``witness`` enters the value.
    By default the value is announced a day after the commitment and the draw follows an
    hour later."""
    public_value_at = public_value_at or committed_at + dt.timedelta(days=1)
    drawn_at = drawn_at or public_value_at + dt.timedelta(hours=1)
    commit(plan, officer, engine.commitment_of(secret), public_value_source=public_value_source,
           public_value_at=public_value_at, risk_classes=risk_classes, now=committed_at)
    enter_public_value(plan, witness, public_value, now=public_value_at)
    return perform_draw(plan, officer, secret=secret, engine_name=engine_name, now=drawn_at)


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
