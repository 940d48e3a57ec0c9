"""Penalty publication (市场监督管理行政处罚信息公示规定): deadlines, windows, revocation, withdrawal."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from zhijian.accounts.models import AuditEntry
from zhijian.credit import services_listing as svc
from zhijian.credit.models import CreditEvent, EnterpriseListing, PenaltyPublication
from zhijian.credit.publication import is_blacklisted, published_penalties

D = dt.date


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def register(ent, number="苏市监罚〔2025〕1号", decided=D(2025, 3, 3), severity="ordinary", **kw):
    return svc.register_penalty(ent, decision_number=number, decision_date=decided, authority="苏州市市场监督管理局",
                                severity=severity, violation="生产不合格电热毯", penalty="罚款5万元", **kw)


def test_register_sets_the_20_working_day_deadline_and_records_the_event(enterprise_factory):
    ent = enterprise_factory()
    pub = register(ent)
    # Monday 2025-03-03 + 20 working days (no holiday in March 2025) = Monday 2025-03-31
    assert pub.publish_by == D(2025, 3, 31)
    assert pub.published_on is None and not published_penalties(D(2025, 3, 10)).filter(pk=pub.pk).exists()
    (event,) = CreditEvent.objects.filter(enterprise=ent)
    assert (event.type.code, event.date, event.source_type, event.source_id) == (
        "penalty_ordinary", D(2025, 3, 3), "credit.penaltypublication", str(pub.pk))
    assert not EnterpriseListing.objects.filter(enterprise=ent).exists()


def test_publication_deadline_skips_national_day_and_counts_adjusted_weekends(enterprise_factory):
    pub = register(enterprise_factory(), decided=D(2025, 9, 26))
    # 28 Sep (Sunday) and 11 Oct (Saturday) are working days, 1–8 Oct are the holiday
    assert pub.publish_by == D(2025, 10, 30)


def test_publish_window_minor_3_months_other_3_years(enterprise_factory):
    ent = enterprise_factory()
    minor = register(ent, "罚1", D(2025, 1, 6), severity="minor")
    other = register(ent, "罚2", D(2025, 1, 6))
    svc.publish_penalty(minor, D(2025, 1, 20))
    svc.publish_penalty(other, D(2025, 1, 20))
    minor.refresh_from_db(), other.refresh_from_db()
    assert minor.publish_until == D(2025, 4, 20) and other.publish_until == D(2028, 1, 20)
    visible = lambda on: set(published_penalties(on).filter(enterprise=ent).values_list("decision_number", flat=True))  # noqa: E731
    assert visible(D(2025, 1, 19)) == set()
    assert visible(D(2025, 4, 20)) == {"罚1", "罚2"}
    assert visible(D(2025, 4, 21)) == {"罚2"}   # expiry is a query, no job
    assert visible(D(2028, 1, 21)) == set()


def test_publish_refuses_twice_before_decision_and_after_revocation(enterprise_factory):
    ent = enterprise_factory()
    pub = register(ent)
    with pytest.raises(ValidationError) as exc:
        svc.publish_penalty(pub, D(2025, 3, 1))
    assert "published_on" in exc.value.message_dict
    svc.publish_penalty(pub, D(2025, 3, 10))
    with pytest.raises(ValidationError) as exc:
        svc.publish_penalty(pub, D(2025, 3, 11))
    assert "Already published on 2025-03-10" in exc.value.message_dict["published_on"][0]
    other = register(ent, "罚3")
    svc.revoke_penalty(other, D(2025, 3, 5))
    with pytest.raises(ValidationError) as exc:
        svc.publish_penalty(other, D(2025, 3, 6))
    assert "revoked_on" in exc.value.message_dict


def test_revocation_withdraws_within_3_working_days_and_removes_the_event(enterprise_factory):
    ent = enterprise_factory()
    pub = register(ent, decided=D(2025, 9, 1))
    svc.publish_penalty(pub, D(2025, 9, 10))
    svc.revoke_penalty(pub, D(2025, 9, 30))
    pub.refresh_from_db()
    # Tuesday 30 Sep + 3 wd: 9 Oct, 10 Oct, Saturday 11 Oct (an adjusted working day)
    assert (pub.revoked_on, pub.withdraw_by) == (D(2025, 9, 30), D(2025, 10, 11))
    assert not CreditEvent.objects.filter(enterprise=ent).exists()  # the grade no longer counts it
    # hidden from the public from the day of revocation, formally withdrawn afterwards
    assert published_penalties(D(2025, 9, 29)).filter(pk=pub.pk).exists()
    assert not published_penalties(D(2025, 9, 30)).filter(pk=pub.pk).exists()
    with pytest.raises(ValidationError) as exc:
        svc.withdraw_penalty(pub, D(2025, 10, 9), reason="expired")
    assert "withdrawal_reason" in exc.value.message_dict
    svc.withdraw_penalty(pub, D(2025, 10, 9), reason="revoked")
    pub.refresh_from_db()
    assert (pub.withdrawn_on, pub.withdrawal_reason) == (D(2025, 10, 9), "revoked")
    with pytest.raises(ValidationError) as exc:
        svc.withdraw_penalty(pub, D(2025, 10, 10), reason="revoked")
    assert "withdrawn_on" in exc.value.message_dict


def test_withdraw_needs_a_revocation_first(enterprise_factory):
    pub = register(enterprise_factory())
    svc.publish_penalty(pub, D(2025, 3, 10))
    with pytest.raises(ValidationError) as exc:
        svc.withdraw_penalty(pub, D(2025, 3, 12), reason="revoked")
    assert "Record the revocation" in exc.value.message_dict["withdrawal_reason"][0]
    pub.refresh_from_db()
    assert pub.withdrawn_on is None


def test_heavy_penalty_lists_the_enterprise_for_3_years(enterprise_factory):
    ent = enterprise_factory()
    pub = register(ent, severity="heavy", decided=D(2025, 6, 2))
    (listing,) = EnterpriseListing.objects.filter(enterprise=ent)
    assert (listing.kind, listing.start, listing.planned_end) == ("serious_violation", D(2025, 6, 2), D(2028, 6, 2))
    assert listing.legal_basis and pub.decision_number in listing.reason
    assert (listing.source_type, listing.source_id) == ("credit.penaltypublication", str(pub.pk))
    assert set(CreditEvent.objects.filter(enterprise=ent).values_list("type__code", flat=True)) == {
        "penalty_heavy", "blacklisting"}
    assert is_blacklisted(ent.pk, D(2025, 6, 2)) and not is_blacklisted(ent.pk, D(2025, 6, 1))
    # revoking the penalty ends the listing it caused ("basis revoked"); neither weighs on the grade
    svc.revoke_penalty(pub, D(2025, 8, 1))
    listing.refresh_from_db()
    assert (listing.end, listing.removal) == (D(2025, 8, 1), "revoked")
    assert not is_blacklisted(ent.pk, D(2025, 8, 1))
    assert not CreditEvent.objects.filter(enterprise=ent).exists()


def test_bad_input_names_the_fields_and_writes_nothing(enterprise_factory):
    ent = enterprise_factory()
    with pytest.raises(ValidationError) as exc:
        svc.register_penalty(ent, decision_number=" ", decision_date=timezone.localdate() + dt.timedelta(days=3),
                             authority="", severity="huge", violation="", penalty="", sector="toys")
    assert set(exc.value.message_dict) == {"decision_number", "decision_date", "authority", "severity",
                                           "violation", "penalty", "sector"}
    register(ent)
    with pytest.raises(ValidationError) as exc:
        register(ent)
    assert "already registered" in exc.value.message_dict["decision_number"][0]
    assert PenaltyPublication.objects.filter(enterprise=ent).count() == 1


def test_every_step_is_audited(enterprise_factory):
    ent = enterprise_factory()
    pub = register(ent)
    svc.publish_penalty(pub, D(2025, 3, 10))
    entries = AuditEntry.objects.filter(object_type="credit.penaltypublication", object_id=str(pub.pk))
    assert entries.count() == 2
    assert entries.order_by("seq").last().postchange["published_on"] == "2025-03-10"


# --------------------------------------------------------------------------- staff pages


@pytest.fixture
def officers(make_user):
    from zhijian.core import scope as S

    return {"suzhou": make_user(S.ROLE_OFFICER, "320500"), "nanjing": make_user(S.ROLE_OFFICER, "320100"),
            "inspector": make_user(S.ROLE_INSPECTOR, "320500")}


def client(user):
    from django.test import Client

    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_officer_registers_publishes_and_revokes_through_the_pages(officers, enterprise_factory):
    ent = enterprise_factory("320505")
    c = client(officers["suzhou"])
    assert c.get("/credit/penalties/add/").status_code == 200
    data = {"enterprise": ent.uscc, "decision_number": "苏市监罚〔2025〕9号", "decision_date": "2025-03-03",
            "authority": "苏州市市场监督管理局", "severity": "ordinary", "sector": "general",
            "violation": "标签不合格", "penalty": "罚款", "legal_basis": ""}
    bad = c.post("/credit/penalties/add/", {**data, "decision_date": ""})
    assert bad.status_code == 200 and not PenaltyPublication.objects.exists()
    response = c.post("/credit/penalties/add/", data)
    pub = PenaltyPublication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/credit/penalties/{pub.pk}/"
    page = c.get(response["Location"]).content.decode()
    assert 'id="step-publish"' in page and 'id="step-withdraw"' not in page
    c.post(f"/credit/penalties/{pub.pk}/publish/", {"publish-on": "2025-03-10"})
    pub.refresh_from_db()
    assert pub.published_on == D(2025, 3, 10) and pub.publish_until == D(2028, 3, 10)
    again = c.post(f"/credit/penalties/{pub.pk}/publish/", {"publish-on": "2025-03-11"}, follow=True)
    assert "Already published on" in again.content.decode()
    c.post(f"/credit/penalties/{pub.pk}/revoke/", {"revoke-on": "2025-04-01"})
    c.post(f"/credit/penalties/{pub.pk}/withdraw/", {"withdraw-on": "2025-04-02"})
    pub.refresh_from_db()
    assert (pub.revoked_on, pub.withdrawn_on, pub.withdrawal_reason) == (D(2025, 4, 1), D(2025, 4, 2), "revoked")
    listing = c.get("/credit/penalties/", {"state": "ended"}).content.decode()
    assert "苏市监罚〔2025〕9号" in listing


def test_pages_are_scoped(officers, enterprise_factory):
    ent = enterprise_factory("320505")
    pub = register(ent)
    nanjing = client(officers["nanjing"])
    assert nanjing.get(f"/credit/penalties/{pub.pk}/").status_code == 404
    assert nanjing.post(f"/credit/penalties/{pub.pk}/publish/", {"publish-on": "2025-03-10"}).status_code == 404
    assert "苏市监罚" not in nanjing.get("/credit/penalties/").content.decode()
    # an enterprise out of the officer's region is not a valid choice
    response = nanjing.post("/credit/penalties/add/", {
        "enterprise": ent.uscc, "decision_number": "宁罚1", "decision_date": "2025-03-03", "authority": "x",
        "severity": "minor", "sector": "general", "violation": "x", "penalty": "x"})
    assert response.status_code == 200 and PenaltyPublication.objects.count() == 1
    # inspectors may not write
    assert client(officers["inspector"]).post(f"/credit/penalties/{pub.pk}/publish/",
                                              {"publish-on": "2025-03-10"}).status_code == 403
    pub.refresh_from_db()
    assert pub.published_on is None
    # the public never sees an unpublished penalty, even through the staff list
    from django.test import Client

    assert "苏市监罚" not in Client().get("/credit/penalties/").content.decode()


def test_listing_pages_enter_and_remove(officers, enterprise_factory):
    ent = enterprise_factory("320505")
    c = client(officers["suzhou"])
    response = c.post("/credit/listings/add/", {"enterprise": ent.uscc, "kind": "serious_violation",
                                                "start": "2025-05-06", "reason": "吊销许可证", "legal_basis": ""})
    assert response.status_code == 200 and "Give the legal basis" in response.content.decode()
    response = c.post("/credit/listings/add/", {"enterprise": ent.uscc, "kind": "serious_violation",
                                                "start": "2025-05-06", "reason": "吊销许可证",
                                                "legal_basis": "SAMR order 44 Art. 2"})
    listing = EnterpriseListing.objects.get()
    assert response.status_code == 302 and listing.planned_end == D(2028, 5, 6)
    assert 'data-flag="blacklisted"' in c.get("/registry/enterprises/", {"q": ent.uscc}).content.decode()
    response = c.post(f"/credit/listings/{listing.pk}/remove/", {"end": "2025-09-01", "removal": "early_exit",
                                                                 "removal_note": ""})
    assert response.status_code == 200 and "Give the reason" in response.content.decode()
    c.post(f"/credit/listings/{listing.pk}/remove/", {"end": "2025-09-01", "removal": "early_exit",
                                                      "removal_note": "复议撤销"})
    listing.refresh_from_db()
    assert (listing.end, listing.removal) == (D(2025, 9, 1), "early_exit")
    assert client(officers["nanjing"]).get(f"/credit/listings/{listing.pk}/remove/").status_code == 404


def test_list_pages_cost_the_same_for_1_or_many_rows(officers, enterprise_factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client(officers["suzhou"])

    def add_rows(n):
        for _ in range(n):
            ent = enterprise_factory("320505")
            pub = register(ent, f"罚{ent.pk}", severity="heavy", decided=D(2024, 3, 4))
            svc.publish_penalty(pub, D(2024, 3, 10))
            listing = EnterpriseListing.objects.get(enterprise=ent)
            svc.apply_for_repair(ent, listing, "已整改", True, on=D(2025, 1, 6))

    counts = []
    for n in (1, 4):
        add_rows(n)
        row = []
        for url in ("/credit/listings/", "/credit/penalties/", "/credit/repairs/"):
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            row.append(len(ctx))
        counts.append(row)
    assert counts[0] == counts[1]


def test_admin_shows_publications_read_only(make_user, enterprise_factory):
    from django.contrib.auth.models import User
    from django.test import Client

    pub = register(enterprise_factory("320505"))
    root = User.objects.create_superuser("root-h1", "root@example.org", "pw")
    c = Client()
    c.force_login(root)
    assert pub.decision_number in c.get("/admin/credit/penaltypublication/").content.decode()
    assert c.get("/admin/credit/repairapplication/").status_code == 200
    page = c.get(f"/admin/credit/penaltypublication/{pub.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
