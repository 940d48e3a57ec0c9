"""Writing real import files for the import tests (CSV in any encoding, .xlsx)."""
import csv
import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from zhijian.accounts.models import AuditEntry
from zhijian.registry.identifiers import make_uscc

ENTERPRISE_HEADER = ["统一社会信用代码", "企业名称", "行政区划代码", "行业代码", "地址", "法定代表人",
                     "成立日期", "注册资本（万元）", "规模", "状态", "联系电话"]


def enterprise_row(serial, division="320505", name=None, **over):
    row = {
        "uscc": make_uscc(division, serial), "name": name or f"苏州测试{serial}有限公司",
        "division": division, "industry": "3011", "address": f"苏州市干将路{serial}号",
        "legal_representative": "张伟", "established_on": "2015-03-18",
        "registered_capital": "500", "scale": "小型", "status": "存续", "phone": "0512-65550000",
    }
    row.update(over)
    return [row[k] for k in ("uscc", "name", "division", "industry", "address",
                             "legal_representative", "established_on", "registered_capital",
                             "scale", "status", "phone")]


def csv_bytes(header, rows, encoding="utf-8") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_csv(path, header, rows, encoding="utf-8"):
    path.write_bytes(csv_bytes(header, rows, encoding))
    return path


def write_xlsx(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def error_keys(result_or_errors):
    errors = getattr(result_or_errors, "errors", result_or_errors)
    return [(e.row, e.field, e.code) for e in errors]


def audit_count():
    return AuditEntry.objects.count()


@pytest.fixture(autouse=True)
def english():
    """Reasons are asserted in English (the UI default is zh-Hans)."""
    with translation.override("en"):
        yield
