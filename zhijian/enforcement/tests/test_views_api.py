"""Enforcement pages and API: the declarative scoped checks, a case walked through the pages and
the API, the hand-off links on the source pages, and what an enterprise user may see."""
import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from zhijian.core import scope as S
from zhijian.core.testing.api import APIViewTestCases, api_client_for, snapshot
from zhijian.core.testing.views import ViewTestCases
from zhijian.credit.models import PenaltyPublication
from zhijian.enforcement.models import Case, CaseEvent, JudicialTransfer, PenaltyDecision
from zhijian.registry.tests.factories import make_enterprise

from .factories import make_case, make_decision, make_transfer

NS = "enforcement-api"
SUZHOU, KUNSHAN, XUANWU = "320500", "320583", "320102"


# --------------------------------------------------------------------------- declarative page checks


class CaseViewTests(ViewTestCases.ListObjectsViewTestCase, ViewTestCases.GetObjectViewTestCase):
    model = Case
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    max_queries = 14
    max_detail_queries = 24

    @classmethod
    def create_object(cls, in_scope=True):
        return make_case(make_enterprise(KUNSHAN if in_scope else XUANWU))


class PenaltyDecisionViewTests(ViewTestCases.ListObjectsViewTestCase, ViewTestCases.GetObjectViewTestCase):
    model = PenaltyDecision
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    max_queries = 14
    max_detail_queries = 24

    @classmethod
    def create_object(cls, in_scope=True):
        return make_decision(make_case(make_enterprise(KUNSHAN if in_scope else XUANWU)))


class JudicialTransferViewTests(ViewTestCases.ListObjectsViewTestCase, ViewTestCases.GetObjectViewTestCase):
    model = JudicialTransfer
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    max_queries = 14
    max_detail_queries = 20

    @classmethod
    def create_object(cls, in_scope=True):
        return make_transfer(make_case(make_enterprise(KUNSHAN if in_scope else XUANWU)))


# --------------------------------------------------------------------------- declarative API checks


class _ReadAPI(APIViewTestCases.ScopedAPITestCase):
    """Read for staff of the region; no PUT / PATCH / DELETE (steps instead)."""

    namespace = NS
    user_role, user_division = S.ROLE_OFFICER, SUZHOU
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies have no access to enforcement
    max_queries = 12

    def update_data(self):
        return {"title": "改名"}

    def _refused(self, response):
        assert response.status_code in (403, 405), response.content[:300]

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

    test_update_without_permission = test_update
    test_delete_without_permission = test_delete

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
        self.test_update()


class TestCaseAPI(_ReadAPI):
    model = Case
    basename = "case"

    def make_in_scope(self, n):
        return make_case(make_enterprise(KUNSHAN))

    def make_out_of_scope(self, n):
        return make_case(make_enterprise(XUANWU))

    def create_data(self):
        self.ent = getattr(self, "ent", None) or make_enterprise(KUNSHAN)
        return {"enterprise": self.ent.pk, "division": KUNSHAN, "title": "无证生产", "facts": "现场检查发现",
                "origin": "inspection", "proposed_on": "2026-03-02"}

    def foreign_create_data(self):
        return {**self.create_data(), "enterprise": make_enterprise(XUANWU).pk, "division": XUANWU}

    def test_create(self):
        response = self.client.post(self.list_url(), self.create_data(), format="json")
        assert response.status_code == 201, response.content[:1000]
        case = Case.objects.get(pk=response.json()["id"])
        assert case.status == "proposed" and case.proposed_by == self.user
        self.assert_audited(case.pk, "create", self.user)

    def test_create_errors_name_the_fields(self):
        response = self.client.post(self.list_url(), {**self.create_data(), "title": "", "origin": "recall"},
                                    format="json")
        assert response.status_code == 400 and {"title", "origin"} <= set(response.json())
        assert not Case.objects.exists()

    def test_steps_through_the_api(self, make_user):
        case = self.client.post(self.list_url(), self.create_data(), format="json").json()
        head = api_client_for(make_user(S.ROLE_OFFICER, SUZHOU))
        step = lambda client, name, body: client.post(reverse(f"{NS}:case-{name}", args=[case["id"]]), body,  # noqa
                                                      format="json")
        refused = step(self.client, "approve", {"on": "2026-03-02"})
        assert refused.status_code == 400 and "approved_by" in refused.json()
        body = step(head, "approve", {"on": "2026-03-02"}).json()
        assert body["status"] == "investigating" and body["decision_due"] == "2026-05-31"
        assert step(head, "evidence", {"kind": "nonsense"}).status_code == 400
        assert step(head, "evidence", {"kind": "document", "description": "笔录",
                                       "collected_on": "2026-03-03"}).status_code == 200
        body = step(head, "notify", {"number": "N1", "on": "2026-04-29", "kinds": ["fine"], "fine": "150000",
                                     "penalty": "拟罚款 15 万元"}).json()
        assert body["hearing_right"] and body["hearing_request_due"] == "2026-05-09"
        assert {d["key"] for d in body["deadlines"]} >= {"decision", "statement", "hearing_request"}
        late = step(head, "hearing-request", {"on": "2026-05-11"})
        assert late.status_code == 400 and "2026-05-09" in str(late.json())
        # outside the region: 404
        nanjing = api_client_for(make_user(S.ROLE_OFFICER, "320100"))
        assert step(nanjing, "drop", {"on": "2026-05-11", "reason": "x"}).status_code == 404
        # inspectors read, but take no step
        inspector = api_client_for(make_user(S.ROLE_INSPECTOR, SUZHOU))
        assert inspector.get(self.detail_url(Case.objects.get(pk=case["id"]))).status_code == 200
        assert step(inspector, "drop", {"on": "2026-05-11", "reason": "x"}).status_code == 403
        assert Case.objects.get(pk=case["id"]).status == "notified"


