"""Requesting, building and publishing quality-status reports (no HTTP).

A report is requested (a ``queued`` row, from the page, the command line or the schedule) and
built once by ``execute`` — from the background task (``zhijian.targets.tasks``) or in-process by
the command. ``execute`` claims the row (queued → running) under a row lock, so a task picked up
twice builds once. Progress (phase, steps done / steps) is written to the row as the build goes
(the build does not hold a transaction open, so the page sees it). The files go to the default
storage (``MEDIA_ROOT/targets/reports/<id>/``). A report still queued or running after
``STALE_AFTER`` is taken for dead (its worker was killed) and marked failed with that reason when
the next report of the same division and period is requested or the schedule runs.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhijian.core.scope import ROLE_PROVINCE_ADMIN, scope_for

from .. import periods
from ..models import QualityReport, QualityReportEvent

logger = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=int(getattr(settings, "ZHIJIAN_REPORT_STALE_MINUTES", 60)))
ACTIVE = (QualityReport.Status.QUEUED, QualityReport.Status.RUNNING)


def _event(report, type_, user=None, **params):
    QualityReportEvent.objects.create(report=report, type=type_, date=timezone.now(), user=user,
                                      parameters=params)


def check_scope(division, period: str) -> None:
    """A report covers the province or a city (prefecture level), for a year or a quarter."""
    try:
        kind = periods.kind(period)
    except periods.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if kind == periods.MONTH:
        raise ValidationError({"period": _("A report covers a year or a quarter.")})
    if not division.pk.endswith("00"):
        raise ValidationError({"division": _("A report covers the province or a city.")})


def may_request(user, division) -> bool:
    s = scope_for(user)
    if not user.has_perm("targets.add_qualityreport"):
        return False
    return s.unrestricted or bool(s.prefix and division.pk.startswith(s.prefix))


def abandon_stale(now=None) -> int:
    now = now or timezone.now()
    n = 0
    for r in QualityReport.objects.filter(status__in=ACTIVE, created__lt=now - STALE_AFTER):
        r.status, r.finished_at = QualityReport.Status.FAILED, now
        r.message = _("Abandoned: not built after %(m)d minutes (the worker stopped?).") % {
            "m": STALE_AFTER.total_seconds() // 60}
        r.save()
        _event(r, QualityReportEvent.Type.FAILED, reason=r.message)
        n += 1
    return n


def request(user, division, period: str, *, trigger: str = QualityReport.Trigger.WEB,
            language: str | None = None) -> QualityReport:
    """A queued report; a report of the same division and period still queued or running is
    returned instead of a second one."""
    check_scope(division, period)
    if user is not None and not may_request(user, division):
        raise PermissionDenied(_("The division is outside your region."))
    with transaction.atomic():
        abandon_stale()
        busy = (QualityReport.objects.select_for_update().filter(division=division, period=period, status__in=ACTIVE)
                .first())
        if busy is not None:
            return busy
        report = QualityReport.objects.create(division=division, period=period, trigger=trigger,
                                              requested_by=user, language=language or settings.LANGUAGE_CODE,
                                              progress_total=len(STEPS))
        _event(report, QualityReportEvent.Type.REQUESTED, user, trigger=trigger)
    return report


STEPS = ("spot_checks", "complaints", "risk", "recalls", "credit", "targets", "charts", "html", "pdf", "xlsx")


def _progress(report, done, phase):
    QualityReport.objects.filter(pk=report.pk).update(progress_done=done, phase=phase)


def execute(report_id: int, *, today: dt.date | None = None) -> QualityReport:
    """Build a queued report (a report no longer queued is returned as it is)."""
    from . import data as report_data
    from . import render

    with transaction.atomic():
        report = QualityReport.objects.select_for_update().select_related("division").get(pk=report_id)
        if report.status != QualityReport.Status.QUEUED:
            return report
        report.status, report.started_at = QualityReport.Status.RUNNING, timezone.now()
        report.phase, report.progress_done, report.progress_total = "spot_checks", 0, len(STEPS)
        report.save()
        _event(report, QualityReportEvent.Type.STARTED)
    t0 = time.perf_counter()
    try:
        with translation.override(report.language):
            data = report_data.build(report.division, report.period, today=today,
                                     progress=lambda done, total, label: _progress(
                                         report, done, STEPS[min(done, len(STEPS) - 1)]))
            timings = {}
            charts = render.attach_charts(data, timings)
            _progress(report, 7, "html")
            document = render.html(data)
            _progress(report, 8, "pdf")
            pdf = render.pdf(document)
            _progress(report, 9, "xlsx")
            book = render.xlsx(data)
        stem = f"quality-report-{report.division_id}-{report.period}"
        with transaction.atomic():
            report.refresh_from_db()
            for field, suffix, content in (("html_file", "html", document.encode()), ("pdf_file", "pdf", pdf),
                                           ("xlsx_file", "xlsx", book)):
                getattr(report, field).save(f"{stem}.{suffix}", ContentFile(content), save=False)
            report.status, report.finished_at = QualityReport.Status.DONE, timezone.now()
            report.duration_s = round(time.perf_counter() - t0, 3)
            report.figure_count = len(report_data.figures(data))
            report.chart_count = charts
            report.progress_done, report.phase, report.message = len(STEPS), "done", ""
            report.save()
            _event(report, QualityReportEvent.Type.BUILT, figures=report.figure_count, charts=charts,
                   seconds=report.duration_s)
    except Exception as exc:
        logger.exception("quality report %s failed", report_id)
        report.refresh_from_db()
        report.status, report.finished_at = QualityReport.Status.FAILED, timezone.now()
        report.duration_s = round(time.perf_counter() - t0, 3)
        report.message = f"{type(exc).__name__}: {exc}"[:2000]
        report.save()
        _event(report, QualityReportEvent.Type.FAILED, reason=report.message)
        raise
    return report


def build_now(user, division, period: str, *, trigger=QualityReport.Trigger.CLI, today=None) -> QualityReport:
    """Request and build in this process (the command line)."""
    report = request(user, division, period, trigger=trigger)
    return execute(report.pk, today=today)


def set_published(report: QualityReport, user, published: bool) -> QualityReport:
    """The province publishes a built report on the portal (or withdraws it)."""
    s = scope_for(user)
    if not (s.unrestricted or s.role == ROLE_PROVINCE_ADMIN) or not user.has_perm("targets.change_qualityreport"):
        raise PermissionDenied(_("Only the province publishes reports."))
    if published and report.status != QualityReport.Status.DONE:
        raise ValidationError(_("Only a built report can be published."))
    with transaction.atomic():
        report.published = published
        report.published_at = timezone.now() if published else None
        report.save()
        _event(report, QualityReportEvent.Type.PUBLISHED if published else QualityReportEvent.Type.WITHDRAWN, user)
    return report


# ------------------------------------------------------------------------------------ schedule
def last_closed(today: dt.date) -> tuple[str, str]:
    """The last closed quarter and year on ``today``."""
    q = (today.month - 1) // 3 + 1
    quarter = f"{today.year}Q{q - 1}" if q > 1 else f"{today.year - 1}Q4"
    return quarter, str(today.year - 1)


def schedule(today: dt.date, *, divisions=None) -> list[QualityReport]:
    """Queue the reports due on ``today``: the last closed quarter and the last closed year of the
    province and of every city, unless one exists already (queued, running or done). Idempotent."""
    from zhijian.registry.models import Division

    province = settings.ZHIJIAN_PROVINCE_CODE
    if divisions is None:
        divisions = list(Division.objects.filter(pk=province)) + list(
            Division.objects.filter(parent_id=province, active=True).order_by("code"))
    quarter, year = last_closed(today)
    made = []
    with transaction.atomic():
        abandon_stale()
        have = set(QualityReport.objects.filter(period__in=[quarter, year]).exclude(
            status=QualityReport.Status.FAILED).values_list("division_id", "period"))
        for d in divisions:
            for p in (quarter, year):
                if (d.pk, p) not in have:
                    made.append(request(None, d, p, trigger=QualityReport.Trigger.SCHEDULE))
    return made
