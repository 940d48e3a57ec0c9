"""Enterprise import with real (and really malformed) files: clear errors, nothing written."""
import datetime
import decimal

import pytest

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.context import change_context
from zhijian.core.importing import MODE_UPSERT
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.importers import EnterpriseImporter
from zhijian.registry.models import Enterprise

from .importfiles import (  # noqa: F401 (english: autouse fixture)
    ENTERPRISE_HEADER, audit_count, english, enterprise_row, error_keys, write_csv, write_xlsx,
)

pytestmark = pytest.mark.django_db


def run(path, user=None, mode="create", **kw):
    with change_context(user=user, source="cli"):
        return EnterpriseImporter(user=user, mode=mode).run(path, **kw)


def assert_rejected(result, before_audit, expected):
    assert not result.ok
    assert error_keys(result) == expected
    assert Enterprise.objects.count() == 0
    assert audit_count() == before_audit


def test_valid_file_imports_every_row_with_one_audit_entry(tmp_path):
    path = write_csv(tmp_path / "enterprises.csv", ENTERPRISE_HEADER, [
        enterprise_row(1, established_on="2020/1/5", registered_capital="1,000.5"),
        enterprise_row(2, division="320506", scale="medium", status="abnormal", industry="C3011"),
        enterprise_row(3, industry="", established_on="", registered_capital="", scale="",
                       status="", phone=""),
    ])
    before = audit_count()
    result = run(path)
    assert result.ok, result.errors
    assert (result.total, result.created, result.updated) == (3, 3, 0)
    e1 = Enterprise.objects.get(uscc=make_uscc("320505", 1))
    assert (e1.name, e1.division_id, e1.industry_id, e1.established_on, e1.registered_capital,
            e1.scale, e1.status, e1.phone) == (
        "苏州测试1有限公司", "320505", "3011", datetime.date(2020, 1, 5), decimal.Decimal("1000.50"),
        "small", "active", "0512-65550000")
    e2 = Enterprise.objects.get(uscc=make_uscc("320506", 2))
    assert (e2.scale, e2.status, e2.industry_id) == ("medium", "abnormal", "3011")
    e3 = Enterprise.objects.get(uscc=make_uscc("320505", 3))
    assert (e3.industry_id, e3.established_on, e3.registered_capital, e3.scale, e3.status) == (
        None, None, None, "", "active")
    # One audit entry for the whole import; bulk inserts add no per-row entries.
    assert audit_count() == before + 1
    entry = AuditEntry.objects.get(seq=result.audit_seq)
    ids = sorted(Enterprise.objects.values_list("pk", flat=True))
    assert (entry.action, entry.object_type, entry.object_repr, entry.source) == (
        "import", "registry.enterprise", "enterprises.csv", "cli")
    assert entry.postchange["sha256"] == result.sha256 and len(result.sha256) == 64
    assert (entry.postchange["rows"], entry.postchange["first_id"], entry.postchange["last_id"]) == (
        3, ids[0], ids[-1])


@pytest.mark.parametrize("encoding,detected", [("gbk", "gb18030"), ("utf-8-sig", "utf-8-sig"),
                                               ("gb18030", "gb18030")])
def test_gbk_and_utf8_bom_files_import(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1, name="苏州市吴中区甪直镇测试厂"), enterprise_row(2)], encoding)
    result = run(path)
    assert result.ok, result.errors
    assert result.encoding == detected
    assert Enterprise.objects.get(uscc=make_uscc("320505", 1)).name == "苏州市吴中区甪直镇测试厂"
    assert Enterprise.objects.count() == 2


def test_wrong_uscc_check_character_is_reported_and_nothing_written(tmp_path):
    good = make_uscc("320505", 2)
    wrong = good[:17] + ("1" if good[17] != "1" else "2")
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1), enterprise_row(2, uscc=wrong), enterprise_row(3)])
    before = audit_count()
    result = run(path)
    assert_rejected(result, before, [(3, "uscc", "invalid_uscc")])
    err = result.errors[0]
    assert err.value == wrong
    assert f"should be {good[17]}, not {wrong[17]}" in err.reason


