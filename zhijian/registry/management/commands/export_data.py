"""``zhijian export-data <type> --output FILE``: export a (filtered) registry list."""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from zhijian.core.importing import importers
from zhijian.registry import filtersets
from zhijian.registry.exports import exporter_for, write_csv, write_xlsx


class Command(BaseCommand):
    help = ("Export a registry list to CSV (UTF-8 with BOM) or .xlsx with the import columns, "
            "so the file can be imported again.")

    def add_arguments(self, parser):
        parser.add_argument("type", help="what to export: " + ", ".join(sorted(importers(True))))
        parser.add_argument("--output", "-o", required=True, help="file to write (.csv or .xlsx)")
        parser.add_argument("--format", choices=("csv", "xlsx"),
                            help="default: from the output file's extension")
        parser.add_argument("--user", help="export what this user may see (default: everything)")
        parser.add_argument("--filter", "-f", action="append", default=[], metavar="NAME=VALUE",
                            help="a list filter, as on the list page (e.g. division=320500, status=active)")

    def handle(self, *args, **opts):
        table = importers(include_export_only=True)
        kind = opts["type"].replace("-", "_")
        if kind not in table:
            raise CommandError(f"unknown type {opts['type']!r}; choose one of: {', '.join(sorted(table))}")
        model = table[kind].model
        output = Path(opts["output"])
        fmt = opts["format"] or output.suffix.lstrip(".").lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError("give --format csv or xlsx (or an output file ending in .csv / .xlsx)")
        if opts["user"]:
            try:
                user = get_user_model().objects.get(username=opts["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no such user: {opts['user']}") from None
            queryset = model.objects.restrict(user, "view")
        else:
            queryset = model._base_manager.all()
        if opts["filter"]:
            params = QueryDict(mutable=True)
            for item in opts["filter"]:
                name, sep, value = item.partition("=")
                if not sep:
                    raise CommandError(f"--filter needs NAME=VALUE, got {item!r}")
                params.appendlist(name, value)
            fs_class = getattr(filtersets, f"{model.__name__}FilterSet")
            fs = fs_class(params, queryset=queryset)
            if not fs.is_valid():
                raise CommandError(f"bad filter: {fs.errors.as_text()}")
            queryset = fs.qs
        queryset = queryset.order_by(*model._meta.ordering or ["pk"])
        try:
            exporter = exporter_for(model)
        except LookupError as exc:
            raise CommandError(f"{opts['type']} cannot be exported from the command line: {exc}") from exc
        if fmt == "csv":
            with open(output, "w", encoding="utf-8", newline="") as fh:
                n = write_csv(exporter, queryset, fh)
        else:
            with open(output, "wb") as fh:
                try:
                    n = write_xlsx(exporter, queryset, fh)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{n} rows written to {output}"))
