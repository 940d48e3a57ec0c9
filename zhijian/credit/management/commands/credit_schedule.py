"""``zhijian credit schedule``: the monthly grading (DESIGN §6.3: risk classes are recomputed monthly).

Idempotent: it grades every enterprise (trigger "schedule", as of today) only when this month has
no finished run and no run is queued or running; otherwise it does nothing. Safe to start from
several machines or timers at once: the check and the start happen under one lock. Put it in cron or
a systemd timer (daily is enough: the first check of a month runs the grading), or keep it running
beside the worker with ``--every 3600`` (docs/credit.md).
"""
import datetime as dt
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from zhijian.core import heartbeat
from zhijian.core.context import change_context
from zhijian.credit.jobs import ENGINES, execute_run, month_bounds, start_monthly_run
from zhijian.credit.models import GradingRun


class Command(BaseCommand):
    help = "Run this month's credit grading unless it has been done (for cron / systemd timers)."

    def add_arguments(self, parser):
        parser.add_argument("--engine", choices=ENGINES, default="duckdb")
        parser.add_argument("--today", help="the date to act for, YYYY-MM-DD (default: today)")
        parser.add_argument("--every", type=int, metavar="SECONDS",
                            help="keep running and check again every SECONDS (at least 60)")

    def handle(self, *args, engine, today, every, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today!r}")
        if every is not None and every < 60:
            raise CommandError("--every: give at least 60 seconds")
        if every is None:
            self.check_once(day or timezone.localdate(), engine)
            return
        while True:  # a failed check (a failed run) is reported and retried at the next one
            try:
                heartbeat.beat("scheduler", f"credit_schedule every {every} s")
                self.check_once(day or timezone.localdate(), engine)
            except Exception as exc:  # noqa: BLE001 - the loop must survive
                self.stderr.write(f"check failed: {type(exc).__name__}: {exc}")
            finally:
                connection.close()  # no connection held open between checks
            time.sleep(every)

    def check_once(self, day: dt.date, engine: str) -> None:
        from zhijian.accounts.audit import flush_all
        from zhijian.credit.registry_events import sync_registry_events
        from zhijian.credit.services_listing import promote_long_abnormal

        flush_all()  # audit entries waiting to be chained (agency lookups in a quiet hour)
        with change_context(source="cli"):
            # Three years on the abnormal-operation list → serious-violation list (SAMR order 44);
            # idempotent, and done before grading so the hard rule sees the new listings.
            promoted = promote_long_abnormal(day)
            # Registry rows imported in bulk bypassed the signal that records their events.
            synced = sum(sync_registry_events(day).values())
        try:  # the weekly signal run of the risk app (once per evaluated week)
            from zhijian.risk.signal_run import run_if_due

            with change_context(source="cli"):
                signal_run = run_if_due(day, engine=engine)
            if signal_run is not None:
                self.stdout.write(f"signals for the week of {signal_run.week}: {signal_run.alarms}")
        except Exception as exc:  # noqa: BLE001 - grading must not wait on the signals
            self.stderr.write(f"signal run failed: {type(exc).__name__}: {exc}")
        try:  # public-opinion sources whose fetch interval has passed
            from zhijian.risk.opinion import fetch_due

            with change_context(source="cli"):
                fetched = fetch_due()
            for name, result in fetched.items():
                self.stdout.write(f"opinion source {name}: {result}")
        except Exception as exc:  # noqa: BLE001 - grading must not wait on the feeds
            self.stderr.write(f"opinion fetch failed: {type(exc).__name__}: {exc}")
        if synced:
            self.stdout.write(f"{synced} credit event(s) added from registry records")
        if promoted:
            self.stdout.write(f"{len(promoted)} enterprise(s) moved to the serious-violation list")
        try:
            with change_context(source="cli"):
                run = start_monthly_run(day, engine=engine)
                if run is not None:
                    run = execute_run(run.pk)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        if run is None:
            first, last = month_bounds(day)
            done = (GradingRun.objects.filter(status=GradingRun.Status.DONE, as_of__range=(first, last))
                    .order_by("-finished").first())
            why = (f"run {done.pk} graded this month (as of {done.as_of})" if done
                   else "another run is queued or running")
            self.stdout.write(f"{day:%Y-%m}: nothing to do, {why}")
            return
        self.stdout.write(
            f"{day:%Y-%m}: run {run.pk} ({run.status}): {run.grade_count} grades from {run.event_count} "
            f"events in {run.duration_s:.2f} s (snapshot {run.snapshot_sha256[:12]})")
