"""From an unqualified spot-check result to a published penalty, in a real browser (headless Chromium).

A 苏州 officer opens the unqualified task, opens an enforcement case from it, a second officer
approves the filing, records evidence, serves the notice of the proposed fine, records the party's
statement and decides; the decision is published through the credit app, the enterprise's next
grading drops, and the enterprise user reads its decision but not the case file.
"""
import pytest
from django.utils import timezone

from zhijian.core.scope import ROLE_ENTERPRISE, ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.credit.jobs import run_grading
from zhijian.credit.models import Grade, PenaltyPublication
from zhijian.enforcement.models import Case, PenaltyDecision

from .test_origins_credit import make_task

pytestmark = pytest.mark.browser


def new_page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return context.new_page()


def test_unqualified_result_case_decision_publication_and_grade(live_server, chromium_browser, screenshot_dir,
                                                                 make_user, enterprise_factory, tmp_path):
    from playwright.sync_api import expect

    ent = enterprise_factory("320505", name="苏州某电器有限公司")
    task = make_task(ent)
    make_user(ROLE_OFFICER, "320500", username="sz-officer", full_name="苏州市局 李科长")
    make_user(ROLE_OFFICER, "320500", username="sz-head", full_name="苏州市局 周科长")
    make_user(ROLE_ENTERPRISE, enterprise=ent, username="ent-user")
    today = timezone.localdate()
    before = Grade.objects.get(enterprise=ent, run=run_grading(as_of=today, snapshot_dir=tmp_path / "before"))

    page = new_page(chromium_browser)
    browser_login(page, live_server, "sz-officer", "pw-sz-officer")
    page.goto(live_server.url + task.get_absolute_url())
    page.click(f"#open-enforcement-case-{task.pk}")
    expect(page.locator("#from-source")).to_be_visible()
    expect(page.locator("#id_enterprise")).to_have_value(ent.uscc)
    page.fill("#id_facts", "监督抽查检验不合格，涉嫌生产不符合国家标准的产品。")
    page.click("#submit")
    case = Case.objects.get()
    page.click("#step-approve summary")
    page.click("#do-approve")  # the proposer may not approve
    expect(page.locator("body")).to_contain_text("立案须由呈批人以外")
    page.screenshot(path=str(screenshot_dir / "enforcement-1-proposed.png"))

    head = new_page(chromium_browser)
    browser_login(head, live_server, "sz-head", "pw-sz-head")
    head.goto(live_server.url + case.get_absolute_url())
    head.click("#step-approve summary")
    head.click("#do-approve")
    expect(head.locator("#deadline-decision")).to_be_visible()
    head.click("#step-evidence summary")
    head.select_option("#id_evidence-kind", "expert")
    head.fill("#id_evidence-description", "检验报告：耐压试验不合格")
    head.click("#do-evidence")
    expect(head.locator("#evidence")).to_contain_text("检验报告：耐压试验不合格")
    head.click("#step-notify summary")
    head.fill("#id_notify-number", "苏市监罚告〔2026〕12号")
    head.check("input[name='notify-kinds'][value='fine']")
    head.fill("#id_notify-fine", "30000")
    head.fill("#id_notify-penalty", "拟罚款 3 万元")
    head.click("#do-notify")
    expect(head.locator("#notice")).to_contain_text("苏市监罚告〔2026〕12号")
    head.click("#step-statement summary")
    head.fill("#id_statement-text", "对违法事实无异议，已停止生产。")
    head.click("#do-statement")
    head.click("#step-decide summary")
    head.fill("#id_decide-number", "苏市监罚〔2026〕12号")
    head.check("input[name='decide-kinds'][value='fine']")
    head.fill("#id_decide-fine", "30000")
    head.fill("#id_decide-violation", "生产不符合保障人身、财产安全的国家标准的产品")
    head.fill("#id_decide-penalty", "罚款 30000 元")
    head.fill("#id_decide-legal_basis", "《中华人民共和国产品质量法》第四十九条")
    head.select_option("#id_decide-severity", "ordinary")
    head.click("#do-decide")
    decision = PenaltyDecision.objects.get()
    expect(head.locator("#published-on")).to_contain_text("尚未公示")
    head.click("#step-publish summary")
    head.click("#do-publish")
    expect(head.locator("#published-on")).to_contain_text(today.isoformat())
    head.screenshot(path=str(screenshot_dir / "enforcement-2-decided.png"))
    assert PenaltyPublication.objects.get(enterprise=ent).published_on == today

    after = Grade.objects.get(enterprise=ent, run=run_grading(as_of=today, snapshot_dir=tmp_path / "after"))
    assert after.score < before.score

    own = new_page(chromium_browser)
    browser_login(own, live_server, "ent-user", "pw-ent-user")
    own.goto(live_server.url + decision.get_absolute_url())
    expect(own.locator("#kinds")).to_contain_text("罚款")
    assert own.locator("#steps").count() == 0
    response = own.goto(live_server.url + case.get_absolute_url())
    assert response.status == 403
