"""The report written three ways from the same data: HTML (a template), PDF (WeasyPrint from that
HTML) and an Excel workbook (openpyxl, one sheet per table)."""
from __future__ import annotations

import base64
import io
import time

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import charts
from .data import figures


def attach_charts(data: dict, timings: dict | None = None) -> int:
    """Draw every chart of ``data`` (PNG, as a data URI in ``figure["image"]``); the count drawn."""
    t0 = time.perf_counter()
    n = 0
    for f in figures(data):
        if f.get("chart"):
            f["image"] = "data:image/png;base64," + base64.b64encode(charts.png(f["chart"])).decode()
            n += 1
    if timings is not None:
        timings["charts"] = time.perf_counter() - t0
    return n


def html(data: dict) -> str:
    """The report as one self-contained HTML document (charts inline)."""
    return render_to_string("targets/report/report.html", {"report": data, "figures": figures(data)})


def pdf(document: str) -> bytes:
    """The PDF of the report's HTML (the fonts are the system's, by family name; embedded)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf()


def _sheet_name(number, title, used):
    bad = '[]:*?/\\'
    clean = "".join(" " if ch in bad else ch for ch in title)
    name = f"{number} {clean}"[:31]
    while name in used:
        name = name[:28] + f"~{len(used)}"
    used.add(name)
    return name


def xlsx(data: dict) -> bytes:
    """The report's tables, one sheet each, with a first sheet of the report's title and summary."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _("Report")[:31]
    ws.append([data["title"]])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Division"), data["division"]["name"], data["division"]["code"]])
    ws.append([_("Period"), data["period_label"], data["period"]])
    ws.append([_("From"), data["start"], _("to"), data["end"]])
    ws.append([])
    for s in data["sections"]:
        ws.append([f"{s['number']}. {s['title']}"])
        ws.append([s["text"]])
    ws.column_dimensions["A"].width = 40
    used = {ws.title}
    for f in figures(data):
        sheet = wb.create_sheet(_sheet_name(f["number"], f["title"], used))
        sheet.append([f"{_('Figure')} {f['number']}. {f['title']}"])
        sheet["A1"].font = Font(bold=True)
        if f["empty"]:
            sheet.append([_("No data in this period.")])
            continue
        sheet.append(f["columns"])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in f["rows"]:
            sheet.append(list(row))
        for i, col in enumerate(f["columns"], 1):
            width = max([len(str(col))] + [len(str(r[i - 1])) for r in f["rows"] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, width * 1.6))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_files(data: dict, *, with_pdf: bool = True, timings: dict | None = None) -> dict:
    """``{"html": str, "pdf": bytes | None, "xlsx": bytes}`` of a report's data (charts drawn here)."""
    timings = timings if timings is not None else {}
    attach_charts(data, timings)
    t = time.perf_counter()
    document = html(data)
    timings["html"] = time.perf_counter() - t
    t = time.perf_counter()
    pdf_bytes = pdf(document) if with_pdf else None
    timings["pdf"] = time.perf_counter() - t
    t = time.perf_counter()
    book = xlsx(data)
    timings["xlsx"] = time.perf_counter() - t
    return {"html": document, "pdf": pdf_bytes, "xlsx": book}
