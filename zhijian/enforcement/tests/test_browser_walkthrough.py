"""From an unqualified spot-check result to a published penalty and an ordered recall, in a real
browser (headless Chromium).

A 苏州 officer opens the unqualified task, opens an enforcement case from it, a second officer
approves the filing, records evidence, serves the notice of the proposed fine, records the party's
statement and decides; the decision is published through the credit app, the enterprise's next
grading drops, and the enterprise user reads its decision but not the case file. The same result
then opens a recall case: the defect finding is notified, the producer lets the objection window
pass, the recall is ordered, its scope is drawn from the traceability graph (down to a retailer in
another city), the producer reports progress and its summary, the officer closes the case and
publishes the notice, and the public reads it on the portal.
"""
import datetime as dt

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


def test_unqualified_result_penalty_grade_and_ordered_recall_to_the_portal(live_server, chromium_browser, screenshot_dir,
                                                                 make_user, enterprise_factory, tmp_path):
    from playwright.sync_api import expect

    ent = enterprise_factory("320505", name="苏州某电器有限公司")
    task = make_task(ent)
    make_user(ROLE_OFFICER, "320500", username="sz-officer", full_name="苏州市局 李科长")
    head_officer = make_user(ROLE_OFFICER, "320500", username="sz-head", full_name="苏州市局 周科长")
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

    # ------------------------------------------------------------------ the recall
    from zhijian.recall.models import Lot, Movement, RecallCase, RecallRecord
    from zhijian.risk.models import RiskAssessment

    distributor = enterprise_factory("320102", name="南京某商贸有限公司")
    retailer = enterprise_factory("320583", name="昆山某超市有限公司")
    made = Lot.objects.create(code="NF-2026-03", operator=ent, quantity=1000, unit="台", description="电暖器 NF-2")
    bought = Lot.objects.create(code="NJ-IN-0311", operator=distributor, quantity=600, unit="台")
    shelved = Lot.objects.create(code="KS-IN-0320", operator=retailer, quantity=200, unit="台")
    Movement.objects.create(source=made, target=bought, kind="shipment", quantity=600)
    Movement.objects.create(source=bought, target=shelved, kind="shipment", quantity=200)
    assessment = RiskAssessment.objects.create(
        division_id="320500", category=task.category, product="某牌电暖器 NF-2", hazard="electric_shock",
        scenarios=[], level="S", probability="1/100", worst_scenario="绝缘击穿致人触电", evidence="检验报告",
        assessor=head_officer)

    head.goto(live_server.url + task.get_absolute_url())
    head.click("#open-recall")
    expect(head.locator("#case-source")).to_be_visible()
    head.fill("#id_product_description", "某牌电暖器 NF-2")
    head.fill("#id_defect", "耐压试验不合格，存在触电风险")
    head.fill("#id_lots", "NF-2026-03")
    head.click("#submit")
    expect(head.locator("#step-assess")).to_be_visible()
    recall = RecallCase.objects.get()
    head.select_option("#step-assess select", str(assessment.pk))
    head.click("#do-assess")
    head.fill("#id_notify_text", "经调查，该批次电暖器绝缘耐压不合格，认定存在缺陷。")
    head.fill("#id_notify_on", (today - dt.timedelta(days=40)).isoformat())  # notified 40 days ago
    head.click("#do-notify")
    head.click("#do-order")  # no objection within 15 working days: the recall is ordered
    head.click("#do-scope")
    expect(head.locator("#scope-table")).to_contain_text("昆山某超市有限公司")
    expect(head.locator("#scope-table")).to_contain_text("KS-IN-0320")
    head.fill("#id_plan_text", "停止销售，召回并免费更换")
    head.click("#do-plan")
    head.click("#do-send")
    expect(head.locator("#history")).to_contain_text("召回计划已通报销售者")
    recall.refresh_from_db()
    assert recall.kind == "ordered" and recall.scope_quantity == 1000
    assert set(recall.affected.values_list("lot__code", flat=True)) == {"NF-2026-03", "NJ-IN-0311", "KS-IN-0320"}

    own.goto(live_server.url + recall.get_absolute_url())  # the producer reports its progress
    own.fill("#id_progress-located", "1000")
    own.fill("#id_progress-recovered", "950")
    own.fill("#id_progress-repaired", "950")
    own.click("#do-progress")
    expect(own.locator("#progress-table")).to_contain_text("950")
    own.fill("#id_summary_text", "共召回 950 台，均已更换。")
    own.click("#do-summary")

    head.goto(live_server.url + recall.get_absolute_url())
    head.click("#do-close")
    head.fill("#id_notice-title", "关于召回某牌电暖器的公告")
    head.fill("#id_notice-text", "请立即停止使用，联系销售者免费更换。")
    head.click("#do-publish")
    expect(head.locator("#record-link")).to_be_visible()
    head.screenshot(path=str(screenshot_dir / "enforcement-3-recall.png"))
    recall.refresh_from_db()
    assert recall.status == "closed"
    record = RecallRecord.objects.get(case=recall)

    public = new_page(chromium_browser)
    public.goto(f"{live_server.url}/portal/recalls/")
    public.locator("#recalls a", has_text=record.recall_number).click()
    expect(public.locator("#notice-title")).to_contain_text("关于召回某牌电暖器的公告")
    expect(public.locator("#recall-code_info")).to_contain_text("NF-2026-03")
