"""Exchange with the provincial credit platform: incremental export files, import of other
agencies' records (real malformed files), the pages and the command."""
import base64
import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.models import ImportJob
from zhijian.credit import agency, exchange
from zhijian.credit.models import (
    AgencyQuery,
    EnterpriseListing,
    ExchangeExport,
    ExternalCreditRecord,
    Grade,
    Method,
    PenaltyPublication,
)

TODAY = dt.date.today()
SCHEMAS = Path(exchange.__file__).parent / "schemas"


@pytest.fixture(autouse=True)
def _dirs(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ZHIJIAN_SIGNING_KEY = ""
    settings.ZHIJIAN_SIGNING_KEY_FILE = str(tmp_path / "signing.pem")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def schema(name):
    return json.loads((SCHEMAS / name).read_text())


@pytest.fixture
def world(enterprise_factory):
    ent = enterprise_factory("320505", name="苏州交换测试有限公司")
    published = Method.objects.create(version="T-1", valid_from=dt.date(2025, 1, 1), published=True)
    trial = Method.objects.create(version="TRIAL", valid_from=dt.date(2025, 1, 1), published=False)
    grade = Grade.objects.create(enterprise=ent, method=published, as_of=dt.date(2026, 1, 1), score=Decimal("72.50"),
                                 grade="A", risk_class="B", computed_at=timezone.now() - dt.timedelta(hours=1))
    Grade.objects.create(enterprise=ent, method=trial, as_of=dt.date(2026, 1, 1), score=Decimal("10"),
                         grade="C", risk_class="D", computed_at=timezone.now() - dt.timedelta(hours=1))
    listing = EnterpriseListing.objects.create(
        enterprise=ent, kind="serious_violation", start=TODAY - dt.timedelta(days=3),
        planned_end=TODAY + dt.timedelta(days=1095), reason="吊销许可证", legal_basis="市场监管总局令第44号")
    penalty = PenaltyPublication.objects.create(
        enterprise=ent, decision_number="苏市监罚〔2026〕7号", decision_date=TODAY - dt.timedelta(days=20),
        authority="苏州市市场监督管理局", severity="ordinary", violation="=生产不合格产品", penalty="罚款5万元",
        published_on=TODAY - dt.timedelta(days=10), publish_until=TODAY + dt.timedelta(days=1000))
    draft = PenaltyPublication.objects.create(  # not published: never leaves Zhijian
        enterprise=ent, decision_number="苏市监罚〔2026〕8号", decision_date=TODAY, authority="苏州市市场监督管理局",
        severity="minor", violation="草稿", penalty="警告")
    return {"ent": ent, "grade": grade, "listing": listing, "penalty": penalty, "draft": draft,
            "method": published}


def test_full_export_files_manifest_signature_and_schemas(world):
    result = exchange.export()
    d = result.directory
    assert {p.name for p in d.iterdir()} == {"grades.csv", "listings.csv", "penalties.csv", "manifest.json",
                                             "manifest.json.sig", "schemas"}
    grades, listings, penalties = (read_csv(d / n) for n in ("grades.csv", "listings.csv", "penalties.csv"))
    assert [(g["uscc"], g["grade"], g["score"], g["method_version"]) for g in grades] == [
        (world["ent"].uscc, "A", "72.50", "T-1")]  # the trial method's grade stays inside
    assert [(x["record_id"], x["action"], x["status"], x["list"]) for x in listings] == [
        (str(world["listing"].pk), "publish", "in_force", "serious_violation")]
    assert [(p["decision_number"], p["action"], p["status"]) for p in penalties] == [
        ("苏市监罚〔2026〕7号", "publish", "published")]
    assert penalties[0]["violation"] == "=生产不合格产品"  # machine files: cells as they are
    # Header row exactly as documented
    assert (d / "grades.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(exchange.GRADE_COLUMNS)

    manifest_bytes = (d / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    jsonschema.validate(manifest, schema("manifest.schema.json"))
    assert manifest["since"] is None and manifest["full"] is True
    assert manifest["counts"] == {"grades": 1, "listings": 1, "penalties": 1}
    for name, info in manifest["files"].items():
        assert hashlib.sha256((d / name).read_bytes()).hexdigest() == info["sha256"], name
    for rows, name in ((grades, "grades"), (listings, "listings"), (penalties, "penalties")):
        for row in rows:
            jsonschema.validate(row, schema(f"{name}.schema.json"))
    # manifest signature checks with the published key
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(agency.public_key_info()["public_key"]))
    public.verify(base64.b64decode((d / "manifest.json.sig").read_text()), manifest_bytes)
    # the record, the zip and the audit entry
    record = ExchangeExport.objects.get()
    assert record.counts == manifest["counts"] and record.since is None
    assert hashlib.sha256(result.archive.read_bytes()).hexdigest() == record.sha256
    with zipfile.ZipFile(result.archive) as zf:
        assert f"{d.name}/penalties.csv" in zf.namelist()
    entry = AuditEntry.objects.filter(object_type="credit.exchangeexport").get()
    assert entry.object_id == str(record.pk) and entry.postchange["zip_sha256"] == record.sha256


def test_incremental_exports_carry_changes_removals_and_deletions(world):
    first = exchange.export()
    second = exchange.export()
    assert second.export.since == first.export.until  # since the last export
    assert second.manifest["counts"] == {"grades": 0, "listings": 0, "penalties": 0}

    # Withdraw the penalty, end the listing, add a grade, delete another listing.
    p = world["penalty"]
    p.withdrawn_on, p.withdrawal_reason = TODAY, "revoked"
    p.save()
    x = world["listing"]
    x.end, x.removal = TODAY, "repaired"
    x.save()
    gone = EnterpriseListing.objects.create(enterprise=world["ent"], kind="abnormal_operation",
                                            start=TODAY - dt.timedelta(days=1), reason="年报未公示")
    gone_pk = gone.pk
    gone.delete()
    Grade.objects.create(enterprise=world["ent"], method=world["method"], as_of=TODAY, score=Decimal("81.00"),
                         grade="AA", risk_class="A", computed_at=timezone.now())
    third = exchange.export()
    d = third.directory
    penalties = read_csv(d / "penalties.csv")
    assert [(r["record_id"], r["action"], r["status"], r["withdrawn_on"]) for r in penalties] == [
        (str(p.pk), "remove", "withdrawn", TODAY.isoformat())]
    listings = {r["record_id"]: r for r in read_csv(d / "listings.csv")}
    assert (listings[str(x.pk)]["action"], listings[str(x.pk)]["status"]) == ("remove", "removed")
    assert listings[str(x.pk)]["removal"] == "repaired"
    assert (listings[str(gone_pk)]["action"], listings[str(gone_pk)]["status"]) == ("remove", "deleted")
    assert listings[str(gone_pk)]["uscc"] == world["ent"].uscc
    assert [g["grade"] for g in read_csv(d / "grades.csv")] == ["AA"]
    for name in ("listings", "penalties"):
        for row in read_csv(d / f"{name}.csv"):
            jsonschema.validate(row, schema(f"{name}.schema.json"))
    assert ExchangeExport.objects.count() == 3


def test_publication_ending_by_date_is_exported_as_a_removal(world):
    p = world["penalty"]
    p.publish_until = TODAY + dt.timedelta(days=2)
    p.save()
    now = timezone.now()
    exchange.export(until=now)
    # Nothing is written in between, but the publication period ends: the next export
    # (a week later) takes the penalty down.
    later = exchange.export(until=now + dt.timedelta(days=7))
    rows = read_csv(later.directory / "penalties.csv")
    assert [(r["record_id"], r["action"], r["status"]) for r in rows] == [(str(p.pk), "remove", "expired")]


def test_export_command(world, capsys):
    call_command("credit_exchange", "export")
    out = capsys.readouterr().out
    record = ExchangeExport.objects.get()
    assert f"export {record.pk} (full" in out and "1 grades" in out
    call_command("credit_exchange", "export", "--since", (TODAY - dt.timedelta(days=1)).isoformat())
    assert ExchangeExport.objects.count() == 2
    with pytest.raises(CommandError, match="--since"):
        call_command("credit_exchange", "export", "--since", "yesterday")
    with pytest.raises(CommandError, match="exclude"):
        call_command("credit_exchange", "export", "--since", "2026-01-01", "--full")


# --------------------------------------------------------------------------- import


def valid_uscc(serial: int, division="320505") -> str:
    from zhijian.registry.identifiers import make_uscc

    return make_uscc(division, serial)


HEADER = "来源机关,记录编号,统一社会信用代码,记录类型,认定日期,有效期至,内容\n"


def test_import_creates_links_and_updates(world, tmp_path):
    unknown = valid_uscc(777777)
    f = tmp_path / "tax.csv"
    f.write_text(HEADER
                 + f"国家税务总局江苏省税务局,T-001,{world['ent'].uscc},重大税收违法失信主体,2026-01-05,2029-01-04,虚开发票\n"
                 + f"国家税务总局江苏省税务局,T-002,{unknown},重大税收违法失信主体,2026/02/01,,偷税\n",
                 encoding="utf-8")
    job, result = exchange.import_records(f)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 0)
    known = ExternalCreditRecord.objects.get(record_id="T-001")
    assert known.enterprise == world["ent"] and known.valid_until == dt.date(2029, 1, 4)
    assert known.import_job_id == job.pk
    orphan = ExternalCreditRecord.objects.get(record_id="T-002")
    assert orphan.enterprise is None and orphan.uscc == unknown and orphan.date == dt.date(2026, 2, 1)
    # Same records again, one changed, and the unknown enterprise now registered: upsert + link.
    from zhijian.registry.models import Enterprise

    registered = Enterprise.objects.create(uscc=unknown, name="后来登记的公司", division_id="320505")
    f.write_text(HEADER
                 + f"国家税务总局江苏省税务局,T-001,{world['ent'].uscc},重大税收违法失信主体,2026-01-05,2029-01-04,虚开增值税专用发票\n"
                 + f"国家税务总局江苏省税务局,T-002,{unknown},重大税收违法失信主体,2026-02-01,,偷税\n",
                 encoding="utf-8")
    job2, result2 = exchange.import_records(f)
    assert result2.ok and (result2.created, result2.updated) == (0, 2)
    assert ExternalCreditRecord.objects.get(record_id="T-001").description == "虚开增值税专用发票"
    orphan.refresh_from_db()
    assert orphan.enterprise == registered and orphan.import_job_id == job2.pk
    assert ExternalCreditRecord.objects.count() == 2
    # audited: one import entry per file, one update entry per changed record
    assert AuditEntry.objects.filter(action="import", object_type="credit.externalcreditrecord").count() == 2
    assert AuditEntry.objects.filter(action="update", object_type="credit.externalcreditrecord").count() == 2


def test_import_gbk_file(world, tmp_path):
    f = tmp_path / "court.csv"
    f.write_bytes((HEADER + f"江苏省高级人民法院,C-9,{world['ent'].uscc},失信被执行人,2025年12月1日,,未履行生效判决\n")
                  .encode("gbk"))
    job, result = exchange.import_records(f)
    assert result.ok and result.encoding == "gb18030"
    assert ExternalCreditRecord.objects.get().source_agency == "江苏省高级人民法院"


def test_malformed_file_names_row_and_field_and_writes_nothing(world, tmp_path):
    good = world["ent"].uscc
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    f = tmp_path / "bad.csv"
    f.write_bytes((HEADER
                   + f"海关总署南京海关,H-1,{good},海关失信企业,2026-01-05,,ok\n"            # row 2: fine
                   + f"海关总署南京海关,H-2,{bad_check},海关失信企业,2026-01-05,,x\n"       # row 3: check character
                   + f"海关总署南京海关,H-3,{good},海关失信企业,2026-02-30,,x\n"            # row 4: no such date
                   + f"海关总署南京海关,H-1,{good},海关失信企业,2026-01-05,,dup\n"          # row 5: duplicate of row 2
                   + f"海关总署南京海关,H-4,{good},海关失信企业,2026-03-01,2026-02-01,x\n"  # row 6: ends before it starts
                   + f",H-5,{good},海关失信企业,2026-03-01,,x\n"                          # row 7: no source agency
                   ).encode("gbk"))
    from django.utils import translation

    with translation.override("en"):
        job, result = exchange.import_records(f)
    assert not result.ok
    errors = {(e.row, e.field): e for e in result.errors}
    assert set(errors) == {(3, "uscc"), (4, "date"), (5, "source_agency"), (6, "valid_until"), (7, "source_agency")}
    assert "check character" in errors[3, "uscc"].reason
    assert errors[4, "date"].value == "2026-02-30" and "date" in errors[4, "date"].reason
    assert "row 2" in errors[5, "source_agency"].reason
    assert errors[7, "source_agency"].code == "required"
    assert not ExternalCreditRecord.objects.exists()
    assert job.status == ImportJob.Status.FAILED and job.errors_file


def test_missing_column_and_xlsx(world, tmp_path):
    f = tmp_path / "nocol.csv"
    f.write_text("来源机关,记录编号,记录类型,认定日期\nA,1,k,2026-01-01\n", encoding="utf-8")
    _job, result = exchange.import_records(f)
    assert result.file_error is not None and result.file_error.missing == ["uscc"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["source_agency", "record_id", "uscc", "kind", "date"])
    ws.append(["省发展改革委", "F-1", world["ent"].uscc, "政府采购严重违法失信", dt.date(2026, 3, 3)])
    path = tmp_path / "records.xlsx"
    wb.save(path)
    _job, result = exchange.import_records(path)
    assert result.ok and ExternalCreditRecord.objects.get().date == dt.date(2026, 3, 3)


def test_import_command_reports_errors(world, tmp_path, capsys):
    f = tmp_path / "cmd.csv"
    f.write_text(HEADER + f"A,1,{world['ent'].uscc},k,2026-13-01,,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 error"):
        call_command("credit_exchange", "import", str(f))
    assert "row 2, date" in capsys.readouterr().err
    assert Path(f"{f}.errors.csv").exists()
    f.write_text(HEADER + f"A,1,{world['ent'].uscc},k,2026-12-01,,x\n", encoding="utf-8")
    call_command("credit_exchange", "import", str(f))
    assert "1 rows imported (1 created" in capsys.readouterr().out


def test_officer_may_import_only_own_region_and_no_unknown_enterprises(world, make_user, tmp_path):
    from django.contrib.auth.models import Group, Permission

    officer = make_user(S.ROLE_OFFICER, "320500")
    group = Group.objects.get(name="role:officer")
    group.permissions.add(*Permission.objects.filter(
        codename__in=["add_externalcreditrecord", "change_externalcreditrecord"]))
    nanjing = valid_uscc(4242, "320102")
    from zhijian.registry.models import Enterprise

    Enterprise.objects.create(uscc=nanjing, name="南京公司", division_id="320102")
    f = tmp_path / "o.csv"
    f.write_text(HEADER + f"A,1,{world['ent'].uscc},k,2026-01-01,,x\n"
                 + f"A,2,{nanjing},k,2026-01-01,,x\nA,3,{valid_uscc(5151)},k,2026-01-01,,x\n", encoding="utf-8")
    from django.utils import translation

    with translation.override("en"):
        _job, result = exchange.import_records(f, user=fresh(officer))
    assert {(e.row, e.code) for e in result.errors} == {(3, "scope"), (4, "scope")}
    assert not ExternalCreditRecord.objects.exists()


def fresh(user):
    """The user read again (its permission cache predates the group change)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)


# --------------------------------------------------------------------------- pages


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_export_page_runs_and_downloads(world, make_user):
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    c = client_for(admin)
    assert c.get(reverse("credit:exchange")).status_code == 200
    r = c.post(reverse("credit:exchange"), {"full": "on"})
    assert r.status_code == 302
    record = ExchangeExport.objects.get()
    assert record.user == admin
    r = c.get(reverse("credit:exchange_download", args=[record.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    body = b"".join(r.streaming_content)
    assert hashlib.sha256(body).hexdigest() == record.sha256
    r = c.get(reverse("credit:exchange_download", args=[record.pk]), {"file": "penalties.csv"})
    assert "苏市监罚〔2026〕7号" in b"".join(r.streaming_content).decode()
    for name in ("../../settings.py", "/etc/passwd", "schemas/../manifest.json"):
        assert c.get(reverse("credit:exchange_download", args=[record.pk]), {"file": name}).status_code == 404
    page = c.get(reverse("credit:exchange"))
    assert f"{record.sha256[:16]}" in page.content.decode()
    # an officer (no export permission) gets 403 everywhere
    officer = client_for(make_user(S.ROLE_OFFICER, "320500"))
    assert officer.get(reverse("credit:exchange")).status_code == 403
    assert officer.post(reverse("credit:exchange"), {}).status_code == 403
    assert officer.get(reverse("credit:exchange_download", args=[record.pk])).status_code == 403
    assert Client().get(reverse("credit:exchange")).status_code == 302  # login


def test_import_page_and_external_records_list(world, make_user, tmp_path):
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    c = client_for(admin)
    assert c.get(reverse("credit:exchange_import")).status_code == 200
    unknown = valid_uscc(88888)
    data = (HEADER + f"省税务局,W-1,{world['ent'].uscc},重大税收违法,2026-01-01,,x\n"
            + f"省税务局,W-2,{unknown},重大税收违法,2026-01-01,,y\n").encode("gbk")
    upload = io.BytesIO(data)
    upload.name = "web.csv"
    r = c.post(reverse("credit:exchange_import"), {"file": upload, "encoding": ""})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert r["Location"] == reverse("registry:importjob_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.mode == "upsert" and job.created_count == 2
    listing = c.get(reverse("credit:externalcreditrecord_list"))
    text = listing.content.decode()
    assert "W-1" in text and "W-2" in text  # the province sees unlinked records too
    officer = make_user(S.ROLE_OFFICER, "320500")
    text = client_for(officer).get(reverse("credit:externalcreditrecord_list")).content.decode()
    assert "W-1" in text and "W-2" not in text
    assert client_for(officer).get(reverse("credit:exchange_import")).status_code == 403
    nanjing_officer = make_user(S.ROLE_OFFICER, "320100")
    assert "W-1" not in client_for(nanjing_officer).get(reverse("credit:externalcreditrecord_list")).content.decode()
    agency_user = make_user(S.ROLE_AGENCY, "320000")
    assert client_for(agency_user).get(reverse("credit:externalcreditrecord_list")).status_code == 403


def test_agency_query_log_page(world, make_user):
    from zhijian.core.testing.api import token_client_for

    agency_user = make_user(S.ROLE_AGENCY, "320000", full_name="某银行")
    token_client_for(agency_user, "loans").get(reverse("credit-api:agency-lookup", args=[world["ent"].uscc]),
                                               {"purpose": "贷款审查"})
    AgencyQuery.objects.create(agency="其他", uscc=valid_uscc(1, "320102"), found=False)
    admin = client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    text = admin.get(reverse("credit:agencyquery_list")).content.decode()
    assert "某银行 / loans" in text and "贷款审查" in text and "其他" in text
    text = admin.get(reverse("credit:agencyquery_list"), {"agency": "银行"}).content.decode()
    assert "贷款审查" in text and "其他" not in text
    assert admin.get(reverse("credit:agencyquery_list"), {"since": "not-a-date"}).status_code == 200
    inspector = client_for(make_user(S.ROLE_INSPECTOR, "320500"))
    assert inspector.get(reverse("credit:agencyquery_list")).status_code == 403
    assert client_for(agency_user).get(reverse("credit:agencyquery_list")).status_code == 403
    # the menu shows the page to whom may read it
    assert reverse("credit:agencyquery_list") in admin.get(reverse("credit:grade_list")).content.decode()
    assert reverse("credit:agencyquery_list") not in inspector.get(reverse("credit:grade_list")).content.decode()
    # An officer given the permission reads the lookups of the region's enterprises only.
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="role:officer").permissions.add(Permission.objects.get(codename="view_agencyquery"))
    officer = client_for(make_user(S.ROLE_OFFICER, "320500"))
    text = officer.get(reverse("credit:agencyquery_list")).content.decode()
    assert "贷款审查" in text and "其他" not in text