class TestPenaltyDecisionAPI(_ReadAPI):
    model = PenaltyDecision
    basename = "penaltydecision"

    def make_in_scope(self, n):
        return make_decision(make_case(make_enterprise(KUNSHAN)))

    def make_out_of_scope(self, n):
        return make_decision(make_case(make_enterprise(XUANWU)))

    def create_data(self):
        return {"number": "x"}

    def update_data(self):
        return {"number": "改号"}

    def _refused(self, response):
        assert response.status_code in (403, 405), response.content[:300]

    def test_create(self):
        self._refused(self.client.post(self.list_url(), self.create_data(), format="json"))

    test_create_without_permission = test_create

    def test_create_in_foreign_division(self):
        self.test_create()

    def test_enterprise_reads_its_own_decisions_only(self, make_user):
        mine = self.make_in_scope(0)
        other = make_decision(make_case(make_enterprise(KUNSHAN)))
        client = api_client_for(make_user(S.ROLE_ENTERPRISE, enterprise=mine.case.enterprise))
        ids = [row["id"] for row in client.get(self.list_url()).json()["results"]]
        assert ids == [mine.pk]
        assert client.get(self.detail_url(other)).status_code == 404
        # not the case file behind it
        assert client.get(reverse(f"{NS}:case-detail", args=[mine.case_id])).status_code == 403


class TestJudicialTransferAPI(TestPenaltyDecisionAPI):
    model = JudicialTransfer
    basename = "judicialtransfer"

    def make_in_scope(self, n):
        return make_transfer(make_case(make_enterprise(KUNSHAN)))

    def make_out_of_scope(self, n):
        return make_transfer(make_case(make_enterprise(XUANWU)))

    def update_data(self):
        return {"organ_name": "改名"}

    def test_enterprise_reads_its_own_decisions_only(self):
        pytest.skip("enterprises see no transfers")

    def test_answer_through_the_api(self):
        item = self.make_in_scope(0)
        url = reverse(f"{NS}:judicialtransfer-status", args=[item.pk])
        bad = self.client.post(url, {"status": "not_accepted", "on": "2026-03-23"}, format="json")
        assert bad.status_code == 400 and "outcome" in bad.json()
        ok = self.client.post(url, {"status": "accepted", "on": "2026-03-23"}, format="json")
        assert ok.status_code == 200 and ok.json()["status"] == "accepted"


# --------------------------------------------------------------------------- pages end to end


@pytest.fixture
def _english():
    with translation.override("en"):
        yield


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def post_step(client, case, name, data):
    return client.post(reverse("enforcement:case_step", args=[case.pk, name]),
                       {f"{name}-{k}": v for k, v in data.items()})


