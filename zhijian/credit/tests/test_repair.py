"""Credit repair: the enterprise applies after the waiting period, an officer in scope decides,
approval withdraws the publication or removes the listing; all audited (DESIGN §6.3)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.credit import services_listing as svc
from zhijian.credit.models import EnterpriseListing, RepairApplication
from zhijian.credit.publication import is_blacklisted, published_penalties

D = dt.date


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(make_user, enterprise_factory):
    ent = enterprise_factory("320505", name="苏州修复有限公司")
    other = enterprise_factory("320505", name="苏州旁人有限公司")
    return {"ent": ent, "other": other,
            "user": make_user(S.ROLE_ENTERPRISE, enterprise=ent),
            "other_user": make_user(S.ROLE_ENTERPRISE, enterprise=other),
            "suzhou": make_user(S.ROLE_OFFICER, "320500"),
            "kunshan": make_user(S.ROLE_OFFICER, "320583"),
            "nanjing": make_user(S.ROLE_OFFICER, "320100"),
            "inspector": make_user(S.ROLE_INSPECTOR, "320500")}


def published(ent, number="罚1", severity="ordinary", sector="general", on=D(2025, 1, 10)):
    pub = svc.register_penalty(ent, decision_number=number, decision_date=on - dt.timedelta(days=7),
                               authority="苏州市市场监督管理局", severity=severity, sector=sector,
                               violation="标签不合格", penalty="罚款1万元")
    return svc.publish_penalty(pub, on)


def apply(world, target, on, **kw):
    args = {"statement": "已缴纳罚款并完成整改", "commitment": True, **kw}
    return svc.apply_for_repair(world["user"], target, args["statement"], args["commitment"], on=on)


def test_refused_before_6_months_with_the_earliest_date(world):
    pub = published(world["ent"])
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2025, 7, 9))
    assert "from 2025-07-10" in exc.value.message_dict["applied_on"][0]
    application = apply(world, pub, D(2025, 7, 10))
    assert (application.status, application.penalty_id, application.enterprise_id) == (
        "submitted", pub.pk, world["ent"].pk)


def test_food_drugs_special_equipment_wait_12_months(world):
    pub = published(world["ent"], sector="food")
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2025, 12, 1))
    assert "from 2026-01-10" in exc.value.message_dict["applied_on"][0]
    assert apply(world, pub, D(2026, 1, 10)).status == "submitted"


def test_heavy_penalties_cannot_be_withdrawn_early_but_the_listing_can_be_repaired(world):
    pub = published(world["ent"], severity="heavy")
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2026, 1, 10))
    assert "heavy penalty cannot be withdrawn" in exc.value.message_dict["penalty"][0]
    listing = EnterpriseListing.objects.get(enterprise=world["ent"])
    application = apply(world, listing, D(2025, 9, 1))  # listed on the decision date 2025-01-03
    svc.review_repair(application, world["suzhou"], True, "已履行义务、消除影响", on=D(2025, 9, 15))
    listing.refresh_from_db()
    assert (listing.end, listing.removal) == (D(2025, 9, 15), "repaired")
    assert "已履行义务" in listing.removal_note
    assert not is_blacklisted(world["ent"].pk, D(2025, 9, 15))
    pub.refresh_from_db()
    assert pub.withdrawn_on is None  # the heavy penalty itself stays published


def test_not_while_listed_and_no_duplicate_open_application(world):
    pub = published(world["ent"])
    abnormal = svc.enter_listing(world["ent"], "abnormal_operation", D(2025, 2, 1), "未按时公示年报")
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2025, 8, 1))
    assert "Art. 14 (4)" in exc.value.message_dict["penalty"][0]
    with pytest.raises(ValidationError) as exc:
        apply(world, abnormal, D(2025, 8, 1))
    assert "fulfilling its obligations" in exc.value.message_dict["listing"][0]
    svc.remove_listing(abnormal, D(2025, 7, 1), "early_exit", "已补报")
    apply(world, pub, D(2025, 8, 1))
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2025, 8, 2))
    assert "already awaiting review" in exc.value.message_dict["penalty"][0]
    assert RepairApplication.objects.count() == 1


def test_statement_and_commitment_are_required_and_only_the_owner_applies(world):
    pub = published(world["ent"])
    with pytest.raises(ValidationError) as exc:
        apply(world, pub, D(2025, 8, 1), statement=" ", commitment=False)
    assert set(exc.value.message_dict) == {"statement", "commitment"}
    with pytest.raises(PermissionDenied):
        svc.apply_for_repair(world["other_user"], pub, "x", True, on=D(2025, 8, 1))
    with pytest.raises(PermissionDenied):
        svc.apply_for_repair(world["suzhou"], pub, "x", True, on=D(2025, 8, 1))
    assert not RepairApplication.objects.exists()


def test_approval_withdraws_the_publication_and_is_audited(world):
    pub = published(world["ent"])
    application = apply(world, pub, D(2025, 8, 1))
    with pytest.raises(ValidationError) as exc:
        svc.review_repair(application, world["suzhou"], True, " ", on=D(2025, 8, 5))
    assert "decision_reason" in exc.value.message_dict
    assert published_penalties(D(2025, 8, 5)).filter(pk=pub.pk).exists()
    svc.review_repair(application, world["suzhou"], True, "材料齐全，符合提前停止公示条件", on=D(2025, 8, 5))
    application.refresh_from_db(), pub.refresh_from_db()
    assert (application.status, application.reviewed_by, application.reviewed_on) == (
        "approved", world["suzhou"], D(2025, 8, 5))
    assert (pub.withdrawn_on, pub.withdrawal_reason) == (D(2025, 8, 5), "repaired")
    assert not published_penalties(D(2025, 8, 5)).filter(pk=pub.pk).exists()
    decision = AuditEntry.objects.filter(object_type="credit.repairapplication",
                                         object_id=str(application.pk)).order_by("seq").last()
    assert decision.postchange["status"] == "approved"
    assert decision.postchange["decision_reason"] == "材料齐全，符合提前停止公示条件"
    withdrawal = AuditEntry.objects.filter(object_type="credit.penaltypublication",
                                           object_id=str(pub.pk)).order_by("seq").last()
    assert withdrawal.postchange["withdrawal_reason"] == "repaired"
    with pytest.raises(ValidationError) as exc:
        svc.review_repair(application, world["suzhou"], False, "again", on=D(2025, 8, 6))
    assert "already decided" in exc.value.message_dict["status"][0]


def test_rejection_leaves_the_record_and_allows_a_new_application(world):
    pub = published(world["ent"])
    application = apply(world, pub, D(2025, 8, 1))
    svc.review_repair(application, world["suzhou"], False, "未提供缴款凭证", on=D(2025, 8, 5))
    pub.refresh_from_db()
    assert pub.withdrawn_on is None and RepairApplication.objects.get().status == "rejected"
    assert apply(world, pub, D(2025, 8, 6)).status == "submitted"


def test_only_officers_in_scope_decide(world):
    pub = published(world["ent"])
    application = apply(world, pub, D(2025, 8, 1))
    for who in ("nanjing", "kunshan", "inspector", "user"):
        with pytest.raises(PermissionDenied):
            svc.review_repair(application, world[who], True, "ok", on=D(2025, 8, 5))
    application.refresh_from_db()
    assert application.status == "submitted"


def test_pages_apply_and_review(world):
    """The enterprise applies through its page, the officer decides through the application page."""
    today = timezone.localdate()
    pub = published(world["ent"], on=today - dt.timedelta(days=200))
    own = Client()
    own.force_login(world["user"])
    page = own.get("/credit/mine/records/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/credit/repairs/apply/?penalty={pub.pk}" in page
    assert own.get("/credit/repairs/apply/", {"penalty": pub.pk}).status_code == 200
    response = own.post("/credit/repairs/apply/", {"penalty": pub.pk, "statement": "", "commitment": ""},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Sign the credit commitment." in response.content.decode()
    response = own.post("/credit/repairs/apply/", {"penalty": pub.pk, "statement": "已整改", "commitment": "on"})
    application = RepairApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/credit/repairs/{application.pk}/"
    # another enterprise cannot reach this record
    other = Client()
    other.force_login(world["other_user"])
    assert other.get("/credit/repairs/apply/", {"penalty": pub.pk}).status_code == 404
    assert other.get(f"/credit/repairs/{application.pk}/").status_code == 404
    # the enterprise sees no review form and cannot decide
    assert 'id="repair-review"' not in own.get(f"/credit/repairs/{application.pk}/").content.decode()
    assert own.post(f"/credit/repairs/{application.pk}/review/",
                    {"decision": "approve", "reason": "x"}).status_code == 403
    nanjing = Client()
    nanjing.force_login(world["nanjing"])
    assert nanjing.post(f"/credit/repairs/{application.pk}/review/",
                        {"decision": "approve", "reason": "x"}).status_code == 404
    officer = Client()
    officer.force_login(world["suzhou"])
    assert 'id="repair-review"' in officer.get(f"/credit/repairs/{application.pk}/").content.decode()
    officer.post(f"/credit/repairs/{application.pk}/review/", {"decision": "approve", "reason": "符合条件"})
    application.refresh_from_db(), pub.refresh_from_db()
    assert application.status == "approved" and pub.withdrawal_reason == "repaired"


def test_evidence_is_uploaded_and_readable_in_scope_only(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    pub = published(world["ent"], on=timezone.localdate() - dt.timedelta(days=200))
    own = Client()
    own.force_login(world["user"])
    bad = own.post("/credit/repairs/apply/", {"penalty": pub.pk, "statement": "已整改", "commitment": "on",
                                              "evidence": SimpleUploadedFile("x.exe", b"MZ")},
                   HTTP_ACCEPT_LANGUAGE="en")
    assert "Upload a PDF, OFD, JPEG or PNG file." in bad.content.decode()
    assert not RepairApplication.objects.exists()
    own.post("/credit/repairs/apply/", {"penalty": pub.pk, "statement": "已整改", "commitment": "on",
                                        "evidence": SimpleUploadedFile("缴款凭证.pdf", b"%PDF-1.4 receipt")})
    application = RepairApplication.objects.get()
    url = f"/credit/repairs/{application.pk}/evidence/"
    officer = Client()
    officer.force_login(world["suzhou"])
    response = officer.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 receipt"
    for who in ("nanjing", "other_user"):
        c = Client()
        c.force_login(world[who])
        assert c.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the login page


def test_my_credit_offers_repair_only_when_the_rules_allow(world):
    today = timezone.localdate()
    recent = published(world["ent"], "罚近", on=today - dt.timedelta(days=30))
    heavy = published(world["ent"], "罚重", severity="heavy", on=today - dt.timedelta(days=300))
    listing = EnterpriseListing.objects.get(enterprise=world["ent"])
    own = Client()
    own.force_login(world["user"])
    html = own.get("/credit/mine/records/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"?penalty={recent.pk}" not in html and f"?penalty={heavy.pk}" not in html
    assert "Repair possible from" in html  # the recent penalty, with its date
    assert f"?listing={listing.pk}" in html  # the listing (300 days old) may be repaired
    # the apply page refuses what the list does not offer, with the reason
    response = own.post("/credit/repairs/apply/", {"penalty": heavy.pk, "statement": "x", "commitment": "on"},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert "heavy penalty cannot be withdrawn" in response.content.decode()
    assert not RepairApplication.objects.exists()
