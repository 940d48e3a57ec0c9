"""The import CLI, the import pages (upload -> job -> errors -> error file), and exports."""
import csv
import datetime
import decimal
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from zhijian import cli
from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.context import change_context
from zhijian.core.models import ImportJob
from zhijian.registry import filtersets
from zhijian.registry.exports import export_response
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.importers import (
    DeclarationImporter,
    EnterpriseImporter,
    InspectorImporter,
    LabImporter,
    ProductImporter,
)
from zhijian.registry.models import (
    Enterprise,
    Inspector,
    Lab,
    Product,
    ProductCategory,
    Standard,
    StandardDeclaration,
)

from .importfiles import (  # noqa: F401
    ENTERPRISE_HEADER,
    audit_count,
    csv_bytes,
    english,
    enterprise_row,
    write_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# --------------------------------------------------------------------------- CLI


def test_cli_imports_a_file(tmp_path):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)])
    out = io.StringIO()
    call_command("import_data", "enterprises", str(path), "--no-progress", stdout=out)
    assert "2 rows imported (2 created, 0 updated)" in out.getvalue()
    assert Enterprise.objects.count() == 2
    job = ImportJob.objects.get()
    assert (job.status, job.source, job.user, job.total, job.created_count) == ("done", "cli", None, 2, 2)
    entry = AuditEntry.objects.get(action="import")
    assert (entry.object_id, entry.source) == (str(job.pk), "cli")


def test_cli_rejects_a_bad_file_and_writes_the_error_file(tmp_path, capsys):
    wrong = make_uscc("320505", 2)[:17] + "0"
    rows = [enterprise_row(1), enterprise_row(2, uscc=wrong), enterprise_row(3, division="329999")]
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, rows)
    before = audit_count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_data", "enterprises", str(path), "--no-progress", stderr=err)
    assert "row 3, uscc:" in err.getvalue() and "row 4, division:" in err.getvalue()
    with open(f"{path}.errors.csv", encoding="utf-8-sig", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert [(e["row"], e["field"], e["column"], e["code"]) for e in errors] == [
        ("3", "uscc", "统一社会信用代码", "invalid_uscc"), ("4", "division", "行政区划代码", "unknown")]
    assert Enterprise.objects.count() == 0 and audit_count() == before
    assert ImportJob.objects.get().status == "failed"


def test_zhijian_command_exits_non_zero_on_rejection(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["uscc", "name"], [[make_uscc("320505", 1), "甲"]])
    with pytest.raises(SystemExit) as exc:
        cli.main(["import-data", "enterprises", str(path), "--no-progress"])
    assert exc.value.code == 1
    assert (tmp_path / "e.csv.errors.csv").exists()


def test_cli_user_option_applies_the_users_scope(tmp_path, make_user):
    make_user(S.ROLE_OFFICER, "320500", username="suzhou")
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(1, division="320102")])
    with pytest.raises(CommandError):
        call_command("import_data", "enterprises", str(path), "--user", "suzhou", "--no-progress",
                     stderr=io.StringIO())
    with open(f"{path}.errors.csv", encoding="utf-8-sig") as fh:
        assert "scope" in fh.read()


# --------------------------------------------------------------------------- pages


def upload(client, rows, kind="enterprises", header=ENTERPRISE_HEADER, mode="create", name="e.csv"):
    f = SimpleUploadedFile(name, csv_bytes(header, rows, "gbk"), content_type="text/csv")
    return client.post(reverse("registry:import"), {"kind": kind, "mode": mode, "encoding": "", "file": f})


