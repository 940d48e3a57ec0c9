"""The quality-status report (issue 12 §4): requested on the page and built by the background task
(immediate backend), read back as a person reads it (PDF pages rendered with pdftoppm, text with
pdftotext, every chart image non-blank), the HTML and the workbook of the same tables, scope,
publication on the portal, the API, the schedule and a stale build.

The report is built ONCE for the module (on fixed 2026 records, ``report_world.py``)."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from zhijian.core import scope as S
from zhijian.targets.models import QualityReport, QualityReportEvent

from . import report_world

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CLOCK = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def client_for(user, lang="zh-hans"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The province admin requests the 2026 province report on the page; the task builds it."""
    import time_machine

    from zhijian.accounts.services import create_user
    from zhijian.registry.models import Division

    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, TASKS=IMMEDIATE), \
            time_machine.travel(CLOCK, tick=False), transaction.atomic():
        users = {
            "province": create_user("rpt-province", "pw", S.ROLE_PROVINCE_ADMIN,
                                    division=Division.objects.get(pk="320000")),
            "suzhou": create_user("rpt-suzhou", "pw", S.ROLE_OFFICER, division=Division.objects.get(pk="320500")),
            "nanjing": create_user("rpt-nanjing", "pw", S.ROLE_OFFICER, division=Division.objects.get(pk="320100")),
        }
        report_world.build(users["suzhou"])
        c = client_for(users["province"])
        response = c.post("/targets/reports/add/", {"division": "320000", "period": "2026"})
        report = QualityReport.objects.get()
        pdf = media / "r.pdf"
        pdf.write_bytes(report.pdf_file.read())
        yield {"users": users, "report": report, "response": response, "pdf": pdf, "media": media,
               "tmp": tmp_path_factory.mktemp("pages")}
        transaction.set_rollback(True)


@pytest.fixture
def world(built, db, settings):
    settings.MEDIA_ROOT = built["media"]
    built["report"].refresh_from_db()
    return built


def run(*argv) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def test_the_page_request_builds_the_report_with_its_history(world):
    report = world["report"]
    assert world["response"].status_code == 302 and world["response"]["Location"] == f"/targets/reports/{report.pk}/"
    assert report.status == "done" and report.trigger == "web" and report.requested_by == world["users"]["province"]
    assert report.progress_done == report.progress_total == 10 and report.phase == "done"
    assert report.figure_count >= 15 and report.chart_count >= 12
    assert list(report.events.values_list("type", flat=True)) == ["requested", "started", "built"]
    from zhijian.accounts.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="targets.qualityreport", object_id=str(report.pk)).exists()
    page = client_for(world["users"]["province"]).get(report.get_absolute_url()).content.decode()
    assert 'data-status="done"' in page and 'hx-trigger' not in page
    for fmt in ("pdf", "html", "xlsx"):
        assert f"/targets/reports/{report.pk}/{fmt}/" in page
    assert 'id="publish-report"' in page


def test_the_pdf_read_as_a_person_reads_it(world):
    """Pages rendered to images (pdftoppm), text extracted (pdftotext), fonts embedded, and every
    chart image of the PDF has ink (none blank)."""
    from PIL import Image

    pdf, tmp = world["pdf"], world["tmp"]
    text = run("pdftotext", "-layout", str(pdf), "-")
    for title in ("江苏省2026年质量状况分析报告", "产品质量监督抽查", "投诉举报", "质量安全风险", "缺陷产品召回", "质量信用",
                  "质量目标进展", "各地区比较", "按产品类别的抽查合格率", "苏州市", "南京市"):
        assert title in text.replace(" ", ""), title
    assert "75.0" in text and "1,200" in text.replace(" ", "") or "1200" in text  # Suzhou's pass rate; units in scope
    fonts = run("pdffonts", str(pdf))
    assert "NotoSansCJK" in fonts.replace("-", "") and " yes yes " in fonts  # embedded, subset
    run("pdftoppm", "-r", "40", "-png", str(pdf), str(tmp / "page"))
    pages = sorted(tmp.glob("page-*.png"))
    assert len(pages) >= 4
    for p in pages:
        img = Image.open(p).convert("L")
        dark = sum(img.histogram()[:200])
        assert dark > 0.005 * img.width * img.height, p.name  # no blank page
    listing = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    assert len(listing) == world["report"].chart_count >= 10
    run("pdfimages", "-png", str(pdf), str(tmp / "img"))
    images = sorted(tmp.glob("img-*.png"))
    assert len(images) == len(listing)
    for p in images:
        img = Image.open(p).convert("L")
        w, h = img.size
        inked = sum(img.histogram()[:160])
        assert inked > 0.01 * w * h, f"{p.name}: a blank chart"


def test_html_and_workbook_carry_the_same_tables(world):
    from openpyxl import load_workbook

    report = world["report"]
    html = report.html_file.read().decode()
    assert html.count('<figure id="figure-') == report.figure_count
    assert html.count('<img src="data:image/png;base64,') == report.chart_count
    assert 'data-empty="1"' not in html and "light-not_met" in html
    wb = load_workbook(io.BytesIO(report.xlsx_file.read()))
    assert len(wb.sheetnames) == report.figure_count + 1
    by_area = next(wb[n] for n in wb.sheetnames if n.startswith("4 "))
    rows = [list(r) for r in by_area.iter_rows(min_row=3, values_only=True)]
    assert ["苏州市", 8, 6, 75.0] in rows and ["南京市", 1, 0, 0.0] in rows
    recalls = next(wb[n] for n in wb.sheetnames if "召回" in n)
    assert ["召回实施中", 1, 1200.0, 700.0] in [list(r) for r in recalls.iter_rows(min_row=3, values_only=True)]


