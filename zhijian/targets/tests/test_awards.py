"""Awards, brands and demonstration zones (issue 12 §3): the eligibility check, the steps in order,
the one-off provincial reward and its payment, scope per role, the computed counts against hand
counts, and the pages and API (declarative checks plus one application walked through)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from zhijian.core import scope as S
from zhijian.core.testing.api import APIViewTestCases, api_client_for
from zhijian.core.testing.views import ViewTestCases
from zhijian.credit.models import EnterpriseListing
from zhijian.registry.tests.factories import make_enterprise
from zhijian.targets import award_services as svc
from zhijian.targets import services
from zhijian.targets.models import AwardApplication, AwardEvent, Brand, DataElement, DemonstrationZone, TargetSet

from . import world

D = dt.date
ON = D(2026, 6, 10)
SUZHOU, HUQIU, KUNSHAN, XUANWU = "320500", "320505", "320583", "320102"


@pytest.fixture
def users(make_user):
    return {"province": make_user(S.ROLE_PROVINCE_ADMIN, "320000"), "suzhou": make_user(S.ROLE_OFFICER, SUZHOU),
            "kunshan": make_user(S.ROLE_OFFICER, KUNSHAN)}


def application(division=HUQIU, kind="jiangsu_quality_award", year=2026, status="draft", enterprise=None, **kw):
    e = enterprise or make_enterprise(division=division)
    return AwardApplication.objects.create(enterprise=e, kind=kind, year=year, title=f"{e.name}申报",
                                           documents="自评报告\n证明材料", status=status, **kw)


def incident(enterprise, occurred: dt.date, level="larger", status="confirmed", number=None):
    from zhijian.risk.models import Incident, IncidentLevel

    at = dt.datetime(occurred.year, occurred.month, occurred.day, 9, tzinfo=timezone.get_current_timezone())
    return Incident.objects.create(number=number or f"AW{enterprise.pk}{occurred:%Y%m%d}", enterprise=enterprise,
                                   category=world.categories()["industrial"], product_name="测试产品",
                                   occurred_at=at, division_id=enterprise.division_id, place="测试路",
                                   description="测试事故", channel="officer", reported_at=at,
                                   level=IncidentLevel.objects.get(code=level), last_report_at=at, status=status)


def through_review(app, officer, province):
    svc.submit(app, officer)
    svc.check_eligibility(app, officer, on=ON)
    svc.start_review(app, province)
    return app


# --------------------------------------------------------------------------- eligibility


def test_a_blacklisted_enterprise_is_ineligible_with_the_reason(users):
    app = application()
    EnterpriseListing.objects.create(enterprise=app.enterprise, kind="serious_violation", start=D(2025, 11, 3),
                                     reason="重大违法")
    svc.submit(app, users["suzhou"])
    app = svc.check_eligibility(app, users["suzhou"], on=ON)
    assert app.status == "ineligible" and len(app.ineligible_reasons) == 1
    assert "serious-violation list" in app.ineligible_reasons[0] and app.enterprise.uscc in app.ineligible_reasons[0]
    assert app.events.last().type == AwardEvent.Type.FOUND_INELIGIBLE
    with pytest.raises(ValidationError, match="it must be eligibility checked"):
        svc.start_review(app, users["province"])


def test_incidents_within_the_window_make_it_ineligible_older_or_minor_ones_do_not(users):
    app = application()
    e = app.enterprise
    incident(e, D(2023, 6, 9), number="OLD")                   # a day before the 3-year window
    incident(e, D(2025, 1, 5), level="general", number="MINOR")
    incident(e, D(2025, 2, 5), level="major", status="rejected", number="NOTQ")
    svc.submit(app, users["suzhou"])
    assert svc.check_eligibility(app, users["suzhou"], on=ON).status == "eligible"
    assert AwardApplication.objects.get(pk=app.pk).ineligible_reasons == []
    recent = incident(e, D(2024, 8, 1), level="larger", number="RECENT")
    other = application(enterprise=e, kind="china_quality_award")
    svc.submit(other, users["suzhou"])
    other = svc.check_eligibility(other, users["suzhou"], on=ON)
    assert other.status == "ineligible"
    assert other.ineligible_reasons == [
        f"Major quality incident {recent.number} of level larger on 2024-08-01, within the last 3 years "
        f"(since 2023-06-10)."]
    # a shorter window (a parameter): eligible
    assert not svc.eligibility_reasons(e, 2026, on=ON, incident_years=1)
    # both checks failing: both reasons
    EnterpriseListing.objects.create(enterprise=e, kind="serious_violation", start=D(2026, 1, 3), reason="x")
    assert len(svc.check_eligibility(other, users["suzhou"], on=ON).ineligible_reasons) == 2


# --------------------------------------------------------------------------- steps, reward, payment


@pytest.mark.parametrize("kind,amount", [("china_quality_award", 3_000_000), ("china_quality_award_nomination",
                                                                             2_000_000),
                                         ("jiangsu_quality_award", 1_000_000), ("city_quality_award", None)])
def test_the_reward_per_kind(users, kind, amount):
    app = through_review(application(kind=kind), users["suzhou"], users["province"])
    app = svc.decide(app, users["province"], grant=True, on=D(2026, 6, 20), number="苏政发〔2026〕1号",
                     payment_due=D(2026, 9, 30))
    assert app.status == "granted"
    assert app.reward_amount == (Decimal(amount) if amount else None)
    if amount:
        assert "三（三）" in app.reward_note and app.payment_due == D(2026, 9, 30)


def test_steps_out_of_order_are_refused_with_the_state_they_need(users):
    app = application()
    officer, province = users["suzhou"], users["province"]
    with pytest.raises(ValidationError, match="application is draft; it must be submitted or ineligible"):
        svc.check_eligibility(app, officer, on=ON)
    with pytest.raises(ValidationError, match="it must be under review"):
        svc.decide(app, province, grant=True, on=ON, number="1")
    with pytest.raises(ValidationError, match="it must be granted"):
        svc.record_payment(app, province, paid_on=ON, voucher="V1")
    svc.submit(app, officer)
    with pytest.raises(ValidationError, match="it must be draft"):
        svc.submit(app, officer)
    svc.check_eligibility(app, officer, on=ON)
    with pytest.raises(PermissionDenied, match="decided by the province"):
        svc.start_review(app, officer)                          # a provincial award
    svc.start_review(app, province)
    with pytest.raises(ValidationError) as exc:
        svc.decide(app, province, grant=False, on=ON, number="1")
    assert "reason for the rejection" in str(exc.value)
    assert AwardApplication.objects.get(pk=app.pk).status == "under_review"   # nothing half-written
    svc.decide(app, province, grant=False, on=ON, number="1", note="材料不足")
    assert [e.type for e in app.events.all()] == ["submitted", "eligible", "review_started", "rejected"]


def test_the_one_off_reward_is_paid_once(users):
    officer, province = users["suzhou"], users["province"]
    first = through_review(application(year=2024), officer, province)
    svc.decide(first, province, grant=True, on=D(2024, 12, 1), number="A1")
    with pytest.raises(PermissionDenied):
        svc.record_payment(first, officer, paid_on=D(2025, 1, 5), voucher="V1")
    with pytest.raises(ValidationError, match="cannot precede"):
        svc.record_payment(first, province, paid_on=D(2024, 11, 5), voucher="V1")
    first = svc.record_payment(first, province, paid_on=D(2025, 1, 5), voucher="V1")
    assert first.paid_on == D(2025, 1, 5) and first.events.last().type == "paid"
    with pytest.raises(ValidationError, match="was paid on 2025-01-05"):
        svc.record_payment(first, province, paid_on=D(2025, 1, 6), voucher="V2")
    # the same award again for the same enterprise: granted, but no second reward
    again = through_review(application(enterprise=first.enterprise, year=2026), officer, province)
    again = svc.decide(again, province, grant=True, on=D(2026, 6, 20), number="A2")
    assert again.reward_amount == 0 and f"application {first.pk}" in again.reward_note
    with pytest.raises(ValidationError, match="no provincial reward"):
        svc.record_payment(again, province, paid_on=D(2026, 7, 1), voucher="V3")
    # and the database refuses a second payment however it is written
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AwardApplication.objects.filter(pk=again.pk).update(paid_on=D(2026, 7, 1))


def test_city_awards_are_decided_by_the_city_and_scope_holds(users, make_user):
    app = application(division=KUNSHAN, kind="city_quality_award")
    nanjing = make_user(S.ROLE_OFFICER, "320100")
    with pytest.raises(PermissionDenied):
        svc.submit(app, nanjing)                                 # outside its region
    through_review(app, users["kunshan"], users["suzhou"])
    app = svc.decide(app, users["suzhou"], grant=True, on=ON, number="苏州质奖1")
    assert app.status == "granted" and app.reward_amount is None
    # the enterprise user: its own applications only; it submits, it does not check
    ent_user = make_user(S.ROLE_ENTERPRISE, enterprise=app.enterprise)
    mine = application(enterprise=app.enterprise, kind="jiangsu_quality_award")
    other = application(division=KUNSHAN)
    visible = set(AwardApplication.objects.restrict(ent_user).values_list("pk", flat=True))
    assert visible == {app.pk, mine.pk}
    svc.submit(mine, ent_user)
    with pytest.raises(PermissionDenied):
        svc.check_eligibility(mine, ent_user, on=ON)
    with pytest.raises(PermissionDenied):
        svc.submit(other, ent_user)
    assert set(AwardApplication.objects.restrict(users["kunshan"]).values_list("pk", flat=True)) >= {
        app.pk, mine.pk, other.pk}
    assert not AwardApplication.objects.restrict(nanjing).exists()


# --------------------------------------------------------------------------- counted toward the targets


def test_computed_counts_equal_hand_counts(db):
    world.build()
    services.compute_values("202601", "202612")

    def val(code, division, period):
        return services.element_value(DataElement.objects.get(code=code), services.division_prefix(division),
                                      period)[0]

    # granted applications by decision month (the draft and the rejected one do not count)
    assert val("jiangsu_quality_award", SUZHOU, "2026") == 2
    assert val("jiangsu_quality_award", SUZHOU, "2026Q1") == 2
    assert val("jiangsu_quality_award", "320100", "2026") == 0
    assert val("china_quality_award", "320000", "2026") == 1
    assert val("china_quality_award", "320000", "2026Q1") == 0
    assert val("awards_granted_city_quality_award", KUNSHAN, "202602") == 1
    # brands in force: a stock, the latest month of the period
    assert val("well_known_trademarks", SUZHOU, "202603") == 1
    assert val("well_known_trademarks", SUZHOU, "202604") == 2
    assert val("well_known_trademarks", SUZHOU, "2026Q1") == 1
    assert val("well_known_trademarks", "320000", "2026") == 2
    assert val("jiangsu_famous_brands", KUNSHAN, "202605") == 1
    assert val("jiangsu_famous_brands", KUNSHAN, "202606") == 0                # validity ended in May
    assert val("jiangsu_famous_brands", KUNSHAN, "2026Q1") == 1
    assert val("brands_in_force_geographical_indication", HUQIU, "202601") == 1  # no date: from January
    assert val("brands_in_force_service_brand", XUANWU, "2026") == 1
    assert val("service_brand_enterprises", "320100", "2026") == 1             # newly recognised
    assert val("service_brand_enterprises", "320100", "2026Q1") == 1
    # approved zones by approval month (January of the year without a date); candidates do not count
    assert val("zones_approved_quality_city", SUZHOU, "2026") == 1
    assert val("zones_approved_quality_city", SUZHOU, "2026Q1") == 0
    assert val("zones_approved_quality_product_zone", KUNSHAN, "202601") == 1
    assert val("zones_approved_brand_zone", "320100", "2026") == 0
    # the seed's target counts the records (cumulative from 2016)
    rows = {r.target.indicator.code: r for r in services.progress(TargetSet.objects.get(code="seed_2020"),
                                                                  "320000", "2026", with_trend=False)}
    assert rows["jiangsu_quality_award"].value == 2 and rows["well_known_trademarks"].value == 2


# --------------------------------------------------------------------------- pages and API


class BrandViewTests(ViewTestCases.PrimaryObjectViewTestCase):
    model = Brand
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    readonly_role = S.ROLE_INSPECTOR
    max_queries = 14
    max_detail_queries = 16

    @classmethod
    def create_object(cls, in_scope=True):
        return Brand.objects.create(name=f"页面品牌{cls.__name__}{timezone.now().microsecond}",
                                    kind="jiangsu_famous_brand", division_id=KUNSHAN if in_scope else XUANWU,
                                    year=2025)

    def form_data(self):
        return {"name": "新品牌", "kind": "well_known_trademark", "division": KUNSHAN, "year": 2026,
                "recognised_on": "2026-03-02", "note": ""}

    def edit_data(self):
        return {**self.form_data(), "name": "改名品牌"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "division": XUANWU}

    def out_of_scope_edit_data(self):
        return self.out_of_scope_form_data()


class AwardApplicationViewTests(ViewTestCases.ListObjectsViewTestCase, ViewTestCases.GetObjectViewTestCase):
    model = AwardApplication
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    max_queries = 14
    max_detail_queries = 20

    @classmethod
    def create_object(cls, in_scope=True):
        return application(division=KUNSHAN if in_scope else XUANWU)


class TestDemonstrationZoneAPI(APIViewTestCases.ScopedAPITestCase):
    model = DemonstrationZone
    namespace = "targets-api"
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies have no access

    def make_in_scope(self, n):
        return DemonstrationZone.objects.create(name=f"示范区{n}", kind="quality_city", division_id=SUZHOU, year=2026)

    def make_out_of_scope(self, n):
        return DemonstrationZone.objects.create(name=f"外区{n}", kind="brand_zone", division_id=XUANWU, year=2026)

    def create_data(self):
        return {"name": "昆山示范区", "kind": "quality_product_zone", "division": KUNSHAN, "status": "approved",
                "year": 2026, "approved_on": "2026-05-04"}

    def foreign_create_data(self):
        return {**self.create_data(), "division": XUANWU}

    def update_data(self):
        return {"status": "approved", "approved_on": "2026-01-02"}

    def test_token_client_reads_but_never_writes(self):
        pytest.skip("agencies have no access to demonstration zones")


def test_an_application_through_the_pages_and_the_api(client, users, make_user):
    ent = make_enterprise(division=HUQIU)
    ent_user = make_user(S.ROLE_ENTERPRISE, enterprise=ent)
    client.force_login(ent_user)
    r = client.post(reverse("targets:awardapplication_add"), {
        "enterprise": ent.uscc, "kind": "jiangsu_quality_award", "year": 2026, "title": "卓越绩效申报",
        "documents": "自评报告", "notes": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    app = AwardApplication.objects.get(enterprise=ent)
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'id="submit-form"' in page and 'id="check-form"' not in page
    step = lambda c, name, data=None: c.post(reverse("targets:awardapplication_step", args=[app.pk, name]),  # noqa
                                             data or {})
    step(client, "submit")
    assert step(client, "check").status_code == 403                            # enterprises do not check
    client.force_login(users["suzhou"])
    assert 'id="check-form"' in client.get(app.get_absolute_url()).content.decode()
    step(client, "check", {"on": "2026-06-10"})
    assert 'id="start-review"' not in client.get(app.get_absolute_url()).content.decode()  # the province's
    client.force_login(users["kunshan"])
    assert client.get(app.get_absolute_url()).status_code == 404               # 虎丘 is not 昆山's
    api = api_client_for(users["province"])
    url = lambda name: reverse(f"targets-api:awardapplication-{name}", args=[app.pk])  # noqa
    assert api.post(url("review"), {}, format="json").json()["status"] == "under_review"
    r = api.post(url("decide"), {"grant": True, "on": "2026-06-20", "number": ""}, format="json")
    assert r.status_code == 400 and "number" in r.json()
    body = api.post(url("decide"), {"grant": True, "on": "2026-06-20", "number": "苏政发〔2026〕9号"},
                    format="json").json()
    assert body["status"] == "granted" and Decimal(body["reward_amount"]) == 1_000_000
    client.force_login(users["province"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'id="payment-form"' in page and "1000000" in page.replace(",", "")
    step(client, "pay", {"paid_on": "2026-07-01", "voucher": "PZ-001"})
    app.refresh_from_db()
    assert app.paid_on == D(2026, 7, 1) and app.voucher_number == "PZ-001"
    assert api.post(url("pay"), {"paid_on": "2026-07-02", "voucher": "PZ-2"}, format="json").status_code == 400
    from zhijian.accounts.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="targets.awardapplication", object_id=str(app.pk)).count() >= 6
