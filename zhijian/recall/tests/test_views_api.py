"""Pages and API of lots, movements, cases and records: the declarative checks (permission, scope,
audit, query counts), the trace as an operator sees it, and the portal's recall notices."""
import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhijian.core import scope as S
from zhijian.core.testing.api import APIViewTestCases, api_client_for
from zhijian.core.testing.views import ViewTestCases, next_n
from zhijian.recall import services
from zhijian.recall.models import Lot, Movement, RecallCase, RecallRecord
from zhijian.registry.tests.factories import make_enterprise

from .graph import build_graph

IN, OUT = "320505", "320102"  # 苏州 (the officer's city), 南京
NS = "recall-api"


def make_lot(division=IN, operator=None, **kw):
    n = next_n()
    return Lot.objects.create(code=kw.pop("code", f"L{n:05d}"), operator=operator or make_enterprise(division),
                              quantity=kw.pop("quantity", Decimal(100)), unit="个", **kw)


def make_movement(division=IN):
    op = make_enterprise(division)
    return Movement.objects.create(source=make_lot(operator=op), target=make_lot(operator=op), kind="input",
                                   quantity=50)


class LotViewTests(ViewTestCases.PrimaryObjectViewTestCase):
    model = Lot
    user_role, user_division = S.ROLE_OFFICER, "320500"
    readonly_role, readonly_division = S.ROLE_INSPECTOR, "320500"
    max_queries = 12
    max_detail_queries = 16

    @classmethod
    def create_object(cls, in_scope=True):
        return make_lot(IN if in_scope else OUT)

    def form_data(self):
        return {"code": f"NEW{next_n()}", "operator": make_enterprise(IN).uscc, "quantity": "120.000", "unit": "箱",
                "description": "测试批次"}

    def edit_data(self):
        return {"code": self.obj.code, "operator": self.obj.operator.uscc, "quantity": "130.000", "unit": "箱",
                "description": "改过的批次"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "operator": make_enterprise(OUT).uscc}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "operator": make_enterprise(OUT).uscc}


class MovementViewTests(ViewTestCases.PrimaryObjectViewTestCase):
    model = Movement
    user_role, user_division = S.ROLE_OFFICER, "320500"
    readonly_role, readonly_division = S.ROLE_INSPECTOR, "320500"
    max_queries = 12
    max_detail_queries = 16
    validation_excluded_fields = ("target_operator", "target_code")

    @classmethod
    def create_object(cls, in_scope=True):
        return make_movement(IN if in_scope else OUT)

    def form_data(self):
        source = make_lot(IN)
        return {"source": source.pk, "kind": "shipment", "target_operator": make_enterprise(IN).uscc,
                "target_code": f"R{next_n()}", "quantity": "10.000", "moved_on": "2026-03-02"}

    def edit_data(self):
        return {"source": self.obj.source_id, "kind": "input", "target_operator": self.obj.target.operator.uscc,
                "target_code": self.obj.target.code, "quantity": "11.000", "moved_on": "2026-03-03"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "source": make_lot(OUT).pk}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "source": make_lot(OUT).pk, "kind": "shipment"}


class TestLotAPI(APIViewTestCases.ScopedAPITestCase):
    model = Lot
    namespace = NS
    user_role, user_division = S.ROLE_OFFICER, "320500"
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies do not read the traceability graph
    max_queries = 10

    def make_in_scope(self, n):
        return make_lot(IN)

    def make_out_of_scope(self, n):
        return make_lot(OUT)

    def make_private(self):
        return make_lot(IN)

    def create_data(self):
        return {"code": f"API{next_n()}", "operator": make_enterprise(IN).pk, "quantity": "5.000", "unit": "台"}

    def foreign_create_data(self):
        return {**self.create_data(), "operator": make_enterprise(OUT).pk}

    def update_data(self):
        return {"description": "API 修改"}


class TestMovementAPI(APIViewTestCases.ScopedAPITestCase):
    model = Movement
    namespace = NS
    user_role, user_division = S.ROLE_OFFICER, "320500"
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies do not read the traceability graph
    max_queries = 10

    def make_in_scope(self, n):
        return make_movement(IN)

    def make_out_of_scope(self, n):
        return make_movement(OUT)

    def make_private(self):
        return make_movement(IN)

    def create_data(self):
        a, b = make_lot(IN), make_lot(IN)
        return {"source": a.pk, "target": b.pk, "kind": "shipment", "quantity": "3.000"}

    def foreign_create_data(self):
        a, b = make_lot(OUT), make_lot(OUT)
        return {"source": a.pk, "target": b.pk, "kind": "shipment", "quantity": "3.000"}

    def update_data(self):
        return {"document": "DN-001"}