def test_upload_rejected_file_shows_errors_and_offers_the_error_file(client, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    client.force_login(officer)
    page = client.get(reverse("registry:enterprise_import"))
    assert page.status_code == 200
    assert "统一社会信用代码" in page.content.decode()

    before = audit_count()
    response = upload(client, [enterprise_row(1), enterprise_row(2, division="320102")])
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:importjob_detail", args=[job.pk])
    assert (job.status, job.error_count, job.user_id, job.encoding) == ("failed", 1, officer.pk, "gb18030")
    detail = client.get(response["Location"]).content.decode()
    assert 'data-row="3" data-field="division"' in detail
    assert reverse("registry:importjob_errors", args=[job.pk]) in detail
    download = client.get(reverse("registry:importjob_errors", args=[job.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["row"], r["field"], r["code"]) for r in rows] == [("3", "division", "scope")]
    assert Enterprise.objects.count() == 0 and audit_count() == before


def test_upload_good_file_imports_and_job_page_polls_until_done(client, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    client.force_login(officer)
    response = upload(client, [enterprise_row(1), enterprise_row(2)])
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.total) == ("done", 2, 2)
    assert Enterprise.objects.count() == 2
    entry = AuditEntry.objects.get(action="import")
    assert (entry.user_id, entry.source, entry.object_id) == (officer.pk, "job", str(job.pk))
    partial = client.get(response["Location"] + "?partial=1", HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert text.lstrip().startswith('<section id="job-status"') and 'data-status="done"' in text
    assert "hx-trigger" not in text  # finished: polling stops


def test_running_job_page_has_a_polling_progress_indicator(client, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    job = ImportJob.objects.create(user=officer, importer="enterprises", model="registry.enterprise",
                                   file="imports/x.csv", file_name="x.csv", status="running")
    client.force_login(officer)
    text = client.get(reverse("registry:importjob_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in text and '<progress id="import-progress"' in text


def test_jobs_are_visible_to_their_owner_and_the_province_admin_only(client, make_user):
    owner = make_user(S.ROLE_OFFICER, "320500")
    client.force_login(owner)
    upload(client, [enterprise_row(1, division="320102")])
    job = ImportJob.objects.get()
    for user, status in [(make_user(S.ROLE_OFFICER, "320500"), 404),
                         (make_user(S.ROLE_PROVINCE_ADMIN, "320000"), 200), (owner, 200)]:
        client.force_login(user)
        assert client.get(reverse("registry:importjob_detail", args=[job.pk])).status_code == status
        assert client.get(reverse("registry:importjob_errors", args=[job.pk])).status_code == status
        listing = client.get(reverse("registry:importjob_list")).content.decode()
        assert (reverse("registry:importjob_detail", args=[job.pk]) in listing) == (status == 200)


def test_import_page_needs_a_role_that_may_add(client, make_user):
    client.force_login(make_user(S.ROLE_INSPECTOR, "320505"))
    assert client.get(reverse("registry:import")).status_code == 403
    client.logout()
    assert client.get(reverse("registry:import")).status_code == 302  # to the login page


def test_template_download(client, make_user):
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    body = client.get(reverse("registry:import_template", args=["enterprises", "csv"])).content
    assert body.decode("utf-8-sig").startswith("统一社会信用代码 (uscc),企业名称 (name)")


# --------------------------------------------------------------------------- exports


FIELDS = ["uscc", "name", "division_id", "industry_id", "address", "legal_representative",
          "established_on", "registered_capital", "scale", "status", "phone"]


def snapshot(qs, fields=FIELDS):
    return sorted(qs.values_list(*fields))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_a_filtered_list_reimports_to_equal_rows(tmp_path, make_user, fmt):
    rows = [
        enterprise_row(1, division="320505", address="=HYPERLINK(\"x\")", phone="+86 512 1234"),
        enterprise_row(2, division="320506", status="经营异常", registered_capital="12.35",
                       established_on="1999-12-31", scale="大型"),
        enterprise_row(3, division="320583", industry="", established_on="", registered_capital="",
                       scale="", status="吊销"),
        enterprise_row(4, division="320102"),  # Nanjing: outside the officer's region
        enterprise_row(5, division="320505", status="注销", name="苏州另一家企业"),  # filtered out
    ]
    with change_context(source="cli"):
        assert EnterpriseImporter().run(write_csv(tmp_path / "seed.csv", ENTERPRISE_HEADER, rows)).ok
    officer = make_user(S.ROLE_OFFICER, "320500")
    qs = Enterprise.objects.restrict(officer, "view")
    qs = filtersets.EnterpriseFilterSet({"q": "有限公司", "division": "320500"}, queryset=qs).qs
    expected = snapshot(qs)
    assert len(expected) == 3
    response = export_response(Enterprise, qs, fmt)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    export_file = tmp_path / f"export.{fmt}"
    export_file.write_bytes(content)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        assert "'=HYPERLINK" in content.decode("utf-8-sig")  # not a formula in Excel
    else:
        ws = load_workbook(export_file).active
        assert ws["A1"].value == "统一社会信用代码 (uscc)"
        assert all(c.data_type == "s" for c in ws["E"][1:])

    Enterprise._base_manager.all().delete()
    with change_context(source="cli"):
        result = EnterpriseImporter().run(export_file)
    assert result.ok, result.errors
    assert snapshot(Enterprise.objects.all()) == expected
    e = Enterprise.objects.get(uscc=make_uscc("320506", 2))
    assert (e.registered_capital, e.established_on) == (decimal.Decimal("12.35"), datetime.date(1999, 12, 31))


def test_export_round_trip_of_products_inspectors_labs_and_declarations(tmp_path, enterprise_factory):
    ent = enterprise_factory(division="320505")
    std = Standard.objects.create(code="GB 4706.1-2005", title="安全", kind="national_mandatory")
    c1, c2 = ProductCategory.objects.order_by("code")[:2]
    Product.objects.create(enterprise=ent, category=c1, name="电热水壶", brand="苏", model_number="A1",
                           barcode="690", standard=std)
    Product.objects.create(enterprise=ent, category=c2, name="电饭煲")
    ins = Inspector.objects.create(name="王强", badge_number="B1", division_id="320505")
    ins.categories.set([c1, c2])
    Inspector.objects.create(name="李娜", badge_number="B2", division_id="320506", status="retired")
    lab = Lab.objects.create(name="苏州检测院", uscc=make_uscc("320500", 9, "1", "2"),
                             accreditation_number="CMA-1", division_id="320500", level="city",
                             scope_text="电器", accredited_until=datetime.date(2028, 1, 31))
    lab.categories.set([c2])
    Lab.objects.create(name="第三方", accreditation_number="CMA-2", division_id="320505",
                       level="private", status="suspended")
    StandardDeclaration.objects.create(enterprise=ent, product_name="电热水壶", category=c1, standard=std,
                                       indicators="1800 W", published_on=datetime.date(2024, 5, 6))
    StandardDeclaration.objects.create(enterprise=ent, product_name="电饭煲", standard=std, status="draft")
    tables = {
        Product: (ProductImporter, ["enterprise_id", "category_id", "name", "brand", "model_number",
                                    "barcode", "standard_id"]),
        Inspector: (InspectorImporter, ["name", "badge_number", "division_id", "status", "phone"]),
        Lab: (LabImporter, ["name", "uscc", "accreditation_number", "division_id", "level",
                            "scope_text", "accredited_until", "status"]),
        StandardDeclaration: (DeclarationImporter, ["enterprise_id", "product_name", "category_id",
                                                    "standard_id", "indicators", "published_on", "status"]),
    }

    def links():
        return (sorted(Inspector.categories.through.objects.values_list(
                    "inspector__badge_number", "productcategory_id")),
                sorted(Lab.categories.through.objects.values_list(
                    "lab__accreditation_number", "productcategory_id")))

    before = {model: snapshot(model.objects.all(), fields) for model, (_, fields) in tables.items()}
    before_links = links()
    files = {}
    for model in tables:
        response = export_response(model, model.objects.all(), "csv")
        files[model] = tmp_path / f"{model._meta.model_name}.csv"
        files[model].write_bytes(b"".join(response.streaming_content))
        model.objects.all().delete()
    with change_context(source="cli"):
        for model, (importer, _) in tables.items():
            result = importer().run(files[model])
            assert result.ok, result.errors
    assert {model: snapshot(model.objects.all(), fields) for model, (_, fields) in tables.items()} == before
    assert links() == before_links


def test_export_data_command(tmp_path, enterprise_factory):
    enterprise_factory(division="320505")
    enterprise_factory(division="320102")
    out = tmp_path / "e.xlsx"
    call_command("export_data", "enterprises", "-o", str(out), "-f", "division=320500", stdout=io.StringIO())
    ws = load_workbook(out).active
    assert [r[2] for r in ws.iter_rows(min_row=2, values_only=True)] == ["320505"]


@pytest.mark.django_db(transaction=True)
def test_upload_is_run_by_the_database_worker(client, make_user, settings):
    """The production path: the page enqueues on the database backend, ``db_worker`` runs it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    officer = make_user(S.ROLE_OFFICER, "320500")
    client.force_login(officer)
    response = upload(client, [enterprise_row(1), enterprise_row(2)])
    job = ImportJob.objects.get()
    assert job.status == "pending" and Enterprise.objects.count() == 0
    text = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in text  # the page polls while the job waits
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    assert Enterprise.objects.count() == 2


def test_progress_is_reported_per_phase(tmp_path):
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [enterprise_row(i) for i in range(1, 31)])
    calls = []
    with change_context(source="cli"):
        result = EnterpriseImporter().run(path, progress=lambda *a: calls.append(a))
    assert result.ok
    phases = [c[0] for c in calls]
    assert phases[0] == "read" and "validate" in phases and phases[-1] == "write"
    assert calls[-1] == ("write", 30, 30)
    assert max(c[1] for c in calls if c[0] == "validate") == 30
