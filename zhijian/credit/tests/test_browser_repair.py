"""Credit repair in a real browser (headless Chromium), DESIGN §6.3 / issue 4.

An enterprise user signs in, opens its grade with the explanation and sees its
ordinary penalty, published more than 6 months ago, with an "apply for credit repair"
button; it applies. A 苏州 city officer (the enterprise is in 虎丘区, inside the city)
opens the application and approves it. The anonymous public credit page showed the
penalty before and no longer shows it afterwards.
"""
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from zhijian.core.scope import ROLE_ENTERPRISE, ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.credit import services_listing as svc
from zhijian.credit.models import Grade, PenaltyPublication, RepairApplication
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise

pytestmark = pytest.mark.browser

NUMBER = "苏市监罚〔2026〕修复1号"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    from zhijian.accounts.services import create_user
    from zhijian.registry.models import Division

    settings.VAR_DIR = tmp_path
    cache.clear()
    today = timezone.localdate()
    ent = Enterprise.objects.create(uscc=make_uscc("320505", 880001), name="苏州诚信修复电器有限公司",
                                    division_id="320505")
    pub = svc.register_penalty(ent, decision_number=NUMBER, decision_date=today - dt.timedelta(days=215),
                               authority="苏州市市场监督管理局", severity="ordinary",
                               violation="生产销售不合格电热毯", penalty="罚款人民币五万元",
                               legal_basis="产品质量法第四十九条")
    svc.publish_penalty(pub, today - dt.timedelta(days=200))
    call_command("credit_grade", "--no-progress", stdout=io.StringIO())
    create_user("ent-repair", "pw-ent-repair", ROLE_ENTERPRISE, enterprise=ent)
    create_user("sz-credit", "pw-sz-credit", ROLE_OFFICER, division=Division.objects.get(pk="320500"))
    return {"ent": ent, "pub": pub}


def open_as(chromium_browser, live_server, username=None, password=None):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    if username:
        browser_login(page, live_server, username, password)
    return page


def test_enterprise_repairs_its_credit_and_the_public_page_changes(live_server, chromium_browser,
                                                                   screenshot_dir, world):
    from playwright.sync_api import expect

    ent, pub = world["ent"], world["pub"]
    public_url = f"{live_server.url}/portal/credit/{ent.uscc}/"

    # the public sees the penalty in its publication window
    public = open_as(chromium_browser, live_server)
    public.goto(public_url)
    expect(public.locator(f"#public-penalties tr[data-decision='{NUMBER}']")).to_have_count(1)
    grade = Grade.objects.get(enterprise=ent)
    expect(public.locator("#credit-grade strong")).to_have_text(grade.grade)

    # the enterprise opens its grade with the explanation and its penalty publication
    company = open_as(chromium_browser, live_server, "ent-repair", "pw-ent-repair")
    company.goto(f"{live_server.url}/credit/mine/")
    expect(company).to_have_url(f"{live_server.url}/credit/grades/{grade.pk}/")
    expect(company.locator("table.explanation-groups")).to_be_visible()
    expect(company.locator("table.explanation-events")).to_contain_text("行政处罚")  # by name
    expect(company.locator("table.explanation-events")).not_to_contain_text("penalty_ordinary")
    row = company.locator(f"#credit-penalties tr[data-decision='{NUMBER}']")
    expect(row).to_be_visible()
    company.screenshot(path=str(screenshot_dir / "1-grade-and-penalty.png"))
    row.locator(f"a[href='/credit/repairs/apply/?penalty={pub.pk}']").click()

    # applies: statement, commitment
    expect(company.locator("#repair-target")).to_contain_text(NUMBER)
    company.fill("#id_statement", "已全额缴纳罚款，召回并销毁不合格电热毯，完成生产线整改并通过复查。")
    company.check("#id_commitment")
    company.click("form.object-form button[type=submit]")
    application = RepairApplication.objects.get()
    expect(company).to_have_url(f"{live_server.url}/credit/repairs/{application.pk}/")
    expect(company.locator("#repair-status")).to_have_text(application.get_status_display())
    expect(company.locator("#repair-review")).to_have_count(0)

    # the 苏州 city officer approves
    officer = open_as(chromium_browser, live_server, "sz-credit", "pw-sz-credit")
    officer.goto(f"{live_server.url}/credit/repairs/?status=submitted")
    officer.click(f"a[href='/credit/repairs/{application.pk}/']")
    officer.check("#repair-review input[name=decision][value=approve]")
    officer.fill("#repair-review textarea[name=reason]", "缴款凭证与整改报告齐全，符合提前停止公示条件。")
    officer.click("#repair-review button[type=submit]")
    application.refresh_from_db()
    assert application.status == "approved"
    expect(officer.locator("#repair-status")).to_have_text(application.get_status_display())
    officer.screenshot(path=str(screenshot_dir / "2-approved.png"))
    pub = PenaltyPublication.objects.get(pk=pub.pk)
    assert (pub.withdrawn_on, pub.withdrawal_reason) == (timezone.localdate(), "repaired")

    # the public page no longer shows the penalty
    public.goto(public_url)
    expect(public.locator(f"#public-penalties tr[data-decision='{NUMBER}']")).to_have_count(0)
    expect(public.locator("#no-penalties")).to_be_visible()
    public.screenshot(path=str(screenshot_dir / "3-public-page.png"))

    # and the enterprise's page shows it withdrawn, without a repair button
    company.goto(f"{live_server.url}/credit/mine/")
    expect(company.locator(f"#credit-penalties tr[data-decision='{NUMBER}'] a.btn")).to_have_count(0)
