"""``zhijian import-data <type> FILE``: import a CSV / Excel file, all rows or none."""
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zhijian.core.importing import MODES, importers, write_errors_csv
from zhijian.core.jobs import create_job, process_job

SHOW_ERRORS = 50
PHASES = {"read": "reading", "validate": "validating", "check": "checking", "write": "writing",
          "update": "updating"}


class Command(BaseCommand):
    help = ("Import a CSV (UTF-8, UTF-8 with BOM or GBK) or .xlsx file. Every row is validated; "
            "if any row is bad nothing is written and the errors go to <file>.errors.csv.")

    def add_arguments(self, parser):
        parser.add_argument("type", help="what to import: " + ", ".join(sorted(importers())))
        parser.add_argument("file")
        parser.add_argument("--mode", choices=MODES, default="create",
                            help="create (default): existing rows are errors; upsert: update them")
        parser.add_argument("--user", help="import as this user, within the user's scope "
                                           "(default: a system import with province scope)")
        parser.add_argument("--encoding", help="CSV encoding (default: detect UTF-8 / GBK)")
        parser.add_argument("--errors-file", help="where to write the errors (default: <file>.errors.csv)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        available = importers()
        kind = opts["type"].replace("-", "_")
        if kind not in available:
            raise CommandError(f"unknown type {opts['type']!r}; choose one of: {', '.join(sorted(available))}")
        user = None
        if opts["user"]:
            try:
                user = get_user_model().objects.get(username=opts["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no such user: {opts['user']}") from None
        job = create_job(kind, path, user=user, mode=opts["mode"], source="cli",
                         encoding=opts["encoding"] or "")
        bar = _Bar(enabled=not opts["no_progress"] and sys.stderr.isatty())
        try:
            result = process_job(job.pk, progress=bar.update)
        finally:
            bar.close()
        if result.ok:
            rate = result.total / result.seconds if result.seconds else 0
            self.stdout.write(self.style.SUCCESS(
                f"{path.name}: {result.total} rows imported ({result.created} created, "
                f"{result.updated} updated) in {result.seconds:.1f} s ({rate:,.0f} rows/s); "
                f"import job {job.pk}, audit entry {result.audit_seq}"))
            return
        errors_path = Path(opts["errors_file"] or f"{path}.errors.csv")
        write_errors_csv(result.errors, errors_path, available[kind].columns)
        for e in result.errors[:SHOW_ERRORS]:
            where = f"row {e.row}" + (f", {e.field}" if e.field else "")
            value = f" [{e.value}]" if e.value else ""
            self.stderr.write(f"{where}: {e.reason}{value}")
        if result.error_count > SHOW_ERRORS:
            self.stderr.write(f"... and {result.error_count - SHOW_ERRORS} more")
        raise CommandError(f"{path.name} rejected: {result.error_count} error(s), nothing was "
                           f"written; all errors are in {errors_path}")


class _Bar:
    """A tqdm bar on a terminal, one per phase."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.phase = None

    def update(self, phase, done, total):
        if not self.enabled or not total:
            return
        if phase != self.phase:
            from tqdm import tqdm

            self.close()
            self.bar = tqdm(total=total, desc=PHASES.get(phase, phase), unit="rows",
                            unit_scale=True, file=sys.stderr, leave=False)
            self.phase = phase
        self.bar.n = done
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
