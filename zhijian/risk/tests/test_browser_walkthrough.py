"""From a complaint surge to a consumer warning, in a real browser (headless Chromium).

苏州 has had two complaints a week about one product category for thirty weeks; in the last
complete week it gets ten, all about fires (the records as the 12315 import and the officers'
intake store them). The weekly signal run — what the scheduler does — raises a CUSUM signal for
the city. A 苏州 officer sees it on the risk dashboard, reads its chart, opens a risk alert from it,
assesses the product (a scenario of serious harm makes the risk serious, and the alert takes that
level), a second officer validates the alert, the first drafts a risk-products spot-check plan from
it and publishes the alert; the public then reads the consumer warning on the portal.
"""
import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhijian.complaints.models import Case
from zhijian.core.scope import ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.registry.models import ProductCategory
from zhijian.risk import signal_run
from zhijian.risk.models import Alert, AlertEvent, RiskAssessment, Signal
from zhijian.spotcheck.models import Plan

pytestmark = pytest.mark.browser

SUZHOU, GUSU = "320500", "320508"
SCENARIOS = """电暖器倾倒后继续工作，引燃地毯 | 4
- 使用中被碰倒 | 1/10
- 倾倒断电开关失效（抽检 6/20） | 3/10
- 附近有可燃物 | 1/2
外壳烫伤儿童 | 2
- 外壳温度超过 90 ℃ | 1/2
- 儿童接触外壳 | 1/10
- 接触时间足以造成二度烫伤 | 1/10
"""


@pytest.fixture
def surge(transactional_db):
    """Weekly complaints in 姑苏区 (苏州): 2 a week for 30 weeks, then 10 about fires."""
    category = ProductCategory.objects.filter(key_supervised=True).order_by("code").first()
    week = signal_run.evaluation_week(timezone.localdate())
    cases, n = [], 0

    def add(day, count, hazard):
        nonlocal n
        for _i in range(count):
            n += 1
            cases.append(Case(ticket=f"WT{day:%Y%m%d}{n:06d}", kind="complaint", channel="phone", received_on=day,
                              division_id=GUSU, category=category, hazard=hazard, respondent_name="某电器店",
                              facts="电暖器使用中出现问题", request="退货"))

    for w in range(30):
        add(week - dt.timedelta(weeks=30 - w) + dt.timedelta(days=w % 5), 2, "none")
    add(week + dt.timedelta(days=2), 10, "fire")
    Case.objects.bulk_create(cases)
    return category, week


def new_page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return context.new_page()


def test_complaint_surge_signal_alert_assessment_plan_and_consumer_warning(live_server, chromium_browser,
                                                                           screenshot_dir, make_user, surge):
    from playwright.sync_api import expect

    category, week = surge
    make_user(ROLE_OFFICER, SUZHOU, username="sz-officer", full_name="苏州市局 李科长")
    make_user(ROLE_OFFICER, SUZHOU, username="sz-second", full_name="苏州市局 周科长")
    make_user(ROLE_OFFICER, "320100", username="nj-officer")

    # ------------------------------------------------------------------ the weekly run (scheduler)
    call_command("risk_signals")
    signal = Signal.objects.get(definition__code="complaints_cusum_city", category=category, division_id=SUZHOU)
    assert signal.week == week and signal.observed == 10 and signal.statistic > signal.threshold

    # ------------------------------------------------------------------ the officer sees the signal
    officer = new_page(chromium_browser)
    browser_login(officer, live_server, "sz-officer", "pw-sz-officer")
    officer.goto(f"{live_server.url}/risk/")
    row = officer.locator("#new-signals tbody tr", has_text=signal.definition.name).filter(has_text=category.name)
    expect(row).to_have_count(1)
    row.locator("a").click()
    expect(officer.locator("#signal-chart canvas")).to_have_count(1)  # ECharts drew the series
    officer.screenshot(path=str(screenshot_dir / "1-signal.png"))
    officer.click("#open-alert")
    expect(officer.locator("#move-validate")).to_be_visible()
    alert = Alert.objects.get(source="signal")
    assert alert.level == "M" and alert.division_id == SUZHOU and Signal.objects.get(pk=signal.pk).alert == alert

    # ------------------------------------------------------------------ a serious-risk assessment for it
    officer.click("#assess")
    expect(officer.locator("#for-alert")).to_contain_text(alert.number)
    expect(officer.locator("#id_category")).to_have_value(str(category.pk))
    officer.select_option("#id_hazard", "fire")
    officer.fill("#id_product", "暖风牌电暖器 NF-2000，批次 20261101")
    officer.fill("#id_scenarios", SCENARIOS)
    officer.fill("#id_evidence", "投诉 10 起（起火）；抽检倾倒开关失效 6/20")
    officer.click("#submit")
    expect(officer.locator("#scenarios")).to_contain_text("严重风险")
    officer.screenshot(path=str(screenshot_dir / "2-assessment.png"))
    assessment = RiskAssessment.objects.get()
    # 1/10 × 3/10 × 1/2 = 3/200 at severity 4: serious; the burn scenario (1/200, severity 2) is high
    assert assessment.level == "S" and assessment.probability == "3/200"
    assert assessment.worst_scenario.startswith("电暖器倾倒")
    officer.locator("#alerts a", has_text=alert.number).click()
    expect(officer.locator("dl.attrs")).to_contain_text("严重风险")
    alert.refresh_from_db()
    assert alert.level == "S" and alert.assessment == assessment and Alert.objects.count() == 1
    expect(officer.locator("#move-validate")).to_be_visible()

    # ------------------------------------------------------------------ a second officer validates
    second = new_page(chromium_browser)
    browser_login(second, live_server, "sz-second", "pw-sz-second")
    second.goto(f"{live_server.url}{alert.get_absolute_url()}")
    second.click("#move-validate")
    expect(second.locator("#move-publish")).to_be_visible()

    # ------------------------------------------------------------------ plan from it, then publish
    officer.reload()
    officer.click("#hand-off")
    plan = Plan.objects.get(kind=Plan.Kind.RISK)
    officer.wait_for_url(f"**{plan.get_absolute_url()}")
    assert list(plan.categories.all()) == [category] and plan.status == "draft" and plan.division_id == SUZHOU
    officer.screenshot(path=str(screenshot_dir / "3-plan.png"))
    officer.goto(f"{live_server.url}{alert.get_absolute_url()}")
    officer.click("#move-publish")
    expect(officer.locator("#history")).to_contain_text("已公开")
    alert.refresh_from_db()
    assert alert.status == "published" and alert.published_at
    assert list(alert.events.values_list("type", flat=True)) == [
        AlertEvent.Type.OPENED, AlertEvent.Type.ASSESSED, AlertEvent.Type.VALIDATED, AlertEvent.Type.HANDED_OFF,
        AlertEvent.Type.PUBLISHED]

    # ------------------------------------------------------------------ the public reads the warning
    public = new_page(chromium_browser)
    public.goto(f"{live_server.url}/portal/warnings/")
    link = public.locator("#warnings a", has_text=alert.title)
    expect(link).to_have_count(1)
    link.click()
    expect(public.locator("#warning-product")).to_have_text("暖风牌电暖器 NF-2000，批次 20261101")
    expect(public.locator("#warning-hazard")).to_have_text("火灾")
    public.screenshot(path=str(screenshot_dir / "4-warning.png"))
    html = public.content()
    assert "李科长" not in html and "sz-officer" not in html  # no owner on the public page
