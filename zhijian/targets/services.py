"""Domain logic of targets and the quality-work assessment (no HTTP; transactional writes).

Evaluation (DHIS2's rule): an indicator's value for a division and a period is computed from
the *sums* of its data elements over that division and period — numerator and denominator are
rolled up first, then divided — never as an average of the sub-divisions' or sub-periods'
ratios. Division roll-up: every approved value stored for the division or any division below it
(GB/T 2260 code prefix) counts; a value is stored at one level only (entering a figure for a
division refuses when a division above or below already holds one for the same element and
period), so nothing is counted twice. Period roll-up: the element's periods inside the asked
period are summed, or — for a stock (``aggregation = last``) — the latest of them with data is
taken.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.scope import ROLE_PROVINCE_ADMIN, division_prefix, scope_for

from . import expressions, periods
from .models import (Assessment, AssessmentEvent, AssessmentScheme, AssessmentScore, DataElement, DataValue,
                     DataValueEvent, Indicator, Target)

# --------------------------------------------------------------------------- evaluation


@dataclass
class IndicatorValue:
    indicator: Indicator
    division: str
    period: str
    value: Decimal | None
    reason: str = ""
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    elements: dict = field(default_factory=dict)


def element_value(element: DataElement, prefix: str, period: str, *, cache=None) -> tuple[Decimal | None, str]:
    """The approved value of ``element`` rolled up over the divisions under ``prefix`` and the
    element's periods inside ``period``; ``(None, reason)`` when there is none."""
    try:
        subs = periods.subperiods(period, element.period_type)
    except periods.PeriodError:
        return None, _("%(element)s is reported per %(type)s") % {
            "element": element.code, "type": element.get_period_type_display()}
    rows = cache.get((element.pk, prefix)) if cache is not None else None
    if rows is None:
        rows = _sums_by_period(element, prefix, subs)
        if cache is not None:
            cache[(element.pk, prefix)] = rows
    per = {p: rows[p] for p in subs if p in rows}
    if element.kind == DataElement.Kind.COMPUTED:
        covered = [p for p in subs if p in _covered_months(cache)]
        if not covered:
            return None, _("%(element)s has not been computed for the period") % {"element": element}
        if element.aggregation == DataElement.Aggregation.LAST:
            return per.get(max(covered), Decimal(0)), ""
        return sum((per.get(p, Decimal(0)) for p in covered), Decimal(0)), ""
    if element.aggregation == DataElement.Aggregation.LAST:
        # A stock: the latest sub-period for which the element has data anywhere; a division
        # without a value for it then has none of the stock (0), not an older figure.
        covered = [p for p in subs if p in _periods_with_data(element, cache)]
        if not covered:
            return None, _("no data for #{%(code)s}") % {"code": element.code}
        return per.get(max(covered), Decimal(0)), ""
    if not per:
        return None, _("no data for #{%(code)s}") % {"code": element.code}
    return sum(per.values(), Decimal(0)), ""


def _covered_months(cache=None) -> set:
    from .models import ComputationRun

    if cache is not None and "covered" in cache:
        return cache["covered"]
    found = set()
    for first, last in ComputationRun.objects.values_list("first_month", "last_month"):
        found.update(_month_range(first, last))
    if cache is not None:
        cache["covered"] = found
    return found


def _periods_with_data(element, cache=None) -> set:
    key = ("periods", element.pk)
    if cache is not None and key in cache:
        return cache[key]
    found = set(DataValue.objects.filter(element=element, status=DataValue.Status.APPROVED)
                .values_list("period", flat=True).distinct())
    if cache is not None:
        cache[key] = found
    return found


def _sums_by_period(element, prefix, subs) -> dict[str, Decimal]:
    from django.db.models import Sum

    qs = DataValue.objects.filter(element=element, status=DataValue.Status.APPROVED, period__in=subs,
                                  division__pk__startswith=prefix)
    return {r["period"]: r["total"] for r in qs.values("period").annotate(total=Sum("value"))}


