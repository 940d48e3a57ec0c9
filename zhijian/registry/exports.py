"""Export any (already filtered and restricted) registry list to CSV or Excel.

The columns are the import columns (``importers.py``), so an export of an
importable table imports again. Headers are ``<Chinese header> (<key>)``, which
the importer recognises. CSV is UTF-8 with a byte-order mark (Excel opens it
with the right encoding) and is streamed; Excel files are written with
openpyxl's write-only mode. Text cells starting with ``=``, ``+``, ``-`` or ``@``
get a leading ``'`` so spreadsheet programs do not run them as formulas (the
importer removes it).

The caller passes a queryset it obtained through ``.restrict(user, "view")``
(and its FilterSet); this module never widens it.
"""
from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterator

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .importers import BY_MODEL

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
CHUNK = 2000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def exporter_for(model):
    try:
        return BY_MODEL[model]()
    except KeyError:
        raise LookupError(f"no export columns for {model._meta.label}") from None


def export_columns(exporter):
    return [c for c in exporter.columns if c.export]


def iter_rows(exporter, queryset) -> Iterator[list]:
    """The header row, then one row of cell values per object."""
    columns = export_columns(exporter)
    yield [c.export_header() for c in columns]
    qs = exporter.export_queryset(queryset)
    for obj in qs.iterator(chunk_size=CHUNK):
        yield [c.export_value(obj) for c in columns]


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def iter_csv(exporter, queryset) -> Iterator[str]:
    """CSV text in chunks: a BOM, the header, the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    buf = []
    for row in iter_rows(exporter, queryset):
        buf.append(writer.writerow([_csv_cell(v) for v in row]))
        if len(buf) >= 500:
            yield "".join(buf)
            buf = []
    if buf:
        yield "".join(buf)


def write_csv(exporter, queryset, fh) -> int:
    """Write a CSV export (BOM, header, rows) to a text file opened with ``newline=""``;
    returns the number of data rows."""
    writer = csv.writer(fh)
    fh.write("\ufeff")
    n = -1
    for row in iter_rows(exporter, queryset):
        writer.writerow([_csv_cell(v) for v in row])
        n += 1
    return n


def write_xlsx(exporter, queryset, fh) -> int:
    """Write an .xlsx export to a binary file; returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=str(exporter.model._meta.verbose_name_plural)[:31] or "export")
    n = -1
    for row in iter_rows(exporter, queryset):
        n += 1
        if n > XLSX_MAX_ROWS:
            raise ValueError(_("More than %(n)d rows: Excel cannot hold them; export as CSV.")
                             % {"n": XLSX_MAX_ROWS})
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            cells.append(cell)
        ws.append(cells)
    wb.save(fh)
    return n


def filename(model, fmt: str) -> str:
    return f"{model._meta.model_name}-{timezone.localdate():%Y%m%d}.{fmt}"


def export_response(model, queryset, fmt: str):
    """An HTTP response with ``queryset`` (already restricted and filtered) as CSV or .xlsx."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    exporter = exporter_for(model)
    disposition = f'attachment; filename="{filename(model, fmt)}"'
    if fmt == "csv":
        response = StreamingHttpResponse(iter_csv(exporter, queryset), content_type=CONTENT_TYPES["csv"])
    else:
        tmp = tempfile.TemporaryFile()  # closed (and removed) by the response
        try:
            write_xlsx(exporter, queryset, tmp)
        except ValueError as exc:
            tmp.close()
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        tmp.seek(0)
        response = FileResponse(tmp, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = disposition
    return response


def template_response(importer_cls, fmt: str):
    """An empty file with the import columns' headers (the import template)."""
    exporter = importer_cls()
    model = importer_cls.model
    qs = model._base_manager.none()
    if fmt == "csv":
        body = "".join(iter_csv(exporter, qs))
        response = HttpResponse(body, content_type=CONTENT_TYPES["csv"])
    else:
        buf = io.BytesIO()
        write_xlsx(exporter, qs, buf)
        response = HttpResponse(buf.getvalue(), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{importer_cls.name}-template.{fmt}"'
    return response
