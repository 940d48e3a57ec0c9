"""The public credit page of an enterprise on the portal: only what may be published."""
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client as DjangoClient
from django.utils import timezone, translation

from zhijian.core import scope as S
from zhijian.credit import services_listing as svc
from zhijian.credit.models import Grade, Method

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


class Client(DjangoClient):
    """Asks for English pages."""

    def generic(self, *args, **kwargs):
        kwargs.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return super().generic(*args, **kwargs)


@pytest.fixture(autouse=True)
def _english(db):
    cache.clear()  # the portal's rate-limit history
    with translation.override("en"):
        yield


def penalty(ent, number, severity="ordinary", decided=None, publish=True, published_on=None):
    decided = decided or TODAY - 400 * DAY
    pub = svc.register_penalty(ent, decision_number=number, decision_date=decided, authority="苏州市市场监督管理局",
                               severity=severity, violation=f"违法行为{number}", penalty=f"处罚内容{number}",
                               legal_basis="产品质量法第四十九条")
    if publish:
        svc.publish_penalty(pub, published_on or decided + 5 * DAY)
    return pub


@pytest.fixture
def world(enterprise_factory, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ent = enterprise_factory("320505", name="苏州公示有限公司", legal_representative="张三", phone="0512-66668888",
                             address="苏州市虎丘区某路1号")
    shown = penalty(ent, "苏市监罚〔在期〕1号")
    penalty(ent, "苏市监罚〔未公示〕2号", publish=False)
    penalty(ent, "苏市监罚〔轻微过期〕3号", severity="minor")  # 3 months after publication: over
    revoked = penalty(ent, "苏市监罚〔撤销〕4号")
    svc.revoke_penalty(revoked, TODAY - 10 * DAY)
    svc.withdraw_penalty(revoked, TODAY - 8 * DAY, "revoked")
    heavy = penalty(ent, "苏市监罚〔从重〕5号", severity="heavy", decided=TODAY - 100 * DAY)
    call_command("credit_grade", "--no-progress", stdout=io.StringIO())
    return {"ent": ent, "shown": shown, "heavy": heavy, "url": f"/portal/credit/{ent.uscc}/"}


def test_anonymous_visitor_sees_only_what_may_be_published(world):
    response = Client().get(world["url"])
    assert response.status_code == 200
    html = response.content.decode()
    for number in ("苏市监罚〔在期〕1号", "苏市监罚〔从重〕5号"):
        assert number in html
    for number in ("未公示", "轻微过期", "撤销"):
        assert number not in html
    grade = Grade.objects.get(enterprise=world["ent"])
    assert f"<strong>{grade.grade}</strong>" in html and grade.method.version in html
    # the serious-violation listing made by the heavy penalty, with reason, basis and dates
    assert "Listed</strong>" in html and "总局令第44号" in html
    assert str(TODAY - 100 * DAY) in html and "产品质量法第四十九条" in html
    # nothing personal, no internal supervision data
    for private in ("张三", "0512-66668888", "某路1号", "risk class", grade.risk_class + "</"):
        assert private not in html


def test_grades_of_an_unpublished_method_are_not_shown(world):
    Method.objects.update(published=False)
    html = Client().get(world["url"]).content.decode()
    assert "Not graded." in html


def test_repair_and_removal_change_the_page(world, make_user):
    listing = world["ent"].credit_listings.get()
    svc.remove_listing(listing, TODAY, "early_exit", "复议撤销")
    svc.withdraw_penalty(world["shown"], TODAY, "repaired")
    html = Client().get(world["url"]).content.decode()
    assert "Not listed" in html and "苏市监罚〔在期〕1号" not in html
    assert "苏市监罚〔从重〕5号" in html  # heavy penalties stay published


def test_signed_in_staff_see_the_public_view(world, make_user):
    c = Client()
    c.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    html = c.get(world["url"]).content.decode()
    assert "未公示" not in html and "张三" not in html


def test_lookup_links_to_the_page_and_unknown_codes_are_404(world):
    c = Client()
    detail = c.get(f"/portal/enterprises/{world['ent'].pk}/").content.decode()
    assert world["url"] in detail
    assert c.get(world["url"].lower()).status_code == 200  # codes are case-insensitive
    assert c.get("/portal/credit/91320505MA1XXXXXXX/").status_code == 404


def test_the_page_is_rate_limited(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "portal": "2/minute"}}
    c = Client()
    assert [c.get(world["url"]).status_code for _ in range(3)] == [200, 200, 429]


def test_bounded_queries(world, django_assert_max_num_queries):
    for i in range(5):
        penalty(world["ent"], f"苏市监罚〔批量〕{i}号")
    # 4 for the rate limit (database cache), 4 for the enterprise, grade, listings, penalties
    with django_assert_max_num_queries(10):
        assert "批量〕4号" in Client().get(world["url"]).content.decode()


def test_portal_lookup_flags_listed_enterprises(world, enterprise_factory):
    enterprise_factory("320505", name="苏州公示旁人有限公司")
    html = Client().get("/portal/enterprises/", {"q": "苏州公示"}).content.decode()
    rows = [r for r in html.split("<tr>") if r.startswith("<td>") and "苏州公示" in r]
    assert len(rows) == 2
    flagged = [r for r in rows if 'data-flag="blacklisted"' in r]
    assert len(flagged) == 1 and "苏州公示有限公司" in flagged[0] and world["url"] in flagged[0]