# --------------------------------------------------------------------------- the operator's part of the chain


@pytest.mark.django_db
def test_an_operator_sees_its_lots_and_only_the_neighbours_codes(make_user):
    ops, lots, moves = build_graph()
    distributor = make_user(S.ROLE_ENTERPRISE, enterprise=ops["D"])
    client = Client()
    client.force_login(distributor)
    assert client.get(reverse("recall:lot_detail", args=[lots["B1"].pk])).status_code == 404
    page = client.get(reverse("recall:lot_detail", args=[lots["D1"].pk]) + "?direction=backward")
    assert page.status_code == 200
    graph = page.context["graph"]
    by_code = {n["code"]: n for n in graph["nodes"]}
    # its own lot in full, the producer's lot it came from as code and holder only, nothing beyond
    assert set(by_code) == {"D1", "B1"}
    assert by_code["D1"]["full"] and by_code["D1"]["quantity"] == "500 个"
    assert not by_code["B1"]["full"] and by_code["B1"]["quantity"] is None and by_code["B1"]["url"] is None
    assert by_code["B1"]["operator"] == "移动电源制造有限公司"
    assert graph["hidden"] == 2  # C1 and C2 exist but are not shown
    assert "电芯供应有限公司" not in page.content.decode()
    # the API answers the same
    api = api_client_for(distributor)
    body = api.get(reverse("recall-api:lot-trace", args=[lots["D1"].pk]), {"direction": "forward"}).json()
    assert {n["code"] for n in body["nodes"]} == {"D1", "R1a", "R2a"}
    assert api.get(reverse("recall-api:lot-trace", args=[lots["D1"].pk]), {"depth": "x"}).status_code == 400
    # the movement list shows its shipments in and out, not the producer's inputs
    listed = {m["id"] for m in api.get(reverse("recall-api:movement-list")).json()["results"]}
    assert listed == {moves[k].pk for k in (("B1", "D1"), ("B2", "D2"), ("D1", "R1a"), ("D1", "R2a"),
                                            ("D2", "R2b"))}


@pytest.mark.django_db
def test_an_officer_traces_its_region_and_the_province_everything(make_user):
    ops, lots, _ = build_graph()
    suzhou = make_user(S.ROLE_OFFICER, "320500")
    client = Client()
    client.force_login(suzhou)
    graph = client.get(reverse("recall:lot_detail", args=[lots["C2"].pk])).context["graph"]
    shown = {n["code"]: n["full"] for n in graph["nodes"]}
    # R2a and R2b are held in 上海: shown as neighbours, not in full
    assert shown == {"C2": True, "B1": True, "B2": True, "D1": True, "D2": True, "R1a": True, "R2a": False,
                     "R2b": False}
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    client.force_login(admin)
    graph = client.get(reverse("recall:lot_detail", args=[lots["C2"].pk]) + "?depth=1").context["graph"]
    assert {n["code"] for n in graph["nodes"]} == {"C2", "B1", "B2"}


@pytest.mark.django_db
def test_a_shipment_form_creates_the_received_lot_at_the_receiver(make_user):
    ops, lots, _ = build_graph()
    producer = make_user(S.ROLE_ENTERPRISE, enterprise=ops["P"])
    client = Client()
    client.force_login(producer)
    response = client.post(reverse("recall:movement_add"), {
        "source": lots["B2"].pk, "kind": "shipment", "target_operator": ops["R1"].uscc, "target_code": "R1-NEW",
        "quantity": "20", "moved_on": "2026-03-10"})
    assert response.status_code == 302, response.content.decode()[:2000]
    received = Lot.objects.get(operator=ops["R1"], code="R1-NEW")
    assert Movement.objects.filter(source=lots["B2"], target=received, kind="shipment").exists()
    # a movement from another operator's lot is refused
    response = client.post(reverse("recall:movement_add"), {
        "source": lots["D1"].pk, "kind": "shipment", "target_operator": ops["R1"].uscc, "target_code": "X",
        "quantity": "1"})
    assert response.status_code == 200 and "source" in response.context["form"].errors
    # an input goes to a lot of the same operator
    response = client.post(reverse("recall:movement_add"), {
        "source": lots["B2"].pk, "kind": "input", "target_operator": ops["R1"].uscc, "target_code": "Y",
        "quantity": "1"})
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not Lot.objects.filter(code="Y").exists()