def test_a_period_without_data_says_so_instead_of_empty_charts(world):
    from django.utils import translation

    from zhijian.registry.models import Division
    from zhijian.targets.report import data, render

    with translation.override("zh-hans"):
        d = data.build(Division.objects.get(pk="320500"), "2019Q1", today=dt.date(2026, 12, 20))
        assert render.attach_charts(d) == 0
        html = render.html(d)
    assert all(f["empty"] for f in data.figures(d) if f["key"] not in ("targets_progress", "targets_lights"))
    assert html.count("本期无数据") >= 12 and "<img" not in html
    with translation.override("en"):
        d = data.build(Division.objects.get(pk="320500"), "2019Q1")
    assert "No spot-check results in this period." in [s["text"] for s in d["sections"]]


def test_scope_pages_and_api(world, settings):
    settings.TASKS = DB_QUEUE
    report, users = world["report"], world["users"]
    suzhou, nanjing = client_for(users["suzhou"]), client_for(users["nanjing"])
    assert suzhou.get(report.get_absolute_url()).status_code == 404  # the province's report
    assert suzhou.get(f"/targets/reports/{report.pk}/pdf/").status_code == 404
    page = suzhou.get("/targets/reports/add/").content.decode()
    assert 'value="320500"' in page and 'value="320000"' not in page
    assert suzhou.post("/targets/reports/add/", {"division": "320000", "period": "2026"}).status_code == 400
    assert suzhou.post("/targets/reports/add/", {"division": "320500", "period": "202605"}).status_code == 400
    with __import__("time_machine").travel(CLOCK, tick=False):
        r = suzhou.post("/targets/reports/add/", {"division": "320500", "period": "2026Q4"})
    own = QualityReport.objects.get(division_id="320500")
    assert r.status_code == 302 and own.status == "queued" and own.requested_by == users["suzhou"]
    detail = suzhou.get(own.get_absolute_url())
    assert 'hx-trigger="every 1s"' in detail.content.decode() and 'id="publish-report"' not in detail.content.decode()
    assert suzhou.post(f"/targets/reports/{own.pk}/publish/", {"publish": "1"}).status_code == 403
    assert [x["id"] for x in suzhou.get("/api/targets/quality-reports/").json()["results"]] == [own.pk]
    assert nanjing.get("/targets/reports/").context["table"].rows.__len__() == 0
    assert nanjing.get(own.get_absolute_url()).status_code == 404
    api = client_for(users["province"]).get(f"/api/targets/quality-reports/{report.pk}/").json()
    assert api["status"] == "done" and api["files"]["pdf"] == f"/targets/reports/{report.pk}/pdf/"


def test_publication_on_the_portal(world):
    report, province = world["report"], client_for(world["users"]["province"])
    anonymous = Client()
    assert anonymous.get(f"/portal/reports/{report.pk}/pdf/").status_code == 404
    assert "No report is published." in client_for(None, "en").get("/portal/reports/").content.decode()
    assert province.post(f"/targets/reports/{report.pk}/publish/", {"publish": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.published and report.published_at
    assert report.events.filter(type=QualityReportEvent.Type.PUBLISHED, user=world["users"]["province"]).exists()
    listing = anonymous.get("/portal/reports/").content.decode()
    assert f"/portal/reports/{report.pk}/pdf/" in listing and "江苏省" in listing
    pdf = anonymous.get(f"/portal/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    assert anonymous.get(f"/portal/reports/{report.pk}/docx/").status_code == 404


def test_schedule_is_idempotent_and_a_stale_build_fails_with_its_reason(world, settings):
    settings.TASKS = DB_QUEUE
    from zhijian.registry.models import Division
    from zhijian.targets.report import jobs

    assert jobs.last_closed(dt.date(2027, 1, 5)) == ("2026Q4", "2026")
    assert jobs.last_closed(dt.date(2026, 5, 5)) == ("2026Q1", "2025")
    out = io.StringIO()
    call_command("schedule_quality_reports", "--today", "2027-01-05", stdout=out)
    cities = Division.objects.filter(parent_id="320000", active=True).count()
    queued = QualityReport.objects.filter(trigger="schedule")
    # the province's 2026 report exists (built above): only its quarter is queued
    assert queued.count() == 2 * (cities + 1) - 1
    assert not queued.filter(division_id="320000", period="2026").exists()
    again = io.StringIO()
    call_command("schedule_quality_reports", "--today", "2027-01-05", stdout=again)
    assert "nothing to do" in again.getvalue() and queued.count() == 2 * (cities + 1) - 1

    stale = queued.first()
    QualityReport.objects.filter(pk=stale.pk).update(created=timezone.now() - dt.timedelta(hours=3))
    assert jobs.abandon_stale() == 1
    stale.refresh_from_db()
    assert stale.status == "failed" and "worker" in stale.message
    assert jobs.execute(stale.pk).status == "failed"  # not queued any more: left alone
