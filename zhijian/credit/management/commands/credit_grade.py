"""``zhijian credit grade [--engine duckdb|spark] [--as-of DATE]``: grade every enterprise.

(``zhijian credit-grade`` and ``manage.py credit_grade`` are the same command.) The run is recorded
with trigger "cli"; it is refused while another run is queued or running.
"""
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from zhijian.core.context import change_context
from zhijian.credit.jobs import run_grading
from zhijian.credit.models import Method


class Command(BaseCommand):
    help = "Grade every enterprise's quality credit on a Parquet snapshot (DuckDB by default)."

    def add_arguments(self, parser):
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument("--as-of", help="grading date, YYYY-MM-DD (default: today)")
        parser.add_argument("--method", help="method version (default: the published one in force)")
        parser.add_argument("--snapshot-dir", help="where to write the snapshot (default: under VAR_DIR)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, engine, as_of, method, snapshot_dir, no_progress, **options):
        try:
            as_of = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}")
        chosen = None
        if method:
            chosen = Method.objects.filter(version=method).first()
            if chosen is None:
                raise CommandError(f"--method: no method version {method!r}")
        bar = tqdm(total=0, unit="grade", desc="loading grades", disable=no_progress, file=self.stderr._out)

        def progress(done, total):
            if bar.total != total:
                bar.total = total
                bar.refresh()
            bar.update(done - bar.n)

        try:
            with change_context(source="cli"):
                run = run_grading(as_of=as_of, engine=engine, method=chosen, snapshot_dir=snapshot_dir,
                                  progress=progress, trigger="cli")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        finally:
            bar.close()
        self.stdout.write(
            f"run {run.pk}: method {run.method.version}, engine {run.engine}, as of {run.as_of}: "
            f"{run.grade_count} grades from {run.event_count} events in {run.duration_s:.2f} s "
            f"(snapshot {run.snapshot_sha256[:12]})")
