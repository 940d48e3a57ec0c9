"""The complaints API: the declarative scoped tests, intake, masking and the handling steps."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from zhijian.complaints import services as svc
from zhijian.complaints.models import Case, Complainant
from zhijian.core import scope as S
from zhijian.core.testing.api import APIViewTestCases, api_client_for, snapshot, token_client_for
from zhijian.registry.tests.factories import make_enterprise

from .test_views import ID_NUMBER, KUNSHAN, NAME, NANJING, PHONE, SUZHOU, XUANWU, intake_data, make_case

NS = "complaints-api"


def url(name, *args):
    return reverse(f"{NS}:{name}", args=args)


class TestCaseAPI(APIViewTestCases.ScopedAPITestCase):
    """Read for staff of the region, intake for officers, no PUT / PATCH / DELETE (steps instead)."""

    model = Case
    namespace = NS
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies have no access to complaints (Art. 33)
    max_queries = 12

    def make_in_scope(self, n):
        return make_case(KUNSHAN, respondent_name=f"昆山某店{n}")

    def make_out_of_scope(self, n):
        return make_case(XUANWU)

    def create_data(self):
        data = intake_data(division=KUNSHAN)
        data.pop("received_on")
        return data

    def foreign_create_data(self):
        return {**self.create_data(), "division": XUANWU}

    def update_data(self):
        return {"respondent_name": "改名"}

    def _refused(self, response):
        assert response.status_code in (403, 405), response.content[:300]

    def test_create(self):
        before = Case.objects.count()
        response = self.client.post(self.list_url(), self.create_data(), format="json")
        assert response.status_code == 201, response.content[:1000]
        body = response.json()
        case = Case.objects.get(pk=body["id"])
        assert Case.objects.count() == before + 1 and case.division_id == KUNSHAN
        assert body["ticket"] == case.ticket and svc.find_by_ticket(case.ticket, body["verification_code"])
        assert body["complainant_phone"] == PHONE and not body["personal_masked"]
        assert Complainant.objects.get(case=case).id_number == ID_NUMBER
        self.assert_audited(case.pk, "create", self.user)
        # the code is given once: the case's own page does not carry it
        assert "verification_code" not in self.client.get(self.detail_url(case)).json()

    def test_create_errors_name_the_fields(self):
        data = {**self.create_data(), "complainant_phone": "", "respondent_uscc": "123"}
        response = self.client.post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert {"complainant_phone", "respondent_uscc"} <= set(response.json())
        assert not Case.objects.exists()

    def test_update(self):
        obj = self.make_in_scope(0)
        before = snapshot(obj)
        self._refused(self.client.patch(self.detail_url(obj), self.update_data(), format="json"))
        self._refused(self.client.put(self.detail_url(obj), self.update_data(), format="json"))
        assert snapshot(obj) == before

    def test_delete(self):
        obj = self.make_in_scope(0)
        self._refused(self.client.delete(self.detail_url(obj)))
        assert snapshot(obj) is not None

    def test_update_without_permission(self):
        self.test_update()

    def test_delete_without_permission(self):
        self.test_delete()

    def test_update_out_of_scope(self):
        other = self.make_out_of_scope(0)
        before = snapshot(other)
        self._refused(self.client.patch(self.detail_url(other), self.update_data(), format="json"))
        assert snapshot(other) == before

    def test_delete_out_of_scope(self):
        other = self.make_out_of_scope(0)
        self._refused(self.client.delete(self.detail_url(other)))
        assert snapshot(other) is not None

    def test_move_out_of_scope(self):
        obj = self.make_in_scope(0)
        before = snapshot(obj)
        self._refused(self.client.put(self.detail_url(obj), self.foreign_create_data(), format="json"))
        assert snapshot(obj) == before

    # ---- masking -------------------------------------------------------------------
    def test_list_masks_detail_clear_only_for_the_handling_scope(self):
        case = self.make_in_scope(0)
        rows = self.client.get(self.list_url()).json()["results"]
        assert rows[0]["complainant_name"] == "王**" and rows[0]["complainant_phone"] == "139****5678"
        assert PHONE not in str(rows) and ID_NUMBER not in str(rows) and NAME not in str(rows)
        detail = self.client.get(self.detail_url(case)).json()
        assert detail["complainant_phone"] == PHONE and detail["complainant_id_number"] == ID_NUMBER
        assert PHONE in detail["facts"]
        inspector = api_client_for(self.make_user(S.ROLE_INSPECTOR, KUNSHAN))
        body = inspector.get(self.detail_url(case)).json()
        assert body["personal_masked"] and PHONE not in str(body) and ID_NUMBER not in str(body)
        assert body["complainant_id_number"] == "3201**********1234"

    def test_inspector_reads_but_cannot_create(self):
        inspector = api_client_for(self.make_user(S.ROLE_INSPECTOR, KUNSHAN))
        assert inspector.get(self.list_url()).status_code == 200
        assert inspector.post(self.list_url(), self.create_data(), format="json").status_code == 403
        assert not Case.objects.exists()

    def test_enterprise_and_agency_are_refused(self):
        self.make_in_scope(0)
        ent = api_client_for(self.make_user(S.ROLE_ENTERPRISE, enterprise=make_enterprise(KUNSHAN)))
        assert ent.get(self.list_url()).status_code == 403
        agency = token_client_for(self.make_user(S.ROLE_AGENCY, "320000"))
        assert agency.get(self.list_url()).status_code == 403

    def test_filters(self):
        a = self.make_in_scope(0)
        b = make_case(KUNSHAN, kind="report", respondent_name="苏州某食品店")
        ids = {r["id"] for r in self.client.get(self.list_url(), {"kind": "report"}).json()["results"]}
        assert ids == {b.pk}
        ids = {r["id"] for r in self.client.get(self.list_url(), {"q": a.ticket}).json()["results"]}
        assert ids == {a.pk}
        assert self.client.get(self.list_url(), {"due": "nonsense"}).status_code == 400


# --------------------------------------------------------------------------- steps


@pytest.fixture
def officer(make_user):
    cache.clear()
    return make_user(S.ROLE_OFFICER, SUZHOU)


@pytest.mark.django_db
def test_handling_steps_through_the_api(officer, make_user):
    case = make_case(KUNSHAN)
    client = api_client_for(officer)
    names = {s["name"] for s in client.get(url("case-steps", case.pk)).json()}
    assert {"accept", "reject", "transfer", "labels"} <= names
    # field errors name the field; state errors are 400; unknown steps 404
    response = client.post(url("case-step", case.pk, "reject"), {"note": "x"}, format="json")
    assert response.status_code == 400 and "rejection_reason" in response.json()
    response = client.post(url("case-step", case.pk, "mediate"), {"method": "phone", "mediator": "李",
                                                                   "summary": "x"}, format="json")
    assert response.status_code == 400
    assert client.post(url("case-step", case.pk, "no_such_step"), {}, format="json").status_code == 404
    response = client.post(url("case-step", case.pk, "accept"), {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert response.json()["mediation_due"]
    response = client.post(url("case-step", case.pk, "mediate"),
                           {"method": "phone", "mediator": "李调解", "summary": "双方同意退款"}, format="json")
    assert response.status_code == 200
    response = client.post(url("case-step", case.pk, "close_agreement"),
                           {"amount_refunded": "899.00", "upheld": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed" and body["outcome"] == "agreement" and body["amount_refunded"] == "899.00"
    assert list(case.events.values_list("type", flat=True))[-3:] == ["accepted", "mediated", "closed"]


@pytest.mark.django_db
def test_steps_refused_outside_the_change_scope(officer, make_user):
    case = make_case(KUNSHAN)
    nanjing = api_client_for(make_user(S.ROLE_OFFICER, NANJING))
    assert nanjing.post(url("case-step", case.pk, "accept"), {}, format="json").status_code == 404
    inspector = api_client_for(make_user(S.ROLE_INSPECTOR, KUNSHAN))
    assert inspector.get(url("case-steps", case.pk)).json() == []
    assert inspector.post(url("case-step", case.pk, "accept"), {}, format="json").status_code == 403
    token = token_client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    assert token.post(url("case-step", case.pk, "accept"), {}, format="json").status_code == 403
    assert api_client_for(None).post(url("case-step", case.pk, "accept"), {}, format="json").status_code in (401,
                                                                                                              403)
    case.refresh_from_db()
    assert case.status == Case.Status.RECEIVED