def evaluate(indicator: Indicator, division: str, period: str) -> IndicatorValue:
    prefix = division_prefix(division)
    values, reasons, cache = {}, {}, {}
    elements = {e.code: e for e in DataElement.objects.filter(code__in=indicator.element_codes())}
    for code in indicator.element_codes():
        element = elements.get(code)
        if element is None:
            reasons[code] = _("unknown data element #{%(code)s}") % {"code": code}
            continue
        v, why = element_value(element, prefix, period, cache=cache)
        if v is None:
            reasons[code] = why
        else:
            values[code] = v
    return _ratio(indicator, division, period, values, reasons)


def _ratio(indicator, division, period, values, reasons) -> IndicatorValue:
    num, why = expressions.evaluate(expressions.parse(indicator.numerator), values)
    if num is None:
        return IndicatorValue(indicator, division, period, None, _reason(why, reasons), elements=values)
    den, why = expressions.evaluate(expressions.parse(indicator.denominator), values)
    if den is None:
        return IndicatorValue(indicator, division, period, None, _reason(why, reasons), num, elements=values)
    if den == 0:
        return IndicatorValue(indicator, division, period, None, _("division by zero (the denominator is 0)"),
                              num, den, values)
    value = num / den * indicator.factor
    return IndicatorValue(indicator, division, period, value, "", num, den, values)


def _reason(why: str, reasons: dict) -> str:
    for code, r in reasons.items():
        if f"#{{{code}}}" in why:
            return r
    if why == "division by zero":
        return _("division by zero (the denominator is 0)")
    return why


def evaluate_many(indicators, divisions, period_list) -> dict:
    """``{(indicator code, division, period): IndicatorValue}`` with one query per element and
    division prefix (all periods at once)."""
    indicators = list(indicators)
    codes = sorted({c for i in indicators for c in i.element_codes()})
    elements = {e.code: e for e in DataElement.objects.filter(code__in=codes)}
    all_subs = defaultdict(set)
    for e in elements.values():
        for p in period_list:
            try:
                all_subs[e.pk].update(periods.subperiods(p, e.period_type))
            except periods.PeriodError:
                pass
    cache = {}
    for division in divisions:
        prefix = division_prefix(division)
        q = Q()
        for e in elements.values():
            if all_subs[e.pk]:
                q |= Q(element=e, period__in=sorted(all_subs[e.pk]))
        sums = defaultdict(dict)
        if q:
            from django.db.models import Sum

            for r in (DataValue.objects.filter(q, status=DataValue.Status.APPROVED, division__pk__startswith=prefix)
                      .values("element_id", "period").annotate(total=Sum("value"))):
                sums[r["element_id"]][r["period"]] = r["total"]
        for e in elements.values():
            cache[(e.pk, prefix)] = sums.get(e.pk, {})
    out = {}
    for ind in indicators:
        for division in divisions:
            prefix = division_prefix(division)
            for p in period_list:
                values, reasons = {}, {}
                for code in ind.element_codes():
                    e = elements.get(code)
                    if e is None:
                        reasons[code] = _("unknown data element #{%(code)s}") % {"code": code}
                        continue
                    v, why = element_value(e, prefix, p, cache=cache)
                    if v is None:
                        reasons[code] = why
                    else:
                        values[code] = v
                out[(ind.code, division, p)] = _ratio(ind, division, p, values, reasons)
    return out


# --------------------------------------------------------------------------- traffic lights

MET, NEAR, NOT_MET, NO_DATA = "met", "near", "not_met", "no_data"
#: "near": within 5 % of the target value (relative), short of it — documented in docs/targets.md.
NEAR_SHARE = Decimal("0.05")


def light(target: Target, value: Decimal | None) -> str:
    if value is None:
        return NO_DATA
    t = target.value
    if target.direction == Target.Direction.AT_MOST:
        if value <= t:
            return MET
        return NEAR if value <= t * (1 + NEAR_SHARE) else NOT_MET
    if value >= t:
        return MET
    return NEAR if value >= t * (1 - NEAR_SHARE) else NOT_MET


