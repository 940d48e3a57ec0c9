"""Risk pages and API end to end: an enterprise reports, the bureau confirms, an alert goes
through its lifecycle; scope and role are refused with nothing written."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from zhijian.core import scope as S
from zhijian.credit.models import CreditEvent
from zhijian.registry.models import ProductCategory
from zhijian.risk.models import Alert, Incident, InjuryCase, SentinelHospital

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w(make_user, enterprise_factory):
    ent = enterprise_factory("320505", name="苏州某电器有限公司")
    return {"ent": ent, "cat": ProductCategory.objects.filter(key_supervised=True).order_by("code").first(),
            "officer": make_user(S.ROLE_OFFICER, "320500"), "second": make_user(S.ROLE_OFFICER, "320500"),
            "nanjing": make_user(S.ROLE_OFFICER, "320100"),
            "ent_user": make_user(S.ROLE_ENTERPRISE, enterprise=ent),
            "agency": make_user(S.ROLE_AGENCY, "320000")}


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def incident_form(w, **kw):
    occurred = timezone.localtime() - dt.timedelta(minutes=30)
    return {"enterprise": w["ent"].pk, "category": w["cat"].pk, "product_name": "电热水器", "batch": "B1",
            "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"), "division": "320505", "place": "某小区",
            "deaths": 0, "serious_injuries": 1, "minor_injuries": 0, "property_loss": "2.5",
            "description": "热水器漏电，一人重伤", "cause": "", "measures": "已停售同批次", **kw}


def test_enterprise_reports_and_the_bureau_confirms_through_the_pages(w):
    ent = client_for(w["ent_user"])
    page = ent.get(reverse("risk:incident_add"))
    assert page.status_code == 200
    response = ent.post(reverse("risk:incident_add"), incident_form(w))
    assert response.status_code == 302, response.content[:2000]
    incident = Incident.objects.get()
    assert incident.channel == "enterprise" and incident.reported_by == w["ent_user"]
    detail = ent.get(incident.get_absolute_url())
    assert detail.status_code == 200 and b'id="report-form"' in detail.content and b'id="confirm"' not in detail.content
    assert ent.post(reverse("risk:incident_step", args=[incident.pk, "report"]),
                    {"kind": "follow_up", "text": "召回进展：已回收 20 台"}).status_code == 302
    assert incident.reports.count() == 2
    officer = client_for(w["officer"])
    detail = officer.get(incident.get_absolute_url())
    assert b'id="confirm"' in detail.content and b"Time limits" in detail.content
    officer.post(reverse("risk:incident_step", args=[incident.pk, "confirm"]))
    incident.refresh_from_db()
    assert incident.status == "confirmed"
    assert CreditEvent.objects.filter(enterprise=w["ent"], type__code="major_incident").exists()
    alert = incident.alerts.get()
    # the dashboard lists the open alert
    dash = officer.get(reverse("risk:dashboard"))
    assert alert.number.encode() in dash.content
    # an officer of another city sees nothing of it
    other = client_for(w["nanjing"])
    assert other.get(incident.get_absolute_url()).status_code == 404
    other.post(reverse("risk:incident_step", args=[incident.pk, "close"]))
    assert Incident.objects.get().status == "confirmed"


def test_alert_lifecycle_through_the_pages(w):
    officer, second = client_for(w["officer"]), client_for(w["second"])
    response = officer.post(reverse("risk:alert_add"), {"title": "某品牌电暖器过热风险", "division": "320500",
                                                        "category": w["cat"].pk, "level": "S", "product": "X-1"})
    assert response.status_code == 302
    alert = Alert.objects.get()
    # the owner may not validate; the second officer does
    officer.post(reverse("risk:alert_step", args=[alert.pk, "validate"]))
    assert Alert.objects.get().status == "draft"
    second.post(reverse("risk:alert_step", args=[alert.pk, "validate"]))
    officer.post(reverse("risk:alert_step", args=[alert.pk, "plan-step"]), {"index": "0"})
    officer.post(reverse("risk:alert_step", args=[alert.pk, "publish"]))
    alert.refresh_from_db()
    assert alert.status == "published" and alert.plan_steps[0]["done"]
    # a bureau elsewhere reacts to the published alert
    nanjing = client_for(w["nanjing"])
    nanjing.post(reverse("risk:alert_step", args=[alert.pk, "react"]), {"kind": "not_found"})
    assert alert.reactions.get().division_id == "320100"
    response = officer.post(reverse("risk:alert_step", args=[alert.pk, "hand-off"]))
    assert response.status_code == 302 and "/spotcheck/plans/" in response["Location"]
    page = officer.get(alert.get_absolute_url())
    assert b"Reactions of other bureaus" in page.content and b"product not found" in page.content


def test_incident_api_report_confirm_and_scope(w):
    api = APIClient()
    api.force_login(w["officer"])
    occurred = timezone.now() - dt.timedelta(hours=2)
    payload = {"enterprise": w["ent"].pk, "category": w["cat"].pk, "product_name": "电动自行车电池",
               "occurred_at": occurred.isoformat(), "division": "320505", "place": "楼道",
               "description": "充电时起火", "deaths": 0, "serious_injuries": 12}
    response = api.post("/api/risk/incidents/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level_code"] == "larger" and body["clock"]["first_report_late"] is True
    pk = body["id"]
    response = api.post(f"/api/risk/incidents/{pk}/reports/", {"kind": "follow_up", "text": "x",
                                                               "serious_injuries": 3}, format="json")
    assert response.status_code == 400 and "serious_injuries" in response.json()
    assert api.post(f"/api/risk/incidents/{pk}/confirm/").status_code == 200
    # Nanjing: the incident does not exist for it; creating one in Suzhou is refused, nothing written
    other = APIClient()
    other.force_login(w["nanjing"])
    assert other.get(f"/api/risk/incidents/{pk}/").status_code == 404
    assert other.post("/api/risk/incidents/", payload, format="json").status_code == 403
    assert Incident.objects.count() == 1
    # agencies (tokens or not) read no incidents
    agency = APIClient()
    agency.force_login(w["agency"])
    assert agency.get("/api/risk/incidents/").status_code == 403


def test_injury_case_takes_the_hospital_weight(w):
    api = APIClient()
    api.force_login(w["officer"])
    h = api.post("/api/risk/sentinel-hospitals/", {"code": "SZ-H1", "name": "苏州某医院", "division": "320505",
                                                    "stratum": "L", "weight": "35.5"}, format="json")
    assert h.status_code == 201, h.content
    case = api.post("/api/risk/injury-cases/", {"hospital": h.json()["id"], "case_number": "2026-0001",
                                                 "treated_on": "2026-05-02", "age": 4, "sex": "female",
                                                 "diagnosis": "烫伤", "body_part": "手", "disposition": "released",
                                                 "narrative": "儿童触碰电暖器烫伤", "weight": "999"}, format="json")
    assert case.status_code == 201, case.content
    assert case.json()["weight"] == "35.5000"
    SentinelHospital.objects.update(active=False)
    again = api.post("/api/risk/injury-cases/", {"hospital": h.json()["id"], "case_number": "2026-0002",
                                                  "treated_on": "2026-05-02", "diagnosis": "x", "body_part": "x",
                                                  "disposition": "released", "narrative": "x"}, format="json")
    assert again.status_code == 400 and "hospital" in again.json()
    assert InjuryCase.objects.count() == 1
    # an enterprise user reads no injury cases (personal data of injured people)
    assert client_for(w["ent_user"]).get(reverse("risk:injurycase_list")).status_code == 403


def test_assessment_page_parses_scenarios_and_revises(w):
    officer = client_for(w["officer"])
    text = "儿童触碰外壳烫伤 | 2\n- 外壳过热 | 1/2\n- 儿童接触 | 0.1\n\n过热起火 | 4\n- 温控器失效 | 1/500\n- 靠近可燃物 | 1/10\n"
    data = {"division": "320500", "category": w["cat"].pk, "product": "某牌电暖器", "hazard": "fire",
            "scenarios": text, "evidence": "抽检报告"}
    bad = officer.post(reverse("risk:riskassessment_add"), {**data, "scenarios": "- 没有场景 | 1/2"})
    assert bad.status_code == 200 and b"Line 1" in bad.content
    bad = officer.post(reverse("risk:riskassessment_add"), {**data, "scenarios": "x | 2\n- y | 2/1"})
    assert bad.status_code == 200 and b"step 1" in bad.content
    from zhijian.risk.models import RiskAssessment

    # an officer of another city cannot assess in Suzhou (the division is not among the choices)
    refused = client_for(w["nanjing"]).post(reverse("risk:riskassessment_add"), data)
    assert refused.status_code == 200 and not RiskAssessment.objects.exists()
    response = officer.post(reverse("risk:riskassessment_add"), data)
    assert response.status_code == 302

    first = RiskAssessment.objects.get()
    assert first.level == "S" and first.alerts.get().source == "assessment"
    page = officer.get(first.get_absolute_url())
    assert b'id="revise"' in page.content
    form = officer.get(reverse("risk:riskassessment_add") + f"?previous={first.pk}")
    assert "过热起火 | 4".encode() in form.content
    response = officer.post(reverse("risk:riskassessment_add") + f"?previous={first.pk}",
                            {**data, "scenarios": "x | 1\n- y | 1/20", "evidence": "复核"})
    assert response.status_code == 302
    second = RiskAssessment.objects.get(version=2)
    assert second.previous == first and second.level == "M"
    assert b'id="revise"' not in officer.get(first.get_absolute_url()).content


def test_assessment_api(w):
    api = APIClient()
    api.force_login(w["officer"])
    payload = {"division": "320500", "category": w["cat"].pk, "product": "P", "hazard": "cut", "evidence": "e",
               "scenarios": [{"name": "割伤", "severity": 2, "steps": [{"description": "边缘锋利", "probability": "1/5"}]}]}
    response = api.post("/api/risk/assessments/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["level"] == "S" and response.json()["probability"] == "1/5"
    bad = api.post("/api/risk/assessments/", {**payload, "scenarios": [{"name": "x", "severity": 9, "steps": ["1/2"]}]},
                   format="json")
    assert bad.status_code == 400 and "scenarios" in bad.json()


def test_injury_estimates_page_and_csv(w):
    """Two strata (L: 2 hospitals, S: 1), weights 10 and 4; cases 3 + 1 in L, 2 in S.
    Estimate 3·10 + 1·10 + 2·4 = 48; L totals 30 and 10, mean 20, n/(n−1)·Σ(y−ȳ)² = 2·200 = 400;
    S has a single hospital (contributes 0): variance 400, SE 20, CV 41.7 % — unreliable."""
    from zhijian.risk.models import SentinelHospital

    hs = {code: SentinelHospital.objects.create(code=code, name=code, division_id="320505", stratum=st, weight=wt)
          for code, st, wt in (("L1", "L", 10), ("L2", "L", 10), ("S1", "S", 4))}
    for code, n in (("L1", 3), ("L2", 1), ("S1", 2)):
        for i in range(n):
            InjuryCase.objects.create(hospital=hs[code], case_number=f"{code}-{i}", treated_on=dt.date(2026, 4, 1),
                                      diagnosis="烫伤", body_part="手", disposition="released", product=w["cat"],
                                      narrative="x", weight=hs[code].weight)
    page = client_for(w["officer"]).get(reverse("risk:injury_estimates"))
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert row["estimate"] == 48 and row["variance"] == 400 and row["se"] == 20
    assert abs(row["cv"] - 20 / 48) < 1e-12 and not row["reliable"]
    assert row["ci_high"] == 48 + 1.96 * 20
    csv_text = client_for(w["officer"]).get(reverse("risk:injury_estimates") + "?format=csv").content.decode("utf-8-sig")
    header, line = csv_text.splitlines()[:2]
    assert header.startswith("category,name,period,division,estimate") and ",2026,320000,48.0,20.0,0.4167," in line
    # no cases for an enterprise user (personal data): refused
    assert client_for(w["ent_user"]).get(reverse("risk:injury_estimates")).status_code == 403


def test_published_alerts_are_consumer_warnings_on_the_portal(w):
    from zhijian.risk import services

    from zhijian.registry.models import Division

    alert = services.open_alert(w["officer"], title="某品牌电暖器过热", division=Division.objects.get(pk="320500"),
                                category=w["cat"], level="S", product="NSB-200 批次 20260501",
                                description="内部：接到 3 起投诉")
    anon = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert alert.title not in anon.get(reverse("portal:warning_list")).content.decode()
    assert anon.get(reverse("portal:warning_detail", args=[alert.pk])).status_code == 404
    services.move_alert(alert, w["second"], "validate")
    services.move_alert(alert, w["officer"], "publish")
    listing = anon.get(reverse("portal:warning_list")).content.decode()
    assert alert.title in listing
    detail = anon.get(reverse("portal:warning_detail", args=[alert.pk])).content.decode()
    assert "NSB-200 批次 20260501" in detail and "内部" not in detail and w["officer"].username not in detail
    services.move_alert(alert, w["officer"], "withdraw", reason="评估有误")
    assert anon.get(reverse("portal:warning_detail", args=[alert.pk])).status_code == 404
