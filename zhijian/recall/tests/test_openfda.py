"""The openFDA enforcement reader and its import: validation with record-numbered errors, all or
nothing, idempotent upsert by recall number, and the round trip through the public API."""
import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.importing import ImportFileError
from zhijian.recall import openfda
from zhijian.recall.models import RecallRecord

FIXTURE = Path(__file__).parent / "data" / "openfda-enforcement.json"


def document():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def write(tmp_path, doc, name="enforcement.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def run_import(path, user=None):
    return openfda.OpenFdaEnforcementImporter(user=user).run(path)


# --------------------------------------------------------------------------- the reader


def test_reader_normalises_the_fixture():
    reading = openfda.read_file(FIXTURE)
    assert reading.ok and reading.total == 6 and reading.rows == [1, 2, 3, 4, 5, 6]
    assert reading.meta["last_updated"] == "2026-03-18"
    first, _, third, *_rest, sixth = reading.records
    assert first["recall_number"] == "Z-0101-2026"
    assert (first["classification"], first["status"], first["voluntary_mandated"]) == ("I", "ongoing", "voluntary")
    assert first["recall_initiation_date"] == dt.date(2026, 1, 5) and first["termination_date"] is None
    assert (third["classification"], third["voluntary_mandated"]) == ("III", "ordered")
    assert sixth["code_info"] == "Lots 9280009, 9280010 and 9280011"  # more_code_info appended


def test_reader_reports_every_bad_record_by_number_and_field():
    doc = document()
    doc["results"][1]["report_date"] = "2026-02-18"
    doc["results"][1]["classification"] = "Class IV"
    doc["results"][2]["recalling_firm"] = ""
    doc["results"][3]["event_id"] = ["90004"]
    doc["results"][4] = "not a record"
    doc["results"][5]["termination_date"] = "20260231"
    with translation.override("en"):
        reading = openfda.read(json.dumps(doc).encode())
    found = sorted((e.row, e.field, e.code) for e in reading.errors)
    assert found == [(2, "classification", "choice"), (2, "report_date", "date"),
                     (3, "recalling_firm", "required"), (4, "event_id", "type"), (5, "", "format"),
                     (6, "termination_date", "date")]
    assert reading.rows == [1]
    message = next(e for e in reading.errors if e.field == "classification").reason
    assert "Class I, Class II, Class III" in message


@pytest.mark.parametrize("data,fragment", [
    (b"{\"results\": [", "not valid JSON"),
    (b"[]", "expected an object"),
    (b"{\"meta\": [], \"results\": []}", "“meta” must be an object"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_reader_refuses_files_that_are_not_enforcement_downloads(data, fragment):
    with translation.override("en"), pytest.raises(ImportFileError, match=fragment):
        openfda.read(data)


# --------------------------------------------------------------------------- the import


@pytest.mark.django_db
def test_import_creates_published_imported_records_with_one_audit_entry(tmp_path):
    before = AuditEntry.objects.count()
    result = run_import(write(tmp_path, document()))
    assert result.ok, result.errors
    assert (result.created, result.updated) == (6, 0)
    records = RecallRecord.objects.order_by("recall_number")
    assert records.count() == 6
    assert set(records.values_list("source", "published").distinct()) == {("imported", True)}
    entries = AuditEntry.objects.order_by("seq")[before:]
    assert [e.action for e in entries] == ["import"]


@pytest.mark.django_db
def test_import_is_idempotent_and_updates_by_recall_number(tmp_path):
    path = write(tmp_path, document())
    assert run_import(path).ok
    again = run_import(path)
    assert again.ok and (again.created, again.updated) == (0, 0)
    doc = document()
    doc["results"][0]["status"] = "Completed"
    doc["results"][0]["termination_date"] = "20260301"
    audited = AuditEntry.objects.count()
    changed = run_import(write(tmp_path, doc, "second.json"))
    assert changed.ok and (changed.created, changed.updated) == (0, 1)
    # the changed record's update is audited with its before values, and the import itself once
    entries = list(AuditEntry.objects.order_by("seq")[audited:])
    assert sorted(e.action for e in entries) == ["import", "update"]
    record = RecallRecord.objects.get(recall_number="Z-0101-2026")
    assert (record.status, record.termination_date) == ("completed", dt.date(2026, 3, 1))
    assert RecallRecord.objects.count() == 6


@pytest.mark.django_db
def test_a_bad_record_writes_nothing_and_names_record_and_field(tmp_path):
    doc = document()
    doc["results"][3]["recall_initiation_date"] = "March 1st"
    doc["results"][4]["recall_number"] = doc["results"][0]["recall_number"]  # twice in the file
    doc["results"][5]["recalling_firm"] = "x" * 300  # longer than the field
    with translation.override("en"):
        result = run_import(write(tmp_path, doc))
    assert not result.ok
    found = {(e.row, e.field) for e in result.errors}
    assert {(4, "recall_initiation_date"), (6, "recalling_firm")} <= found
    assert any(e.field == "recall_number" and e.row in (1, 5) for e in result.errors)
    assert RecallRecord.objects.count() == 0


@pytest.mark.django_db
def test_an_import_may_not_overwrite_a_record_of_a_case(tmp_path):
    RecallRecord.objects.create(recall_number="Z-0101-2026", classification="I", product_description="x",
                                reason_for_recall="y", recalling_firm="z", voluntary_mandated="ordered",
                                source="case", published=False)
    with translation.override("en"):
        result = run_import(write(tmp_path, document()))
    assert not result.ok
    assert [(e.row, e.field, e.code) for e in result.errors] == [(1, "recall_number", "conflict")]
    assert RecallRecord.objects.count() == 1


@pytest.mark.django_db
def test_only_province_wide_accounts_may_import(tmp_path, make_user):
    city = make_user(S.ROLE_OFFICER, "320500")
    with translation.override("en"):
        result = run_import(write(tmp_path, document()), user=city)
    assert not result.ok and result.errors[0].code == "permission"
    assert RecallRecord.objects.count() == 0


@pytest.mark.django_db
def test_the_command_imports_and_reports_row_errors(tmp_path, capsys, media):
    call_command("import_data", "openfda_enforcement", str(write(tmp_path, document())), "--mode", "upsert",
                 "--no-progress")
    assert RecallRecord.objects.count() == 6
    doc = document()
    doc["results"][2]["classification"] = "Class X"
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_data", "openfda_enforcement", str(write(tmp_path, doc, "bad.json")),
                     "--mode", "upsert", "--no-progress")
    assert "row 3, classification" in capsys.readouterr().err


# --------------------------------------------------------------------------- round trip


STORED_AS_SENT = ("recall_number", "event_id", "classification", "status", "product_description",
                  "product_quantity", "reason_for_recall", "distribution_pattern", "recalling_firm",
                  "city", "state", "country", "initial_firm_notification", "recall_initiation_date",
                  "center_classification_date", "termination_date", "report_date")


@pytest.mark.django_db
def test_import_then_api_returns_the_same_values(tmp_path):
    assert run_import(write(tmp_path, document())).ok
    body = APIClient().get(reverse("recall-public-api:recall-list"), {"limit": 1000}).json()
    served = {r["recall_number"]: r for r in body["results"]}
    assert body["meta"]["results"]["total"] == 6
    for sent in document()["results"]:
        got = served[sent["recall_number"]]
        for name in STORED_AS_SENT:
            assert got.get(name) == sent.get(name), (sent["recall_number"], name)
        code_info = " ".join(p for p in (sent["code_info"], sent["more_code_info"]) if p)
        assert got["code_info"] == code_info
        expected = {"Voluntary: Firm initiated": "Voluntary: Firm initiated", "FDA Mandated": "Mandated"}
        assert got["voluntary_mandated"] == expected[sent["voluntary_mandated"]]
        assert got["source"] == "imported"


def test_fixture_is_in_openfdas_shape():
    doc = copy.deepcopy(document())
    assert set(doc) == {"meta", "results"} and set(doc["meta"]["results"]) == {"skip", "limit", "total"}
    for record in doc["results"]:
        assert all(isinstance(v, str) for k, v in record.items() if k != "openfda")
        for name in openfda.DATE_FIELDS:
            assert name not in record or len(record[name]) == 8


@pytest.mark.django_db
def test_the_import_page_takes_an_openfda_file(make_user, media):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    c = Client()
    c.force_login(admin)
    url = reverse("recall:lot_import") + "?kind=openfda_enforcement"
    page = c.get(url)
    assert page.status_code == 200 and "openfda_enforcement" in page.content.decode()
    csv = SimpleUploadedFile("enforcement.csv", b"recall_number\n", content_type="text/csv")
    refused = c.post(url, {"kind": "openfda_enforcement", "mode": "upsert", "file": csv})
    assert refused.status_code == 200 and RecallRecord.objects.count() == 0
    upload = SimpleUploadedFile("enforcement.json", FIXTURE.read_bytes(), content_type="application/json")
    response = c.post(url, {"kind": "openfda_enforcement", "mode": "upsert", "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RecallRecord.objects.filter(source="imported", published=True).count() == 6
    # an officer of a city may import lots, not openFDA records
    officer = make_user(S.ROLE_OFFICER, "320500")
    c.force_login(officer)
    assert "openfda_enforcement" not in c.get(reverse("recall:lot_import")).content.decode()