def rounded(value: Decimal | None, decimals: int) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- data values


def _overlap(element, division_code: str, period: str):
    """An approved or pending value of the element for the same period at a division above or
    below ``division_code`` (a figure is stored at one level only)."""
    above = [division_code[:2] + "0000", division_code[:4] + "00"]
    prefix = division_prefix(division_code)
    return (DataValue.objects.filter(element=element, period=period)
            .exclude(status=DataValue.Status.REJECTED).exclude(division_id=division_code)
            .filter(Q(division_id__in=[a for a in above if a != division_code]) | Q(division__pk__startswith=prefix))
            .first())


def submit_value(user, *, element: DataElement, division, period: str, value, source: str = "",
                 note: str = "") -> DataValue:
    """An entered figure (or a correction of one), awaiting the province's approval."""
    if element.kind == DataElement.Kind.COMPUTED:
        raise ValidationError({"element": _("%(element)s is computed by the platform; it is not entered.") % {
            "element": element}})
    try:
        ptype = periods.kind(period)
    except periods.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if ptype != element.period_type:
        raise ValidationError({"period": _("%(element)s is reported per %(type)s; %(period)s is not.") % {
            "element": element, "type": element.get_period_type_display(), "period": period}})
    code = division.pk if hasattr(division, "pk") else str(division)
    scope = scope_for(user)
    if not scope.unrestricted and not (scope.prefix and code.startswith(scope.prefix)):
        raise PermissionDenied(_("The division is outside your region."))
    if not user.has_perm("targets.add_datavalue"):
        raise PermissionDenied(_("You may not enter data values."))
    other = _overlap(element, code, period)
    if other is not None:
        raise ValidationError({"division": _("%(element)s for %(period)s is already given for division "
                                             "%(other)s; a figure is kept at one level only.") % {
            "element": element, "period": period, "other": other.division_id}})
    now = timezone.now()
    with transaction.atomic():
        dv, created = DataValue.objects.select_for_update().get_or_create(
            element=element, division_id=code, period=period,
            defaults={"value": value, "origin": DataValue.Origin.FORM, "source": source, "note": note,
                      "entered_by": user})
        if not created:
            if dv.origin == DataValue.Origin.COMPUTED:
                raise ValidationError({"element": _("This value is computed by the platform.")})
            dv.value, dv.source, dv.note, dv.entered_by = value, source, note, user
            dv.status, dv.reviewed_by, dv.reviewed_at, dv.review_comment = DataValue.Status.PENDING, None, None, ""
            dv.origin = DataValue.Origin.FORM
            dv.save()
        DataValueEvent.objects.create(value=dv, type=DataValueEvent.Type.SUBMITTED, date=now, user=user,
                                      parameters={"value": str(value), "source": source})
    return dv


def _require_province(user):
    s = scope_for(user)
    if not (s.unrestricted or s.role == ROLE_PROVINCE_ADMIN):
        raise PermissionDenied(_("Only the province may do this."))