# --------------------------------------------------------------------------- cases: pages and API


NOW = timezone.make_aware(dt.datetime(2026, 9, 28, 10, 0))


@pytest.mark.django_db
def test_case_pages_walk_through_to_a_published_notice(make_user):
    import time_machine

    ops, lots, _ = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    producer = make_user(S.ROLE_ENTERPRISE, enterprise=ops["P"])
    o, p = Client(), Client()
    o.force_login(officer)
    p.force_login(producer)
    with time_machine.travel(NOW, tick=False):
        response = p.post(reverse("recall:recallcase_add"), {
            "producer": ops["P"].uscc, "title": "移动电源过热", "product_description": "移动电源 10000mAh",
            "defect": "电芯过热", "hazard": "fire", "lots": "B1"})
        assert response.status_code == 302, response.content.decode()[:3000]
        case = RecallCase.objects.get()
        assert case.origin == "defect_report" and list(case.affected.values_list("lot__code", flat=True)) == ["B1"]
        step = lambda c, name, **data: c.post(reverse("recall:recallcase_step", args=[case.pk, name]), data)  # noqa
        step(p, "voluntary")
        step(p, "scope")
        step(p, "plan", text="退货退款")
        step(p, "send")
        r = step(p, "progress", **{"progress-located": "900", "progress-recovered": "0", "progress-repaired": "0",
                                   "progress-destroyed": "0"})
        msgs = [str(m) for m in r.wsgi_request._messages]
        assert any("800" in m for m in msgs), msgs  # more than in scope: refused with the figure
        step(p, "progress", **{"progress-located": "800", "progress-recovered": "700", "progress-repaired": "0",
                               "progress-destroyed": "700"})
        page = o.get(case.get_absolute_url())
        assert page.status_code == 200 and "do-publish" in page.content.decode()
        step(o, "publish", **{"notice-title": "关于召回移动电源的公告", "notice-text": "请停止使用。"})
    case.refresh_from_db()
    assert case.status == "recalling" and case.progress.count() == 1 and case.plan_sent_on == NOW.date()
    assert case.published_at is not None
    # the portal lists the published record; an unpublished one stays hidden
    hidden = RecallRecord.objects.create(recall_number="HIDDEN-1", classification="III", product_description="x",
                                         reason_for_recall="x", recalling_firm="未发布公司",
                                         voluntary_mandated="voluntary", published=False)
    anon = Client()
    listing = anon.get(reverse("portal:recall_list")).content.decode()
    assert "移动电源 10000mAh" in listing and "未发布公司" not in listing
    record = RecallRecord.objects.get(case=case)
    detail = anon.get(reverse("portal:recall_detail", args=[record.pk])).content.decode()
    assert "关于召回移动电源的公告" in detail and "请停止使用" in detail
    assert anon.get(reverse("portal:recall_detail", args=[hidden.pk])).status_code == 404
    # the public reads published records in the API too, and nothing of the case
    api = api_client_for(None)
    ids = {r["id"] for r in api.get(reverse("recall-api:recallrecord-list")).json()["results"]}
    assert ids == {record.pk}
    assert api.get(reverse("recall-api:recallcase-detail", args=[case.pk])).status_code in (401, 403)