def test_unknown_division_code(tmp_path):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1, division="329999"), enterprise_row(2)])
    before = audit_count()
    result = run(path)
    assert_rejected(result, before, [(2, "division", "unknown")])
    assert "329999" in result.errors[0].reason


def test_duplicate_rows_inside_the_file(tmp_path):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1), enterprise_row(2), enterprise_row(1, name="重复")])
    before = audit_count()
    result = run(path)
    assert_rejected(result, before, [(4, "uscc", "duplicate")])
    assert "row 2" in result.errors[0].reason


def test_rows_already_in_the_database_are_errors_in_create_mode(tmp_path, enterprise_factory):
    existing = enterprise_factory(division="320505")
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1), enterprise_row(2, uscc=existing.uscc)])
    before = audit_count()
    result = run(path)
    assert not result.ok
    assert error_keys(result) == [(3, "uscc", "exists")]
    assert list(Enterprise.objects.values_list("pk", flat=True)) == [existing.pk]
    assert audit_count() == before


def test_upsert_updates_existing_rows_and_audits_their_before_values(tmp_path, enterprise_factory):
    existing = enterprise_factory(division="320505", name="旧名称有限公司")
    path = write_csv(tmp_path / "e.csv", ["uscc", "name", "division", "status"], [
        [existing.uscc, "新名称有限公司", "320505", "经营异常"],
        [make_uscc("320505", 77), "新增企业", "320505", "存续"],
    ])
    before = audit_count()
    result = run(path, mode=MODE_UPSERT)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (1, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.status) == ("新名称有限公司", "abnormal")
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in entries] == ["update", "import"]
    update = entries[0]
    assert update.object_id == str(existing.pk)
    assert (update.prechange["name"], update.postchange["name"]) == ("旧名称有限公司", "新名称有限公司")
    assert (update.prechange["status"], update.postchange["status"]) == ("active", "abnormal")
    assert entries[1].postchange["updated"] == 1 and entries[1].postchange["created"] == 1


def test_wrong_column_names_are_one_file_error(tmp_path):
    header = ["统一信用代码", "企业名称", "行政区划代码", "电话号码"]
    path = write_csv(tmp_path / "e.csv", header, [[make_uscc("320505", 1), "甲", "320505", "1"]])
    before = audit_count()
    result = run(path)
    assert not result.ok
    err = result.file_error
    assert (err.code, err.line, err.missing, err.unknown) == (
        "header", 1, ["uscc"], ["统一信用代码", "电话号码"])
    assert "统一社会信用代码 (uscc)" in err.message  # the expected columns are listed
    assert error_keys(result) == [(1, "", "header")]
    assert Enterprise.objects.count() == 0 and audit_count() == before


def test_gbk_file_declared_as_utf8_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1)], "gbk")
    before = audit_count()
    result = run(path, encoding="utf-8")
    assert not result.ok
    assert (result.file_error.code, result.file_error.line) == ("encoding", 1)
    assert "UTF-8" in result.file_error.message and "line 1" in result.file_error.message
    assert Enterprise.objects.count() == 0 and audit_count() == before


def test_undecodable_file_names_the_line(tmp_path):
    good = "\n".join([",".join(ENTERPRISE_HEADER), ",".join(enterprise_row(1))]) + "\n"
    path = tmp_path / "e.csv"
    path.write_bytes(good.encode("utf-8") + ",".join(enterprise_row(2)).encode("gbk") + b"\n")
    result = run(path)
    assert not result.ok
    assert (result.file_error.code, result.file_error.line) == ("encoding", 3)
    assert Enterprise.objects.count() == 0