@pytest.mark.django_db
def test_a_spot_check_result_to_a_published_decision_through_the_pages(w, _english):
    from .test_origins_credit import make_task

    task = make_task(w["ent"])
    officer, head = client_for(w["officer"]), client_for(w["head"])
    page = officer.get(task.get_absolute_url())
    link = f"{reverse('enforcement:case_add')}?task={task.pk}"
    assert page.status_code == 200 and link.encode() in page.content
    form = officer.get(link)
    assert form.status_code == 200 and w["ent"].uscc.encode() in form.content
    response = officer.post(link, {"task": task.pk, "enterprise": w["ent"].uscc, "division": "320505",
                                   "title": "抽检不合格", "facts": "检验不合格", "origin": "spotcheck",
                                   "proposed_on": "2026-03-02"})
    assert response.status_code == 302, response.content[:3000]
    case = Case.objects.get()
    assert (case.origin_type, case.origin_id) == ("spotcheck.task", str(task.pk))
    # the task page now shows the case instead of the link
    page = officer.get(task.get_absolute_url())
    assert case.number.encode() in page.content and link.encode() not in page.content
    detail = officer.get(case.get_absolute_url())
    assert b'id="form-approve"' in detail.content and b'id="source-link"' in detail.content
    post_step(officer, case, "approve", {"on": "2026-03-02"})  # refused: the proposer
    assert Case.objects.get().status == "proposed"
    assert b"another officer" in officer.get(case.get_absolute_url()).content
    post_step(head, case, "approve", {"on": "2026-03-02"})
    post_step(head, case, "evidence", {"kind": "expert", "description": "检验报告", "collected_on": "2026-03-03"})
    post_step(head, case, "notify", {"number": "N1", "on": "2026-04-29", "kinds": "fine", "fine": "20000",
                                     "penalty": "拟罚款"})
    post_step(head, case, "statement", {"on": "2026-05-06", "text": "无异议"})
    response = post_step(head, case, "decide", {
        "number": "苏市监罚〔2026〕9号", "on": "2026-05-21", "kinds": "fine", "fine": "20000",
        "violation": "生产不合格产品", "penalty": "罚款 2 万元", "legal_basis": "产品质量法第四十九条",
        "severity": "ordinary", "sector": "general"})
    decision = PenaltyDecision.objects.get()
    assert response["Location"] == decision.get_absolute_url()
    page = head.get(decision.get_absolute_url())
    assert b"2026-06-18" in page.content and b"not published yet" in page.content
    head.post(reverse("enforcement:penaltydecision_step", args=[decision.pk, "publish"]), {"publish-on": "2026-06-01"})
    assert PenaltyPublication.objects.get().published_on == dt.date(2026, 6, 1)
    with time_machine.travel(dt.datetime(2026, 6, 20, 10, 0), tick=False):
        dash = head.get(reverse("enforcement:dashboard"))
        assert dash.status_code == 200 and decision.number.encode() in dash.content  # unpaid after 5 June
        page = head.get(decision.get_absolute_url())
        assert b'id="amount-due"' in page.content and b"29000.00" in page.content  # 15 days × 3 % of 20,000
    # the enterprise reads the decision, not the case file
    ent = client_for(w["ent_user"])
    page = ent.get(decision.get_absolute_url())
    assert page.status_code == 200 and b'id="case-link"' not in page.content and b'id="steps"' not in page.content
    assert ent.get(case.get_absolute_url()).status_code == 403
    assert set(CaseEvent.objects.filter(case=case).values_list("type", flat=True)) >= {
        "proposed", "filed", "evidence_added", "notified", "statement", "decided", "published"}


@pytest.mark.django_db
def test_hand_off_from_a_complaint_conversion_and_an_incident(w, _english):
    from django.utils import timezone

    from zhijian.complaints import services as complaints
    from zhijian.registry.models import ProductCategory
    from zhijian.risk import services as risk

    report, _code = complaints.receive(
        {"kind": "report", "channel": "phone", "complainant_name": "举报人", "complainant_phone": "13800000000",
         "respondent_name": w["ent"].name, "respondent_uscc": w["ent"].uscc, "facts": "销售不合格电热水器",
         "received_on": "2026-03-02"}, division=w["division"])
    conversion = complaints.convert(report, w["officer"], target="enforcement", reference="待立案",
                                    on=dt.date(2026, 3, 5))
    officer = client_for(w["officer"])
    link = f"{reverse('enforcement:case_add')}?conversion={conversion.pk}"
    assert link.encode() in officer.get(report.get_absolute_url()).content
    response = officer.post(link, {"conversion": conversion.pk, "enterprise": w["ent"].uscc, "division": "320505",
                                   "title": "举报线索", "facts": "核查属实", "origin": "complaint",
                                   "proposed_on": "2026-03-06"})
    assert response.status_code == 302, response.content[:2000]
    conversion.refresh_from_db()
    assert conversion.target_type == "enforcement.case"
    assert link.encode() not in officer.get(report.get_absolute_url()).content
    incident = risk.report_incident(
        w["officer"], enterprise=w["ent"], category=ProductCategory.objects.order_by("code").first(),
        product_name="电热水器", occurred_at=timezone.now() - dt.timedelta(hours=2), division=w["division"],
        place="某小区", description="漏电致人重伤", serious_injuries=1)
    link = f"{reverse('enforcement:case_add')}?incident={incident.pk}"
    assert link.encode() in officer.get(incident.get_absolute_url()).content
    # another city's officer: no link, and the form is 404
    nanjing = client_for(w["nanjing"])
    assert nanjing.get(link).status_code == 404
