"""Recompute the computed data elements of the targets app for a range of months."""
from django.core.management.base import BaseCommand, CommandError

from zhijian.core.context import change_context


class Command(BaseCommand):
    help = "Recompute the computed data elements (spot checks, complaints, credit grades, incidents) for months."

    def add_arguments(self, parser):
        parser.add_argument("first_month", help="YYYYMM")
        parser.add_argument("last_month", help="YYYYMM")
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")

    def handle(self, first_month, last_month, engine, **opts):
        from django.core.exceptions import ValidationError

        from zhijian.targets import periods, services

        try:
            for m in (first_month, last_month):
                if periods.kind(m) != periods.MONTH:
                    raise CommandError(f"{m}: give months as YYYYMM")
            with change_context(source="cli"):
                result = services.compute_values(first_month, last_month, engine=engine)
        except (periods.PeriodError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result['rows']} values stored ({engine}), {first_month}–{last_month}")
