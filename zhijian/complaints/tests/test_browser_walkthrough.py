"""A complaint from the public form to its outcome, in a real browser (headless Chromium).

A citizen submits a complaint on the portal about an electric heater bought from a
registered enterprise in 昆山 (named by its USCC) and notes the ticket number and the
verification code. The 昆山 county officer logs in, finds the case on the dashboard's
status cards and in the list (the complainant masked there, in clear on the case
page), accepts it, records a mediation session and closes it with an agreement
(a refund). The citizen then looks the case up with the ticket and code and sees
the outcome and the amount; a wrong code shows nothing.
"""
import pytest

from zhijian.complaints.models import Case
from zhijian.core.scope import ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise

pytestmark = pytest.mark.browser

KUNSHAN = "320583"
PHONE = "13962001234"


@pytest.fixture
def world(transactional_db):
    # The live server runs in this process: fit the default classifier now (once per process, a
    # minute) rather than inside the citizen's submission, which a page waits on for 15 s.
    from zhijian.complaints.classifier import model as classifier

    classifier.get_model()
    return Enterprise.objects.create(uscc=make_uscc(KUNSHAN, 515151), name="昆山暖风电器有限公司",
                                     division_id=KUNSHAN, address="昆山市前进东路 88 号")


def new_page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return context.new_page()


def test_citizen_complaint_accepted_mediated_closed_and_looked_up(live_server, chromium_browser, screenshot_dir,
                                                                 make_user, world):
    from playwright.sync_api import expect

    enterprise = world
    make_user(ROLE_OFFICER, KUNSHAN, username="ks-officer", full_name="昆山市局 王科长")

    # ------------------------------------------------------------------ the citizen submits
    citizen = new_page(chromium_browser)
    citizen.goto(f"{live_server.url}/")
    citizen.click("#complaint-card")
    expect(citizen.locator("#complaint-form")).to_be_visible()
    citizen.select_option("#id_kind", "complaint")
    citizen.fill("#id_complainant_name", "陈晓燕")
    citizen.fill("#id_complainant_phone", PHONE)
    citizen.fill("#id_complainant_address", "江苏省昆山市玉山镇朝阳路 5 号")
    citizen.fill("#id_respondent_name", "昆山暖风电器")
    citizen.fill("#id_respondent_uscc", enterprise.uscc)
    citizen.select_option("#id_division", KUNSHAN)
    citizen.fill("#id_product", "暖风牌电暖器 NF-2000")
    citizen.fill("#id_facts", "2026 年 11 月购买的电暖器使用两天后电源线发热冒烟，已停止使用。")
    citizen.fill("#id_request", "退货退款")
    citizen.fill("#id_amount_claimed", "599")
    citizen.click("#complaint-form button[type=submit]")
    expect(citizen.locator("#receipt")).to_be_visible()
    ticket = citizen.locator("#receipt-ticket").inner_text().strip()
    code = citizen.locator("#receipt-code").inner_text().strip()
    citizen.screenshot(path=str(screenshot_dir / "1-receipt.png"))
    case = Case.objects.get(ticket=ticket)
    assert case.respondent == enterprise and case.division_id == KUNSHAN and case.channel == "web"
    # the code is shown once
    citizen.reload()
    expect(citizen.locator("#receipt")).to_have_count(0)
    assert code not in citizen.content()

    # ------------------------------------------------------------------ the county officer handles it
    officer = new_page(chromium_browser)
    browser_login(officer, live_server, "ks-officer", "pw-ks-officer")
    officer.goto(f"{live_server.url}/complaints/")
    expect(officer.locator("#status-counts [data-status=received] .num")).to_have_text("1")
    officer.goto(f"{live_server.url}/complaints/cases/")
    row = officer.locator("table.objects tbody tr", has_text=ticket)
    expect(row).to_have_count(1)
    assert PHONE not in officer.content() and "陈**" in row.inner_text()
    row.locator(f"a:has-text('{ticket}')").click()
    expect(officer.locator("#complainant-phone")).to_have_text(PHONE)
    expect(officer.locator("[data-clock=accept]")).to_be_visible()
    officer.screenshot(path=str(screenshot_dir / "2-case.png"))

    officer.click("#step-accept button[type=submit]")
    expect(officer.locator("#case-status")).to_have_attribute("class", "badge status-accepted")
    expect(officer.locator("[data-clock=mediation]")).to_be_visible()

    form = officer.locator("#step-mediate form")
    form.locator("[name='mediate-method']").select_option("phone")
    form.locator("[name='mediate-mediator']").fill("王科长")
    form.locator("[name='mediate-summary']").fill("电话调解：经营者同意退货并全额退款 599 元。")
    form.locator("button[type=submit]").click()
    expect(officer.locator("#mediations li")).to_have_count(1)

    form = officer.locator("#step-close_agreement form")
    form.locator("[name='close_agreement-amount_refunded']").fill("599.00")
    expect(form.locator("[name='close_agreement-upheld']")).to_be_checked()
    form.locator("button[type=submit]").click()
    expect(officer.locator("#case-status")).to_have_attribute("class", "badge status-closed")
    expect(officer.locator("#amount-refunded")).to_have_text("599.00")
    officer.screenshot(path=str(screenshot_dir / "3-closed.png"))
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.outcome == "agreement" and case.upheld
    assert [e.type for e in case.events.all()] == ["received", "routed", "accepted", "mediated", "closed"]

    # ------------------------------------------------------------------ the citizen looks it up
    citizen.goto(f"{live_server.url}/portal/complaints/status/")
    citizen.fill("#id_ticket", ticket)
    citizen.fill("#id_code", "WRONG234")
    citizen.click("#status-form button[type=submit]")
    expect(citizen.locator("#not-found")).to_be_visible()
    expect(citizen.locator("#case-status")).to_have_count(0)
    citizen.fill("#id_ticket", ticket)
    citizen.fill("#id_code", code.lower())
    citizen.click("#status-form button[type=submit]")
    expect(citizen.locator("#case-status")).to_be_visible()
    expect(citizen.locator("#status-refunded")).to_have_text("599.00")
    expect(citizen.locator("#status-outcome")).not_to_be_empty()
    expect(citizen.locator("#status-name")).to_have_text("陈**")
    citizen.screenshot(path=str(screenshot_dir / "4-status.png"))
    html = citizen.content()
    assert PHONE not in html and "陈晓燕" not in html and "朝阳路" not in html