def test_xlsx_file_with_excel_dates_and_numbers(tmp_path):
    header = ["统一社会信用代码", "企业名称", "行政区划代码", "成立日期", "注册资本（万元）", "联系电话"]
    path = write_xlsx(tmp_path / "e.xlsx", header, [
        [make_uscc("320505", 1), "表格企业一", 320505, datetime.datetime(2019, 7, 1), 1200.5, 13800001111],
        [make_uscc("320505", 2), "表格企业二", "320505", "2018/12/31", 88, None],
    ])
    result = run(path)
    assert result.ok, result.errors
    assert result.encoding == "xlsx"
    e1 = Enterprise.objects.get(uscc=make_uscc("320505", 1))
    assert (e1.division_id, e1.established_on, e1.registered_capital, e1.phone) == (
        "320505", datetime.date(2019, 7, 1), decimal.Decimal("1200.50"), "13800001111")
    assert Enterprise.objects.get(uscc=make_uscc("320505", 2)).established_on == datetime.date(2018, 12, 31)


def test_bad_xlsx_rows_are_reported_by_their_excel_row(tmp_path):
    header = ["统一社会信用代码", "企业名称", "行政区划代码", "成立日期"]
    path = write_xlsx(tmp_path / "e.xlsx", header, [
        [make_uscc("320505", 1), "甲", "320505", "2019-02-30"],
        [None, None, None, None],
        [make_uscc("320505", 2), "", "320505", None],
    ])
    result = run(path)
    assert error_keys(result) == [(2, "established_on", "date"), (4, "name", "required")]
    assert Enterprise.objects.count() == 0


def test_every_bad_row_is_reported_in_row_and_column_order(tmp_path):
    rows = [enterprise_row(i) for i in range(1, 8)]
    rows[1][0] = "91320505MA1X"             # row 3: uscc too short
    rows[2][6] = "2020-13-01"               # row 4: no such month
    rows[2][8] = "巨型"                      # row 4: unknown scale
    rows[3][7] = "-5"                       # row 5: negative capital
    rows[4][3] = "9999"                     # row 6: unknown industry
    rows[5][1] = "名" * 201                 # row 7: too long
    before = audit_count()
    result = run(write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, rows))
    assert_rejected(result, before, [
        (3, "uscc", "invalid_uscc"), (4, "established_on", "date"), (4, "scale", "choice"),
        (5, "registered_capital", "number"), (6, "industry", "unknown"), (7, "name", "too_long"),
    ])
    assert "18 characters" in result.errors[0].reason


def test_ragged_csv_row_is_reported(tmp_path):
    text = ",".join(ENTERPRISE_HEADER) + "\n" + ",".join(enterprise_row(1)) + "\n" + \
        ",".join(enterprise_row(2)[:5]) + "\n"
    path = tmp_path / "e.csv"
    path.write_text(text, encoding="utf-8")
    result = run(path)
    assert error_keys(result) == [(3, "", "cells")]
    assert Enterprise.objects.count() == 0


def test_officer_cannot_import_rows_outside_the_region(tmp_path, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")  # Suzhou
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [
        enterprise_row(1, division="320505"),
        enterprise_row(2, division="320102"),  # Nanjing, Xuanwu district
    ])
    before = audit_count()
    result = run(path, user=officer)
    assert_rejected(result, before, [(3, "division", "scope")])
    assert result.errors[0].value == "320102"


def test_officer_imports_inside_the_region_as_that_user(tmp_path, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER,
                     [enterprise_row(1, division="320505"), enterprise_row(2, division="320583")])
    result = run(path, user=officer)
    assert result.ok, result.errors
    entry = AuditEntry.objects.get(seq=result.audit_seq)
    assert (entry.user_id, entry.username) == (officer.pk, officer.username)


def test_a_role_without_add_permission_cannot_import(tmp_path, make_user):
    inspector = make_user(S.ROLE_INSPECTOR, "320505")
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1)])
    result = run(path, user=inspector)
    assert result.file_error is not None and result.file_error.code == "permission"
    assert Enterprise.objects.count() == 0


def test_export_form_headers_and_formula_prefix_are_understood(tmp_path):
    header = ["统一社会信用代码 (uscc)", "企业名称 (name)", "行政区划代码 (division)", "地址 (address)"]
    path = write_csv(tmp_path / "e.csv", header, [[make_uscc("320505", 1), "'=甲公司", "320505", "'+86 路"]])
    result = run(path)
    assert result.ok, result.errors
    e = Enterprise.objects.get()
    assert (e.name, e.address) == ("=甲公司", "+86 路")
