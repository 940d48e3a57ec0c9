"""Grading runs: snapshot → Ibis job on an engine → grades bulk-loaded, the run recorded and audited.

The job writes the grades with their explanation (JSON built by the engine) to
``<snapshot>/result/grades.parquet``; ``loading.load`` puts them into the grade table in one
transaction (COPY on PostgreSQL, ``executemany`` elsewhere), with one ``bulk_create`` audit entry.

A run is started from the command line (``zhijian credit grade``), from the runs page (a background
task, see ``tasks.py``) or by the monthly schedule (``zhijian credit schedule``). Every start goes
through ``start_run``, which refuses a second run while one is queued or running: the check and the
insert happen under a lock (PostgreSQL: a table lock on the runs; SQLite: the write lock every
transaction takes, ``transaction_mode=IMMEDIATE``), so two processes cannot both start one.

``execute_run`` runs a queued run once (a run that is no longer queued is left alone, so a worker
that picks the task up twice does nothing the second time). While it runs, live progress goes to a
small JSON file (``VAR_DIR/analytics/credit/progress/<id>.json``): the grades are loaded in one
transaction, which keeps its database writes invisible until it commits, so the run row gets
``progress_total`` when loading starts and ``progress_done`` when it is over.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.accounts import audit
from zhijian.analytics import grading, snapshot

from . import loading
from .models import GradingRun, Method
from .services import current_method

logger = logging.getLogger(__name__)
ENGINES = ("duckdb", "spark")
ACTIVE = (GradingRun.Status.PENDING, GradingRun.Status.RUNNING)
# A queued or running run older than this is taken for dead (its worker was killed) and marked
# failed when the next run starts, so that it does not block grading for ever.
STALE_AFTER = dt.timedelta(hours=int(getattr(settings, "ZHIJIAN_CREDIT_RUN_STALE_HOURS", 12)))


def method_params(method: Method) -> grading.MethodParams:
    return grading.MethodParams(version=method.version, groups=method.groups,
                                grade_bands=method.grade_bands, risk_rules=method.risk_rules)


# ---------------------------------------------------------------------------------------- progress
def progress_path(run: GradingRun) -> Path:
    return Path(settings.VAR_DIR) / "analytics" / "credit" / "progress" / f"{run.pk}.json"


def read_progress(run: GradingRun) -> dict:
    """``{"phase", "done", "total"}`` of a run: phases queued, export, grade, load, finished."""
    if run.status not in ACTIVE:
        return {"phase": "finished", "done": run.progress_done, "total": run.progress_total}
    try:
        return json.loads(progress_path(run).read_text())
    except (OSError, ValueError):
        phase = "queued" if run.status == GradingRun.Status.PENDING else "export"
        return {"phase": phase, "done": run.progress_done, "total": run.progress_total}


def _progress_writer(run: GradingRun, outer=None):
    path = progress_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    last = [0.0, ""]

    def callback(phase: str, done: int = 0, total: int = 0) -> None:
        now = time.monotonic()
        if phase != last[1] or now - last[0] >= 0.5 or done == total:
            last[0], last[1] = now, phase
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
            os.replace(tmp, path)
        if outer and phase == "load":
            outer(done, total)

    return callback


# ------------------------------------------------------------------------------------ start a run
def _lock_runs() -> None:
    """Serialise run starts (inside the caller's transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {GradingRun._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    # SQLite: the transaction already holds the database write lock (BEGIN IMMEDIATE).


def _abandon_stale(now) -> None:
    for run in GradingRun.objects.filter(status__in=ACTIVE, started__lt=now - STALE_AFTER):
        run.status = GradingRun.Status.FAILED
        run.finished = now
        run.message = _("Abandoned: no result after %(h)d hours (the worker stopped?).") % {
            "h": STALE_AFTER.total_seconds() // 3600}
        run.save()


def active_run() -> GradingRun | None:
    return GradingRun.objects.filter(status__in=ACTIVE).order_by("started", "pk").first()


def busy_message(run: GradingRun) -> str:
    return _("Grading run %(id)s (as of %(as_of)s) is still %(status)s; start another one when it has "
             "finished.") % {"id": run.pk, "as_of": run.as_of, "status": run.get_status_display()}


def _validate(as_of, engine, method):
    if engine not in ENGINES:
        raise ValidationError(_("Unknown engine %(e)s: choose duckdb or spark.") % {"e": engine})
    return method or current_method(as_of)


def start_run(*, as_of: dt.date | None = None, engine: str = "duckdb", method: Method | None = None,
              trigger: str = "cli", user=None) -> GradingRun:
    """A queued run; ``ValidationError`` while another run is queued or running."""
    as_of = as_of or timezone.localdate()
    method = _validate(as_of, engine, method)
    with transaction.atomic():
        _lock_runs()
        now = timezone.now()
        _abandon_stale(now)
        busy = active_run()
        if busy is not None:
            raise ValidationError(busy_message(busy), code="busy")
        return GradingRun.objects.create(method=method, engine=engine, as_of=as_of, started=now,
                                         status=GradingRun.Status.PENDING, trigger=trigger, user=user)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def start_monthly_run(today: dt.date | None = None, engine: str = "duckdb") -> GradingRun | None:
    """The schedule's run for ``today``'s month, queued; ``None`` when the month already has a
    finished run, or a run is queued or running (the check and the insert under the same lock,
    so several schedulers in several processes start at most one run)."""
    today = today or timezone.localdate()
    method = _validate(today, engine, None)
    first, last = month_bounds(today)
    with transaction.atomic():
        _lock_runs()
        now = timezone.now()
        _abandon_stale(now)
        if active_run() is not None:
            return None
        if GradingRun.objects.filter(status=GradingRun.Status.DONE, as_of__range=(first, last)).exists():
            return None
        return GradingRun.objects.create(method=method, engine=engine, as_of=today, started=now,
                                         status=GradingRun.Status.PENDING, trigger="schedule")


# ---------------------------------------------------------------------------------- run a run
def execute_run(run_id: int, *, snapshot_dir=None, progress=None) -> GradingRun:
    """Run a queued run to the end (``progress(done, total)`` while grades load). A run that is not
    queued any more (already run, running elsewhere, failed) is returned as it is."""
    with transaction.atomic():
        _lock_runs()
        run = GradingRun.objects.select_related("method").get(pk=run_id)
        if run.status != GradingRun.Status.PENDING:
            return run
        # the status change is logged with the final result; this is only the claim
        GradingRun.objects.filter(pk=run.pk).update(status=GradingRun.Status.RUNNING, started=timezone.now())
    run.refresh_from_db()
    method, as_of, engine = run.method, run.as_of, run.engine
    t0 = time.perf_counter()
    report = _progress_writer(run, progress)
    try:
        report("export")
        directory = Path(snapshot_dir or Path(settings.VAR_DIR) / "analytics" / "credit"
                         / f"run-{run.pk}-{run.started:%Y%m%dT%H%M%S}")
        snap = snapshot.export(directory)
        report("grade", 0, snap["counts"]["enterprises"])
        result = grading.run_to_parquet(directory, directory / "result", method_params(method), as_of, engine,
                                        explain=True, with_contributions=False)
        total = pq.ParquetFile(str(result["grades"])).metadata.num_rows
        GradingRun.objects.filter(pk=run.pk).update(progress_total=total, progress_done=0)
        report("load", 0, total)
        computed_at = timezone.now()
        how = loading.default_path()
        with transaction.atomic():
            loading.load(result["grades"], run=run, method=method, as_of=as_of, computed_at=computed_at,
                         how=how, report=lambda done: report("load", done, total))
            if total == 0:
                report("load", 0, 0)
            run.snapshot_path = snap["path"]
            run.snapshot_sha256 = snap["sha256"]
            run.enterprise_count = snap["counts"]["enterprises"]
            run.event_count = snap["counts"]["events"]
            run.grade_count = total
            run.progress_total = run.progress_done = total
            run.status = GradingRun.Status.DONE
            run.finished = timezone.now()
            run.duration_s = round(time.perf_counter() - t0, 3)
            run.message = ""
            run.save()
            # One audit entry for the bulk-loaded grades (the run row itself is change-logged).
            audit.append("bulk_create", object_type="credit.grade", object_id=run.pk,
                         object_repr=f"grading run {run.pk}",
                         postchange={"run": run.pk, "method": method.version, "engine": engine,
                                     "as_of": as_of, "grades": total, "trigger": run.trigger, "load": how,
                                     "snapshot_sha256": snap["sha256"]})
    except Exception as exc:
        logger.exception("grading run %s failed", run.pk)
        run.refresh_from_db()
        run.status = GradingRun.Status.FAILED
        run.finished = timezone.now()
        run.duration_s = round(time.perf_counter() - t0, 3)
        run.message = f"{type(exc).__name__}: {exc}"[:2000]
        run.save()
        raise
    finally:
        progress_path(run).unlink(missing_ok=True)
    return run


def run_grading(*, as_of: dt.date | None = None, engine: str = "duckdb", method: Method | None = None,
                snapshot_dir=None, progress=None, trigger: str = "cli", user=None) -> GradingRun:
    """Grade every enterprise as of ``as_of`` now, in this process (start + execute);
    ``progress(n_done, n_total)`` is called while loading."""
    run = start_run(as_of=as_of, engine=engine, method=method, trigger=trigger, user=user)
    return execute_run(run.pk, snapshot_dir=snapshot_dir, progress=progress)
