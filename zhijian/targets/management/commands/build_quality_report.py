"""``zhijian build_quality_report --division 320000 --period 2026``: build a quality-status report now."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhijian.core.context import change_context
from zhijian.registry.models import Division
from zhijian.targets.report import jobs


class Command(BaseCommand):
    help = "Build the quality-status report of a division (the province or a city) for a year or a quarter."

    def add_arguments(self, parser):
        parser.add_argument("--division", required=True, help="GB/T 2260 code of the province or a city")
        parser.add_argument("--period", required=True, help="a year (2026) or a quarter (2026Q3)")

    def handle(self, *args, division, period, **options):
        d = Division.objects.filter(pk=division).first()
        if d is None:
            raise CommandError(f"unknown division {division}")
        try:
            with change_context(source="cli"):
                report = jobs.build_now(None, d, period)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"report {report.pk} {d.pk} {period}: {report.status}, {report.figure_count} figures and "
                          f"tables, {report.chart_count} charts in {report.duration_s:.2f} s")
        for f in (report.html_file, report.pdf_file, report.xlsx_file):
            self.stdout.write(f"  {f.path}")
