"""A voluntary recall in a real browser (headless Chromium): the producer reports a defect of a
lot, recalls it, draws its scope from the traceability graph (the lot page draws the graph), sends
the plan to the sellers and reports progress; the officer publishes the notice; the public reads it."""
import pytest

from zhijian.core.scope import ROLE_ENTERPRISE, ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.recall.models import RecallCase, RecallRecord

from .graph import build_graph

pytestmark = pytest.mark.browser


def new_page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return context.new_page()


def test_defect_report_to_published_notice(live_server, chromium_browser, screenshot_dir, make_user,
                                           transactional_db):
    from playwright.sync_api import expect

    ops, lots, _ = build_graph()
    make_user(ROLE_ENTERPRISE, enterprise=ops["P"], username="pb-maker")
    make_user(ROLE_OFFICER, "320500", username="sz-officer")

    producer = new_page(chromium_browser)
    browser_login(producer, live_server, "pb-maker", "pw-pb-maker")
    # its lot page draws the forward trace; the sellers' lots beyond its customers are not shown
    producer.goto(f"{live_server.url}{lots['B1'].get_absolute_url()}")
    expect(producer.locator("#trace-graph canvas")).to_have_count(1)
    expect(producer.locator("#trace-lots")).to_contain_text("D1")
    expect(producer.locator("#trace-lots")).not_to_contain_text("R1a")
    producer.screenshot(path=str(screenshot_dir / "recall-1-lot.png"))

    producer.goto(f"{live_server.url}/recall/cases/add/")
    producer.fill("#id_producer", ops["P"].uscc)
    producer.fill("#id_title", "移动电源过热")
    producer.fill("#id_product_description", "某牌移动电源 10000mAh")
    producer.fill("#id_defect", "电芯隔膜缺陷，充电时过热")
    producer.select_option("#id_hazard", "fire")
    producer.fill("#id_lots", "B1")
    producer.click("#submit")
    expect(producer.locator("#do-voluntary")).to_be_visible()
    case = RecallCase.objects.get()
    producer.click("#do-voluntary")
    expect(producer.locator("#do-scope")).to_be_visible()
    producer.click("#do-scope")
    expect(producer.locator("#scope-table")).to_contain_text("上海零售二店")
    producer.fill("#id_plan_text", "停止销售，免费退换")
    producer.click("#do-plan")
    producer.click("#do-send")
    expect(producer.locator("#history")).to_contain_text("召回计划已通报销售者")
    producer.fill("#id_progress-located", "800")
    producer.fill("#id_progress-recovered", "600")
    producer.click("#do-progress")
    expect(producer.locator("#progress-table")).to_contain_text("600")
    producer.screenshot(path=str(screenshot_dir / "recall-2-case.png"))
    case.refresh_from_db()
    assert case.kind == "voluntary" and case.scope_quantity == 800 and case.plan_sent_on is not None

    officer = new_page(chromium_browser)
    browser_login(officer, live_server, "sz-officer", "pw-sz-officer")
    officer.goto(f"{live_server.url}{case.get_absolute_url()}")
    officer.fill("#id_notice-title", "关于召回某牌移动电源的公告")
    officer.fill("#id_notice-text", "请立即停止使用，联系销售者免费退换。")
    officer.click("#do-publish")
    expect(officer.locator("#record-link")).to_be_visible()
    record = RecallRecord.objects.get(case=case)

    public = new_page(chromium_browser)
    public.goto(f"{live_server.url}/portal/recalls/")
    public.locator("#recalls a", has_text=record.recall_number).click()
    expect(public.locator("#notice-title")).to_contain_text("关于召回某牌移动电源的公告")
    expect(public.locator("#recall-code_info")).to_contain_text("B1")
    public.screenshot(path=str(screenshot_dir / "recall-3-portal.png"))