@pytest.mark.django_db
def test_case_api_steps_and_refusals(make_user):
    ops, lots, _ = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    producer = make_user(S.ROLE_ENTERPRISE, enterprise=ops["P"])
    seller = make_user(S.ROLE_ENTERPRISE, enterprise=ops["D"])
    api = api_client_for(officer)
    r = api.post(reverse("recall-api:recallcase-list"), {
        "producer": ops["P"].pk, "title": "t", "product_description": "p", "defect": "d", "lots": [lots["B2"].pk]},
        format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert api_client_for(seller).get(reverse("recall-api:recallcase-detail", args=[pk])).status_code == 404
    pc = api_client_for(producer)
    url = reverse("recall-api:recallcase-step", args=[pk])
    assert pc.post(url, {"step": "notify", "text": "x"}, format="json").status_code == 403
    assert pc.post(url, {"step": "voluntary"}, format="json").status_code == 200
    r = pc.post(reverse("recall-api:recallcase-scope", args=[pk]), {}, format="json")
    assert r.status_code == 200 and r.json()["scope_quantity"] == "400.000"
    assert {a["code"] for a in r.json()["affected"]} == {"B2", "D2", "R2b"}
    r = pc.post(reverse("recall-api:recallcase-progress", args=[pk]), {"located": "401"}, format="json")
    assert r.status_code == 400 and "located" in r.json()
    assert pc.post(reverse("recall-api:recallcase-progress", args=[pk]), {"located": "400"},
                   format="json").status_code == 201
    r = api.post(reverse("recall-api:recallcase-publish", args=[pk]), {"title": "公告", "text": "内容"}, format="json")
    assert r.status_code == 200
    assert RecallRecord.objects.get(case_id=pk).classification == "III"  # no risk level: class III


@pytest.mark.django_db
def test_open_a_case_from_an_alert_page(make_user):
    from zhijian.risk import services as risk
    from zhijian.registry.models import ProductCategory

    ops, lots, _ = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    alert = risk.open_alert(officer, title="移动电源起火", division=officer.profile.division,
                            category=ProductCategory.objects.first(), level="S", hazard="fire",
                            product="某牌移动电源", description="多起起火")
    c = Client()
    c.force_login(officer)
    page = c.get(reverse("recall:recallcase_add") + f"?alert={alert.pk}")
    assert page.status_code == 200 and page.context["form"].initial["title"] == "移动电源起火"
    r = c.post(reverse("recall:recallcase_add"), {
        "alert": alert.pk, "producer": ops["P"].uscc, "title": "移动电源起火", "product_description": "某牌移动电源",
        "defect": "多起起火", "hazard": "fire"})
    assert r.status_code == 302
    case = RecallCase.objects.get()
    assert (case.origin, case.alert_id, case.risk_level) == ("alert", alert.pk, "S")


@pytest.mark.django_db
def test_alert_incident_and_result_pages_link_to_a_new_case(make_user):
    import datetime as dt

    from zhijian.registry.models import ProductCategory
    from zhijian.risk import services as risk

    ops, lots, _ = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    category = ProductCategory.objects.first()
    alert = risk.open_alert(officer, title="警示", division=officer.profile.division, category=category, level="H")
    c = Client()
    c.force_login(officer)
    page = c.get(alert.get_absolute_url()).content.decode()
    assert f"{reverse('recall:recallcase_add')}?alert={alert.pk}" in page
    incident = risk.report_incident(officer, enterprise=ops["P"], category=category, product_name="移动电源",
                                    occurred_at=timezone.now() - dt.timedelta(hours=2), division=officer.profile.division,
                                    place="某地", description="起火", deaths=0, serious_injuries=1)
    risk.confirm_incident(incident, make_user(S.ROLE_OFFICER, "320500"))
    page = c.get(incident.get_absolute_url()).content.decode()
    assert f"?incident={incident.pk}" in page
    r = c.post(reverse("recall:recallcase_add"), {"incident": incident.pk, "producer": ops["P"].uscc, "title": "t",
                                                   "product_description": "p", "defect": "d"})
    assert r.status_code == 302 and RecallCase.objects.get().incident == incident


@pytest.mark.django_db
def test_the_producer_reads_its_case_without_links_to_the_bureaus_alert(make_user):
    from zhijian.registry.models import ProductCategory
    from zhijian.risk import services as risk

    ops, lots, _ = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    alert = risk.open_alert(officer, title="警示", division=officer.profile.division,
                            category=ProductCategory.objects.first(), level="H")
    case = services.open_case(officer, producer=ops["P"], title="t", product_description="p", defect="d",
                              origin="alert", alert=alert)
    c = Client()
    c.force_login(make_user(S.ROLE_ENTERPRISE, enterprise=ops["P"]))
    page = c.get(case.get_absolute_url())
    assert page.status_code == 200 and alert.get_absolute_url() not in page.content.decode()
    c.force_login(officer)
    assert alert.get_absolute_url() in c.get(case.get_absolute_url()).content.decode()
