"""The quality-status report in a real browser (headless Chromium): the province admin opens the
target dashboard, drills down to a county, generates the annual report (built by the background
task, immediate backend) and publishes it; the public downloads the PDF from the portal."""
import datetime as dt

import pytest

from zhijian.core.scope import ROLE_OFFICER, ROLE_PROVINCE_ADMIN
from zhijian.core.testing.browser import browser_login
from zhijian.targets.models import QualityReport, TargetSet

from . import report_world

pytestmark = pytest.mark.browser
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CLOCK = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def new_page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(30_000)
    return context.new_page()


def test_dashboard_drill_down_generate_publish_and_public_download(live_server, chromium_browser, screenshot_dir,
                                                                   make_user, transactional_db, settings, tmp_path):
    import time_machine
    from playwright.sync_api import expect

    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path
    officer = make_user(ROLE_OFFICER, "320500", username="rb-suzhou")
    make_user(ROLE_PROVINCE_ADMIN, "320000", username="rb-province")
    report_world.build(officer)
    target_set = TargetSet.objects.order_by("year").filter(year__gte=2026).first() or TargetSet.objects.first()

    with time_machine.travel(CLOCK, tick=True):
        page = new_page(chromium_browser)
        browser_login(page, live_server, "rb-province", "pw-rb-province")
        page.goto(f"{live_server.url}/targets/sets/{target_set.pk}/?division=320000&period=2026")
        expect(page.locator("#progress-table")).to_be_visible()
        with page.expect_navigation():
            page.locator("#drill a.drill-down", has_text="苏州市").click()
        with page.expect_navigation():
            page.locator("#drill a.drill-down", has_text="昆山市").click()
        assert "division=320583" in page.url
        expect(page.locator("#drill-up")).to_contain_text("苏州市")
        page.screenshot(path=str(screenshot_dir / "report-1-county.png"))

        page.goto(f"{live_server.url}/targets/reports/")
        with page.expect_navigation():
            page.click("#request-report")
        page.select_option("#id_division", "320000")
        page.fill("#id_period", "2026")
        with page.expect_navigation():
            page.click("#request-submit")
        expect(page.locator("#report-status")).to_have_attribute("data-status", "done")
        expect(page.locator("#download-pdf")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "report-2-built.png"))
        with page.expect_navigation():
            page.click("#publish-report")
        expect(page.locator("#withdraw-report")).to_be_visible()
        report = QualityReport.objects.get()
        assert report.status == "done" and report.published and report.chart_count >= 10

        public = new_page(chromium_browser)
        public.goto(f"{live_server.url}/portal/reports/")
        expect(public.locator("#reports")).to_contain_text("江苏省")
        public.screenshot(path=str(screenshot_dir / "report-3-portal.png"))
        with public.expect_download() as info:
            public.locator("#reports a.report-pdf").first.click()
        path = tmp_path / "downloaded.pdf"
        info.value.save_as(path)
        assert path.read_bytes()[:5] == b"%PDF-" and path.stat().st_size > 50_000