def review_value(dv: DataValue, user, *, approve: bool, comment: str = "") -> DataValue:
    """The province approves or rejects an entered or imported value."""
    _require_province(user)
    if dv.origin == DataValue.Origin.COMPUTED:
        raise ValidationError(_("Computed values are not reviewed."))
    if dv.status != DataValue.Status.PENDING:
        raise ValidationError(_("The value is not awaiting approval."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Give the reason for the rejection.")})
    now = timezone.now()
    with transaction.atomic():
        dv.status = DataValue.Status.APPROVED if approve else DataValue.Status.REJECTED
        dv.reviewed_by, dv.reviewed_at, dv.review_comment = user, now, comment
        dv.save()
        DataValueEvent.objects.create(value=dv, type=DataValueEvent.Type.APPROVED if approve
                                      else DataValueEvent.Type.REJECTED, date=now, user=user,
                                      parameters={"comment": comment})
    return dv


# --------------------------------------------------------------------------- computed values


def compute_values(first_month: str, last_month: str, *, engine: str = "duckdb", snapshot_dir=None) -> dict:
    """Recompute the computed data elements for the months in [first_month, last_month] from the
    platform's records (snapshot → the Ibis definition → data values), replacing the stored ones
    of those months in one transaction, with one audit entry."""
    from zhijian.accounts import audit
    from zhijian.analytics import target_elements as te

    for m in (first_month, last_month):
        if periods.kind(m) != periods.MONTH:
            raise ValidationError(_("Give months (YYYYMM)."))
    elements = {e.computed_key: e for e in DataElement.objects.filter(kind=DataElement.Kind.COMPUTED)}
    with tempfile.TemporaryDirectory() as tmp:
        d = snapshot_dir or tmp
        te.export(d)
        table = te.run(d, first_month, last_month, engine, keys=set(elements) or None)
    rows = table.to_pylist()
    months_ = [p for p in _month_range(first_month, last_month)]
    with transaction.atomic():
        DataValue.objects.filter(element__in=elements.values(), period__in=months_).delete()
        objs = [DataValue(element=elements[r["key"]], division_id=r["division"], period=r["month"],
                          value=Decimal(r["value"]), origin=DataValue.Origin.COMPUTED,
                          status=DataValue.Status.APPROVED, source="zhijian.analytics.target_elements")
                for r in rows if r["key"] in elements]
        DataValue.objects.bulk_create(objs, batch_size=2000)
        from .models import ComputationRun

        ComputationRun.objects.create(first_month=first_month, last_month=last_month, engine=engine,
                                      rows=len(objs), computed_at=timezone.now())
        audit.append("compute", object_type="targets.datavalue", object_repr=f"{first_month}–{last_month}",
                     postchange={"engine": engine, "rows": len(objs), "months": [first_month, last_month]})
    return {"rows": len(objs), "engine": engine}


def _month_range(first: str, last: str):
    y, m = int(first[:4]), int(first[4:])
    while f"{y}{m:02d}" <= last:
        yield f"{y}{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


# --------------------------------------------------------------------------- assessment

GRADE_BANDS = ((Decimal(90), "A"), (Decimal(80), "B"), (Decimal(60), "C"))


def grade_for(total: Decimal | None, *, veto: bool = False) -> str:
    """国办发〔2013〕47号: A ≥ 90, B 80–89, C 60–79, D ≤ 59 (a score below 60); an incident veto is D.
    Scores between bands (89.99) belong to the lower band: B starts at 80, A at exactly 90."""
    if veto:
        return "D"
    if total is None:
        return ""
    for floor, grade in GRADE_BANDS:
        if total >= floor:
            return grade
    return "D"


def _event(assessment, type_, user, **params):
    AssessmentEvent.objects.create(assessment=assessment, type=type_, date=timezone.now(), user=user,
                                   parameters={k: (str(v) if isinstance(v, (Decimal, dt.date)) else v)
                                               for k, v in params.items()})


def open_assessment(scheme: AssessmentScheme, division, user) -> Assessment:
    """The province opens a city's assessment (one score row per item)."""
    _require_province(user)
    code = division.pk if hasattr(division, "pk") else division
    if not (code.endswith("00") and not code.endswith("0000")):
        raise ValidationError({"division": _("Assessments are of cities (prefecture level).")})
    with transaction.atomic():
        a, created = Assessment.objects.get_or_create(scheme=scheme, division_id=code)
        if not created:
            raise ValidationError({"division": _("This city's assessment for the year is already open.")})
        for item in scheme.items.all():
            AssessmentScore.objects.create(assessment=a, item=item)
        _event(a, AssessmentEvent.Type.OPENED, user)
    return a


def _in_scope(assessment, user, action="change"):
    if not Assessment.objects.is_allowed(user, action, assessment):
        raise PermissionDenied(_("The assessment is outside your scope."))


def save_self_assessment(assessment: Assessment, user, scores: dict, *, report: str | None = None,
                         evidence: dict | None = None) -> Assessment:
    """``scores``: {item code: (points, comment)}; ``evidence``: {item code: uploaded file}."""
    _in_scope(assessment, user)
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError(_("The self-assessment has been submitted; it cannot be changed."))
    rows = {s.item.code: s for s in assessment.scores.select_related("item")}
    with transaction.atomic():
        for code, (points, comment) in scores.items():
            s = rows.get(code)
            if s is None:
                raise ValidationError({"scores": _("Unknown item %(code)s.") % {"code": code}})
            if points is not None and not (0 <= Decimal(points) <= s.item.max_points):
                raise ValidationError({"scores": _("Item %(code)s: points must be between 0 and %(max)s.") % {
                    "code": code, "max": s.item.max_points}})
            s.self_points, s.self_comment = points, comment or ""
            if evidence and code in evidence:
                s.evidence = evidence[code]
            s.save()
        if report is not None:
            assessment.self_report = report
        assessment.self_total = sum((s.self_points or 0 for s in rows.values()), Decimal(0))
        assessment.save()
        _event(assessment, AssessmentEvent.Type.SELF_ASSESSED, user, self_total=assessment.self_total)
    return assessment


def submit_self_assessment(assessment: Assessment, user, *, now: dt.datetime | None = None) -> Assessment:
    """Submission closes at the end of the due day (Asia/Shanghai); a late one is refused — the
    province may move the scheme's due date (an extension for all, recorded in the audit)."""
    _in_scope(assessment, user)
    now = now or timezone.now()
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError(_("Already submitted."))
    if timezone.localtime(now).date() > assessment.scheme.due:
        raise ValidationError(_("Self-assessments were due by %(due)s; late submission is refused.") % {
            "due": assessment.scheme.due.isoformat()})
    scores = list(assessment.scores.select_related("item"))
    missing = [s.item.code for s in scores if s.self_points is None]
    if missing:
        raise ValidationError(_("Items without self-assessed points: %(items)s.") % {"items": ", ".join(missing)})
    no_evidence = [s.item.code for s in scores if s.item.evidence_required.strip() and not s.evidence]
    if no_evidence:
        raise ValidationError(_("Items without the required evidence: %(items)s.") % {
            "items": ", ".join(no_evidence)})
    with transaction.atomic():
        assessment.status, assessment.submitted_at = Assessment.Status.SUBMITTED, now
        assessment.save()
        _event(assessment, AssessmentEvent.Type.SUBMITTED, user)
    return assessment


def review(assessment: Assessment, user, points: dict, *, veto_reason: str = "", veto_incident=None) -> Assessment:
    """The province's review: ``points`` {item code: (points, comment)}; total, grade, veto.

    A regional or systemic quality-safety incident makes the grade D whatever the score; the
    reason is recorded (and the risk incident linked when there is one)."""
    _require_province(user)
    if assessment.status not in (Assessment.Status.SUBMITTED, Assessment.Status.REVIEWED):
        raise ValidationError(_("Only a submitted assessment is reviewed."))
    if veto_incident is not None and not veto_reason.strip():
        raise ValidationError({"veto_reason": _("Give the reason for the veto.")})
    rows = {s.item.code: s for s in assessment.scores.select_related("item")}
    unknown = set(points) - set(rows)
    if unknown:
        raise ValidationError({"points": _("Unknown items: %(items)s.") % {"items": ", ".join(sorted(unknown))}})
    missing = set(rows) - set(points)
    if missing:
        raise ValidationError({"points": _("Items without points: %(items)s.") % {"items": ", ".join(sorted(missing))}})
    with transaction.atomic():
        for code, (pts, comment) in points.items():
            s = rows[code]
            pts = Decimal(pts)
            if not 0 <= pts <= s.item.max_points:
                raise ValidationError({"points": _("Item %(code)s: points must be between 0 and %(max)s.") % {
                    "code": code, "max": s.item.max_points}})
            s.points, s.review_comment = pts, comment or ""
            s.save()
        total = sum((s.points for s in rows.values()), Decimal(0))
        veto = bool(veto_reason.strip())
        assessment.total, assessment.veto = total, veto
        assessment.veto_reason, assessment.veto_incident = veto_reason.strip(), veto_incident
        assessment.grade = grade_for(total, veto=veto)
        assessment.status, assessment.reviewed_at = Assessment.Status.REVIEWED, timezone.now()
        assessment.save()
        _event(assessment, AssessmentEvent.Type.REVIEWED, user, total=total, grade=assessment.grade)
        if veto:
            _event(assessment, AssessmentEvent.Type.VETOED, user, reason=assessment.veto_reason,
                   incident=veto_incident.pk if veto_incident else None)
    return assessment


def rank_and_publish(scheme: AssessmentScheme, user) -> list[Assessment]:
    """Rank the reviewed cities (vetoed ones last, then by total, ties share a rank) and publish."""
    _require_province(user)
    items = list(scheme.assessments.select_related("division"))
    pending = [a.division_id for a in items if a.status not in (Assessment.Status.REVIEWED,
                                                                 Assessment.Status.PUBLISHED)]
    if pending:
        raise ValidationError(_("Not yet reviewed: %(cities)s.") % {"cities": ", ".join(pending)})
    order = sorted(items, key=lambda a: (a.veto, -(a.total or 0), a.division_id))
    now = timezone.now()
    with transaction.atomic():
        prev, rank = None, 0
        for i, a in enumerate(order, 1):
            key = (a.veto, a.total)
            if key != prev:
                rank, prev = i, key
            a.rank, a.status, a.published_at = rank, Assessment.Status.PUBLISHED, now
            a.save()
            _event(a, AssessmentEvent.Type.RANKED, user, rank=rank)
            _event(a, AssessmentEvent.Type.PUBLISHED, user)
    return order


# --------------------------------------------------------------------------- progress


@dataclass
class ProgressRow:
    target: Target
    value: Decimal | None
    reason: str
    light: str
    shown: Decimal | None
    trend: list = field(default_factory=list)  # [(period, value or None)]


def progress(target_set, division: str, period: str, *, with_trend: bool = True) -> list[ProgressRow]:
    """Each target's value for ``division`` and ``period`` against the target.

    Counts over a plan period (``cumulative_from``) add the yearly values from that year to the
    period's year (for a year period; a quarter or month shows its own value)."""
    targets = list(target_set.targets.select_related("indicator").order_by("order", "id"))
    indicators = {t.indicator.code: t.indicator for t in targets}.values()
    ptype, year, _n = periods.parse(period)
    wanted = {period}
    trend_periods = periods.series(period) if with_trend else []
    wanted.update(trend_periods)
    for t in targets:
        if t.cumulative_from and ptype == periods.YEAR:
            wanted.update(str(y) for y in range(t.cumulative_from, year + 1))
    values = evaluate_many(indicators, [division], sorted(wanted))
    rows = []
    for t in targets:
        code = t.indicator.code
        if t.cumulative_from and ptype == periods.YEAR:
            parts = [values[(code, division, str(y))] for y in range(t.cumulative_from, year + 1)]
            have = [p.value for p in parts if p.value is not None]
            value = sum(have, Decimal(0)) if have else None
            reason = "" if have else parts[-1].reason
        else:
            iv = values[(code, division, period)]
            value, reason = iv.value, iv.reason
        trend = [(p, rounded(values[(code, division, p)].value, t.indicator.decimals)) for p in trend_periods]
        rows.append(ProgressRow(t, value, reason, light(t, value), rounded(value, t.indicator.decimals), trend))
    return rows
