"""``zhijian schedule_quality_reports``: queue the reports of the last closed quarter and year.

For cron or a systemd timer (daily is enough): it queues, for the province and every city, the
report of the last closed quarter and of the last closed year unless one is queued, running or
built already (idempotent; a failed one is queued again). The worker (``db_worker``) builds them;
``--build`` builds them in this process instead.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhijian.core.context import change_context
from zhijian.targets.report import jobs


class Command(BaseCommand):
    help = "Queue the quality-status reports due (last closed quarter and year) unless they exist."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to act for, YYYY-MM-DD (default: today)")
        parser.add_argument("--build", action="store_true", help="build them here instead of on the worker")

    def handle(self, *args, today, build, **options):
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today!r}")
        with change_context(source="cli"):
            made = jobs.schedule(day)
        if not made:
            quarter, year = jobs.last_closed(day)
            self.stdout.write(f"{day}: nothing to do, the reports of {quarter} and {year} exist")
            return
        from zhijian.targets.tasks import build_quality_report_task

        for r in made:
            if build:
                with change_context(source="cli"):
                    r = jobs.execute(r.pk)
            else:
                build_quality_report_task.enqueue(r.pk)
            self.stdout.write(f"report {r.pk} {r.division_id} {r.period}: {r.status}")
