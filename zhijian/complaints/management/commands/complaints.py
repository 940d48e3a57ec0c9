"""``zhijian complaints <verb>``: the complaint data commands.

* ``import FILE`` — import a 12315-style export (CSV UTF-8 / GBK / GB18030, or .xlsx); all
  rows or none; the errors go to ``FILE.errors.csv`` (see docs/complaints-data.md);
* ``purge [--dry-run] [--on DATE]`` — anonymise the personal data of cases closed more than
  ``ZHIJIAN_COMPLAINT_RETENTION_YEARS`` years ago (run it daily from cron);
* ``stats [--from DATE] [--to DATE] [--user NAME]`` — the headline counts;
* ``daily-counts --from DATE --to DATE [-o FILE.csv]`` — counts per day × division × category,
  the input of the risk-signal detection;
* ``evaluate FILE.csv`` / ``train`` — the classifier's commands (``complaints_evaluate`` /
  ``complaints_train``), when installed.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

SHOW_ERRORS = 50


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Complaint data: import 12315 exports, purge personal data, statistics, daily counts, classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        p = sub.add_parser("import", help="import a 12315-style export (all rows or none)")
        p.add_argument("file")
        p.add_argument("--mode", choices=["create"], default="create",
                       help="create (the only mode: an import never changes an existing case)")
        p.add_argument("--user", help="import as this user, within the user's region "
                                      "(default: a system import with the province's scope)")
        p.add_argument("--encoding", help="CSV encoding (default: detect UTF-8 / GBK)")
        p.add_argument("--errors-file", help="where to write the errors (default: <file>.errors.csv)")
        p.add_argument("--no-classify", action="store_true", help="do not suggest labels after the import")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

        p = sub.add_parser("purge", help="anonymise personal data after the retention period")
        p.add_argument("--dry-run", action="store_true", help="only count the cases due")
        p.add_argument("--on", type=_date, help="as if today were this date (YYYY-MM-DD)")

        p = sub.add_parser("stats", help="headline counts")
        p.add_argument("--from", dest="start", type=_date)
        p.add_argument("--to", dest="end", type=_date)
        p.add_argument("--user", help="what this user may see (default: everything)")

        p = sub.add_parser("daily-counts", help="cases per day x division x category (CSV)")
        p.add_argument("--from", dest="start", type=_date, required=True)
        p.add_argument("--to", dest="end", type=_date, required=True)
        p.add_argument("--output", "-o", help="CSV file (default: standard output)")
        p.add_argument("--user", help="what this user may see (default: everything)")

        for verb, target in (("evaluate", "complaints_evaluate"), ("train", "complaints_train")):
            p = sub.add_parser(verb, help=f"the classifier's {verb} command ({target})")
            p.add_argument("rest", nargs=argparse.REMAINDER, help="arguments of that command")

    def handle(self, *args, **opts):
        verb = opts["verb"]
        if verb == "import":
            return self.do_import(opts)
        if verb == "purge":
            return self.do_purge(opts)
        if verb == "stats":
            return self.do_stats(opts)
        if verb == "daily-counts":
            return self.do_daily(opts)
        return self.delegate("complaints_" + verb, opts.get("rest") or [])

    # ------------------------------------------------------------------ helpers
    def _user(self, name):
        if not name:
            return None
        try:
            return get_user_model().objects.get(username=name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no such user: {name}") from None

    def _cases(self, username):
        from zhijian.complaints.models import Case

        user = self._user(username)
        return Case.objects.restrict(user, "view") if user else Case._base_manager.all()

    def delegate(self, name, rest):
        if name not in get_commands():
            raise CommandError(f"{name} is not installed (the classifier package provides it)")
        return call_command(name, *rest, stdout=self.stdout, stderr=self.stderr)

    # ------------------------------------------------------------------ verbs
    def do_import(self, opts):
        from django.conf import settings

        from zhijian.core.importing import write_errors_csv
        from zhijian.core.jobs import create_job, process_job
        from zhijian.core.management.commands.import_data import _Bar

        from ...importers import ComplaintImporter

        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = self._user(opts["user"])
        job = create_job("complaints", path, user=user, mode="create", source="cli",
                         encoding=opts["encoding"] or "")
        bar = _Bar(enabled=not opts["no_progress"] and sys.stderr.isatty())
        old = getattr(settings, "ZHIJIAN_COMPLAINT_IMPORT_CLASSIFY", True)
        if opts["no_classify"]:
            settings.ZHIJIAN_COMPLAINT_IMPORT_CLASSIFY = False
        try:
            result = process_job(job.pk, progress=bar.update)
        finally:
            bar.close()
            settings.ZHIJIAN_COMPLAINT_IMPORT_CLASSIFY = old
        ignored = getattr(result, "ignored_headers", [])
        if ignored:
            self.stdout.write(f"columns ignored: {', '.join(ignored)}")
        if result.ok:
            rate = result.total / result.seconds if result.seconds else 0
            self.stdout.write(self.style.SUCCESS(
                f"{path.name}: {result.created} cases imported in {result.seconds:.1f} s ({rate:,.0f} rows/s), "
                f"ids {result.first_id}-{result.last_id}; {getattr(result, 'classified', 0)} classified; "
                f"import job {job.pk}, audit entry {result.audit_seq}"))
            return
        errors_path = Path(opts["errors_file"] or f"{path}.errors.csv")
        write_errors_csv(result.errors, errors_path, ComplaintImporter.columns)
        for e in result.errors[:SHOW_ERRORS]:
            where = f"row {e.row}" + (f", {e.field}" if e.field else "")
            value = f" [{e.value}]" if e.value else ""
            self.stderr.write(f"{where}: {e.reason}{value}")
        if result.error_count > SHOW_ERRORS:
            self.stderr.write(f"... and {result.error_count - SHOW_ERRORS} more")
        raise CommandError(f"{path.name} rejected: {result.error_count} error(s), nothing was written; "
                           f"all errors are in {errors_path}")

    def do_purge(self, opts):
        from zhijian.core.context import change_context

        from ...retention import purge

        with change_context(source="cli"):
            r = purge(on=opts["on"], dry_run=opts["dry_run"])
        if r.dry_run:
            self.stdout.write(f"{r.count} cases closed before {r.cutoff} are due for anonymisation "
                              f"(retention {r.years} years); nothing changed (dry run)")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"{r.count} cases closed before {r.cutoff} anonymised (retention {r.years} years)"
                + (f"; audit entry {r.audit_seq}" if r.audit_seq else "")))

    def do_stats(self, opts):
        from ... import stats

        qs = stats.in_period(self._cases(opts["user"]), opts["start"], opts["end"])
        s = stats.summary(qs)
        self.stdout.write(f"cases: {s['total']} (open {s['open']}, closed {s['closed']}); "
                          f"overdue rate {s['overdue_rate']:.1%} of {s['with_clock']} decided or due; "
                          f"open overdue {s['open_overdue']}")
        for title, rows in (("by kind", stats.by_kind(qs)), ("by channel", stats.by_channel(qs)),
                            ("by category", stats.by_category(qs)), ("by hazard", stats.by_hazard(qs)),
                            ("by division", stats.by_division(qs)), ("top respondents", stats.top_respondents(qs))):
            self.stdout.write(f"{title}: " + "; ".join(f"{r['label']} {r['n']}" for r in rows[:15]))

    def do_daily(self, opts):
        from ... import stats

        if opts["end"] < opts["start"]:
            raise CommandError("--to is before --from")
        rows = stats.daily_counts(opts["start"], opts["end"], self._cases(opts["user"]))
        out = open(opts["output"], "w", encoding="utf-8", newline="") if opts["output"] else self.stdout
        try:
            w = csv.writer(out)
            w.writerow(stats.DAILY_FIELDS)
            n = 0
            for r in rows:
                w.writerow([r[k] if r[k] is not None else "" for k in stats.DAILY_FIELDS])
                n += 1
        finally:
            if opts["output"]:
                out.close()
        if opts["output"]:
            self.stdout.write(f"{n} rows written to {opts['output']}")
