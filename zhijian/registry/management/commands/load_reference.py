from django.core.management.base import BaseCommand, CommandError

from zhijian.core.context import change_context
from zhijian.reference import load_all
from zhijian.registry.reference import TABLES, EditionError, apply_edition, data_dir


class Command(BaseCommand):
    help = ("Load the reference data shipped with the project (GB/T 2260 divisions, GB/T 4754 "
            "industries, the key product catalog, time limits, credit tables), or apply a new "
            "edition of one registry table with --file.")

    def add_arguments(self, parser):
        parser.add_argument("--file", help="a new edition (CSV or .xlsx) of one table, recognised by "
                                           "its header; codes it no longer lists are kept as not in force")
        parser.add_argument("--table", choices=sorted(TABLES), help="the table, when the header is ambiguous")
        parser.add_argument("--dry-run", action="store_true", help="report the changes, write nothing")

    def handle(self, *args, **options):
        if not options["file"]:
            if options["dry_run"] or options["table"]:
                raise CommandError("--dry-run and --table need --file")
            counts = load_all()
            for name, n in counts.items():
                self.stdout.write(f"{name}: {n}")
            self.stdout.write(self.style.SUCCESS(f"reference data loaded from {data_dir()}"))
            return
        table = TABLES[options["table"]] if options["table"] else None
        try:
            with change_context(source="cli"):
                report = apply_edition(options["file"], table=table, dry_run=options["dry_run"])
        except EditionError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror or exc}") from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.dry_run:
            self.stdout.write(self.style.SUCCESS("edition applied" if report.has_changes
                                                 else "nothing to change"))
