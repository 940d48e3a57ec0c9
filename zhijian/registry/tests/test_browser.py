"""In a real browser: a 苏州 city officer finds enterprises and sees only those of 苏州.

Headless Debian Chromium through Playwright against pytest-django's live server.
"""
import re

import pytest

from zhijian.core.scope import ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise

pytestmark = pytest.mark.browser

SUZHOU = [  # (division, name): the city itself and two of its counties
    ("320500", "苏州市精工纺织有限公司"),
    ("320505", "苏州虎丘精工电器有限公司"),
    ("320583", "昆山精工机械有限公司"),
]
NANJING = [("320102", "南京玄武精工电器有限公司"), ("320115", "南京江宁精工食品有限公司")]


@pytest.fixture
def world(transactional_db):
    rows = {}
    for i, (division, name) in enumerate(SUZHOU + NANJING):
        rows[name] = Enterprise.objects.create(uscc=make_uscc(division, 880000 + i), name=name,
                                               division_id=division, phone=f"0512-6000{i:04d}")
    return rows


def result_rows(page):
    return page.locator("#results table tbody tr")


def test_city_officer_searches_enterprises_of_own_city(live_server, browser_page, screenshot_dir,
                                                       make_user, world):
    from playwright.sync_api import expect

    page = browser_page
    make_user(ROLE_OFFICER, "320500", username="suzhou-officer", full_name="苏州市局 王科长")
    browser_login(page, live_server, "suzhou-officer", "pw-suzhou-officer")
    expect(page.locator(".userbox .who")).to_have_text("苏州市局 王科长")
    page.screenshot(path=screenshot_dir / "1-home.png")

    # The enterprise list: only 3205xx (the division code is in the USCC's characters 3-8).
    page.goto(f"{live_server.url}/registry/enterprises/")
    expect(page.locator("h1")).to_have_text("企业")
    expect(result_rows(page)).to_have_count(3)
    usccs = result_rows(page).locator("td:nth-child(2)").all_inner_texts()
    assert sorted(u[2:8] for u in usccs) == ["320500", "320505", "320583"]
    content = page.content()
    assert "南京" not in content
    page.screenshot(path=screenshot_dir / "2-list.png")

    # Search by name: the Nanjing namesakes never appear.
    page.fill("input[name=q]", "精工电器")
    page.press("input[name=q]", "Enter")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("苏州虎丘精工电器有限公司")
    expect(page).to_have_url(re.compile(r"q=%E7%B2%BE"))  # the search is in the address (HTMX push)
    assert "南京" not in page.content()
    page.fill("input[name=q]", "精工")
    page.press("input[name=q]", "Enter")
    expect(result_rows(page)).to_have_count(3)
    assert "南京" not in page.content()
    page.screenshot(path=screenshot_dir / "3-search-name.png")

    # Search by the full USCC, then by a USCC prefix.
    kunshan = world["昆山精工机械有限公司"]
    page.fill("input[name=q]", kunshan.uscc)
    page.press("input[name=q]", "Enter")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("昆山精工机械有限公司")
    page.screenshot(path=screenshot_dir / "4-search-uscc.png")
    nanjing = world["南京玄武精工电器有限公司"]
    page.fill("input[name=q]", nanjing.uscc)
    page.press("input[name=q]", "Enter")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("没有")  # the empty-table text
    page.fill("input[name=q]", kunshan.uscc[:8])
    page.press("input[name=q]", "Enter")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("昆山精工机械有限公司")

    # Open the enterprise's page: registration data and (for staff) the contact phone.
    result_rows(page).first.locator("a", has_text="昆山精工机械有限公司").click()
    expect(page).to_have_url(f"{live_server.url}{kunshan.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text("昆山精工机械有限公司")
    expect(page.locator("dl.attrs").first).to_contain_text(kunshan.uscc)
    expect(page.locator(".contact")).to_contain_text(kunshan.phone)
    page.screenshot(path=screenshot_dir / "5-detail.png")

    # A Nanjing enterprise's page is not found for this officer.
    response = page.goto(f"{live_server.url}{nanjing.get_absolute_url()}")
    assert response.status == 404

    # Filtering by a county keeps the list inside it.
    page.goto(f"{live_server.url}/registry/enterprises/?division=320583")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("昆山精工机械有限公司")
