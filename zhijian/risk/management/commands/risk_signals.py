"""Run the signal definitions now: ``zhijian risk-signals [--as-of YYYY-MM-DD] [--engine duckdb|spark]``."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhijian.core.context import change_context


class Command(BaseCommand):
    help = "Count complaints, injury cases and unqualified results per week and detect signals."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", default=None, help="Evaluate the last complete week before this day.")
        parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])

    def handle(self, *args, as_of, engine, **options):
        from zhijian.risk import signal_run

        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}")
        with change_context(source="cli"):
            counts = signal_run.run_signals(day, engine=engine)
        from django.utils import timezone

        week = signal_run.evaluation_week(day or timezone.localdate())
        for code, n in counts.items():
            self.stdout.write(f"{week} {code}: {n} alarm(s)")
