"""``zhijian credit-exchange export|import``: files for and from the provincial credit platform.

``zhijian credit-exchange export [--since DATETIME | --full]`` writes the changes since the
last export (grades, list memberships, penalty publications) under ``VAR_DIR/exchange/``.
``zhijian credit-exchange import FILE`` imports other agencies' credit records (CSV UTF-8/GBK
or .xlsx; all rows or none; upsert by source agency + record id). Format: docs/credit-exchange.md.
"""
import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhijian.core.context import change_context
from zhijian.core.importing import write_errors_csv
from zhijian.credit import exchange
from zhijian.credit.importers import ExternalCreditRecordImporter

SHOW_ERRORS = 50


def _datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since: not a date or date-time (YYYY-MM-DD[THH:MM[:SS]][+08:00]): {text!r}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


class Command(BaseCommand):
    help = ("Exchange with the provincial credit platform: 'export' the changes since the last export, "
            "'import FILE' other agencies' credit records.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("file", nargs="?", help="import: the CSV or .xlsx file")
        parser.add_argument("--since", help="export: changes after this date-time (default: since the "
                                            "last export)")
        parser.add_argument("--full", action="store_true", help="export: everything, not only changes")
        parser.add_argument("--user", help="run as this user, within the user's scope (default: province-wide)")
        parser.add_argument("--encoding", help="import: CSV encoding (default: detect UTF-8 / GBK)")
        parser.add_argument("--errors-file", help="import: where to write the errors (default: <file>.errors.csv)")

    def handle(self, *args, action, file, since, full, user, encoding, errors_file, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no such user: {user}") from None
        if action == "export":
            if file:
                raise CommandError("export takes no file")
            if since and full:
                raise CommandError("--since and --full exclude each other")
            with change_context(user=account, source="cli"):
                try:
                    result = exchange.export(_datetime(since) if since else None, full=full, user=account)
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
            m = result.manifest
            counts = ", ".join(f"{v} {k}" for k, v in m["counts"].items())
            window = f"since {m['since']}" if m["since"] else "full"
            self.stdout.write(self.style.SUCCESS(
                f"export {result.export.pk} ({window}, until {m['until']}): {counts}\n"
                f"  {result.directory}\n  {result.archive} (SHA-256 {result.export.sha256})"))
            return
        if not file:
            raise CommandError("import needs a FILE")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        job, result = exchange.import_records(path, user=account, encoding=encoding)
        if result.ok:
            self.stdout.write(self.style.SUCCESS(
                f"{path.name}: {result.total} rows imported ({result.created} created, {result.updated} "
                f"updated, {result.unchanged} unchanged); import job {job.pk}, audit entry {result.audit_seq}"))
            return
        errors_path = Path(errors_file or f"{path}.errors.csv")
        write_errors_csv(result.errors, errors_path, ExternalCreditRecordImporter.columns)
        for e in result.errors[:SHOW_ERRORS]:
            where = f"row {e.row}" + (f", {e.field}" if e.field else "")
            value = f" [{e.value}]" if e.value else ""
            self.stderr.write(f"{where}: {e.reason}{value}")
        if result.error_count > SHOW_ERRORS:
            self.stderr.write(f"... and {result.error_count - SHOW_ERRORS} more")
        raise CommandError(f"{path.name} rejected: {result.error_count} error(s), nothing was written; "
                           f"all errors are in {errors_path}")
