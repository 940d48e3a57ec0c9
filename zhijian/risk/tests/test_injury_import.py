"""Injury-case import (our layout and the NEISS public layout), bulk API submission, the
sentinel-hospital role and narrative classification of the submitted cases."""
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from zhijian.accounts.models import APIToken, AuditEntry
from zhijian.core import scope as S
from zhijian.registry.models import Division, ProductCategory
from zhijian.risk.importers import InjuryCaseImporter, NeissImporter
from zhijian.risk.models import InjuryCase, SentinelHospital

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with translation.override("en"):
        yield


@pytest.fixture
def w(make_user):
    hs = {}
    for code, division, stratum, weight, psu in (("IMP-SZ1", "320505", "M", "15.5", 61),
                                                  ("IMP-SZ2", "320583", "L", "4.25", 62),
                                                  ("IMP-NJ1", "320102", "M", "9", 63)):
        hs[code] = SentinelHospital.objects.create(code=code, name=f"{code} 医院", division_id=division,
                                                   stratum=stratum, weight=Decimal(weight), psu=psu)
    return {"h": hs, "officer": make_user(S.ROLE_OFFICER, "320500"),
            "nanjing": make_user(S.ROLE_OFFICER, "320100"),
            "staff": make_user(S.ROLE_HOSPITAL, sentinel_hospital=hs["IMP-SZ1"]),
            "other_staff": make_user(S.ROLE_HOSPITAL, sentinel_hospital=hs["IMP-SZ2"])}


def run(importer, path, user):
    return importer(user=user).run(path)


def errors(result):
    return {(e.row, e.field): e for e in result.errors}


def test_our_layout_imports_classifies_and_is_not_duplicated(w):
    before = AuditEntry.objects.filter(action="import").count()
    result = run(InjuryCaseImporter, DATA / "injury_cases.csv", w["officer"])
    assert result.ok, result.errors
    assert result.created == 4
    cases = {c.case_number: c for c in InjuryCase.objects.all()}
    a1 = cases["A-0001"]
    assert (a1.hospital.code, a1.sex, a1.disposition, a1.fire, a1.hazard) == ("IMP-SZ1", "female", "released",
                                                                              "no", "burn")
    assert a1.product.code == "KP010" and not a1.classified and a1.weight == Decimal("15.5")
    assert a1.treated_on == dt.date(2026, 3, 2) and a1.source == "file"
    # blank product and hazard are filled in from the narrative and marked machine-classified
    a2 = cases["A-0002"]
    assert a2.treated_on == dt.date(2026, 3, 3) and a2.disposition == "admitted" and a2.fire == "fire"
    assert a2.classified and a2.hazard == "fire" and a2.hazard_confidence is not None
    a3 = cases["A-0003"]
    assert (a3.age, a3.age_months, a3.sex) == (1, 8, "male")
    b1 = cases["B-0001"]
    assert b1.hospital.code == "IMP-SZ2" and b1.weight == Decimal("4.25") and b1.hazard == "mechanical"
    # one audit entry for the file
    assert AuditEntry.objects.filter(action="import").count() == before + 1
    entry = AuditEntry.objects.filter(action="import").order_by("-seq").first()
    assert entry.object_type == "risk.injurycase" and entry.postchange["created"] == 4
    # the same file again: every row is an error, nothing is added
    again = run(InjuryCaseImporter, DATA / "injury_cases.csv", w["officer"])
    assert not again.ok and again.created == 0 and InjuryCase.objects.count() == 4
    assert {e.code for e in again.errors} == {"exists"}
    assert (2, "case_number") in errors(again) and "already imported" in errors(again)[(2, "case_number")].reason


def test_bad_rows_name_row_and_field_and_nothing_is_written(w, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "hospital,case_number,treated_on,age,sex,diagnosis,body_part,disposition,narrative,hazard\n"
        "IMP-SZ1,X1,2026-02-30,4,female,烫伤,手,released,开水烫伤,burn\n"
        "IMP-SZ1,X2,2026-03-01,4,female,烫伤,手,released,,burn\n"
        "IMP-NJ1,X3,2026-03-01,4,female,烫伤,手,released,开水烫伤,burn\n"
        "NOPE,X4,2026-03-01,4,female,烫伤,手,released,开水烫伤,burn\n"
        "IMP-SZ1,X5,2026-03-01,140,female,烫伤,手,gone,开水烫伤,burn\n"
        "IMP-SZ1,X6,2026-03-01,4,female,烫伤,手,released,开水烫伤,burn\n"
        "IMP-SZ1,X6,2026-03-01,4,female,烫伤,手,released,开水烫伤,burn\n", encoding="utf-8")
    result = run(InjuryCaseImporter, path, w["officer"])
    assert not result.ok and InjuryCase.objects.count() == 0
    e = errors(result)
    assert e[(2, "treated_on")].code == "date"
    assert e[(3, "narrative")].code == "required"
    assert e[(4, "hospital")].code == "scope"
    assert e[(5, "hospital")].code == "unknown" and "NOPE" in e[(5, "hospital")].reason
    assert e[(6, "age")].code == "number" and e[(6, "disposition")].code == "choice"
    assert e[(8, "case_number")].code == "duplicate" and "row 7" in e[(8, "case_number")].reason


def test_neiss_layout_maps_codes_and_keeps_product_codes(w):
    result = run(NeissImporter, DATA / "neiss_sample.tsv", w["officer"])
    assert result.ok, result.errors
    assert result.created == 5
    cases = {c.case_number: c for c in InjuryCase.objects.select_related("hospital")}
    c1 = cases["260105001"]
    assert c1.hospital.code == "IMP-SZ1" and c1.treated_on == dt.date(2026, 1, 5)
    assert (c1.age, c1.age_months, c1.sex) == (0, 3, "female")
    assert (c1.body_part, c1.diagnosis, c1.disposition, c1.location, c1.fire) == ("手部", "烫伤", "released", "家中",
                                                                                   "no")
    assert c1.product_codes == "380" and c1.weight == Decimal("15.3221") and c1.source == "neiss"
    c2 = cases["260105002"]
    assert (c2.age, c2.sex, c2.disposition, c2.location) == (42, "male", "admitted", "道路")
    assert c2.body_part == "上躯干、头部" and c2.diagnosis == "骨折；挫伤、擦伤"
    c4 = cases["260108004"]
    assert c4.hospital.code == "IMP-SZ2" and c4.weight == Decimal("4.2010") and c4.fire == "fire"
    c5 = cases["260109005"]
    assert c5.age is None and c5.sex == "unknown" and c5.disposition == "unknown"
    assert c5.diagnosis == "其他/未注明：吸入烟雾" and c5.product_codes == "5040;1842" and c5.fire == "fire"
    # products come from the narrative classifier (NEISS product codes are not our catalog)
    assert all(c.classified for c in cases.values() if c.product_id or c.hazard)
    again = run(NeissImporter, DATA / "neiss_sample.tsv", w["officer"])
    assert not again.ok and InjuryCase.objects.count() == 5
    assert errors(again)[(2, "CPSC_Case_Number")].code == "exists"


def test_neiss_bad_rows(w):
    result = run(NeissImporter, DATA / "neiss_bad.tsv", w["officer"])
    assert not result.ok and InjuryCase.objects.count() == 0
    e = errors(result)
    assert e[(2, "Age")].code == "invalid" and "200–223" in e[(2, "Age")].reason
    assert e[(3, "Treatment_Date")].code == "date" and e[(3, "Diagnosis")].code == "choice"
    assert e[(4, "Disposition")].code == "choice"
    assert e[(5, "PSU")].code == "unknown"
    assert e[(6, "Narrative")].code == "required"
    # a stratum that is not the hospital's
    SentinelHospital.objects.filter(code="IMP-SZ1").update(stratum="S")
    result = run(NeissImporter, DATA / "neiss_sample.tsv", w["officer"])
    assert errors(result)[(2, "Stratum")].code == "invalid"
    assert "stratum S" in errors(result)[(2, "Stratum")].reason
    # a NEISS file offered as our layout is refused as a whole, with a hint
    result = run(InjuryCaseImporter, DATA / "neiss_sample.tsv", w["officer"])
    assert result.file_error is not None and "NEISS" in result.file_error.message


def test_neiss_scope_of_an_officer_and_of_a_hospital(w):
    nanjing = run(NeissImporter, DATA / "neiss_sample.tsv", w["nanjing"])
    assert not nanjing.ok and errors(nanjing)[(2, "PSU")].code == "scope"
    staff = run(NeissImporter, DATA / "neiss_sample.tsv", w["staff"])
    e = errors(staff)
    assert (2, "PSU") not in e and e[(5, "PSU")].code == "scope" and "own hospital" in e[(5, "PSU")].reason
    assert InjuryCase.objects.count() == 0


def test_hospital_staff_import_their_own_cases_without_the_hospital_column(w, tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("病例编号,就诊日期,年龄,性别,诊断,受伤部位,处置结局,伤害经过\n"
                    "H-1,2026-04-01,6,男,撕裂伤,手指,离院,男孩手指伸入电风扇护网被扇叶划伤\n", encoding="utf-8")
    result = run(InjuryCaseImporter, path, w["staff"])
    assert result.ok, result.errors
    case = InjuryCase.objects.get()
    assert case.hospital.code == "IMP-SZ1" and case.weight == Decimal("15.5")
    other = tmp_path / "other.csv"
    other.write_text("hospital,case_number,treated_on,diagnosis,body_part,disposition,narrative\n"
                     "IMP-SZ2,H-2,2026-04-01,撕裂伤,手指,released,划伤\n", encoding="utf-8")
    result = run(InjuryCaseImporter, other, w["staff"])
    assert errors(result)[(2, "hospital")].code == "scope" and InjuryCase.objects.count() == 1
    # an officer without a hospital column: the hospital is required
    result = run(InjuryCaseImporter, path, w["officer"])
    assert errors(result)[(2, "hospital")].code == "required"


def test_excel_with_english_headers(w, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["hospital", "case_number", "treated_on", "age", "sex", "diagnosis", "body_part", "disposition",
               "product", "hazard", "narrative"])
    ws.append(["IMP-SZ1", "E-1", dt.date(2026, 5, 6), 30, "female", "挫伤", "头部", "observed", "KP134", "mechanical",
               "骑电动自行车摔倒，头部挫伤"])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    result = run(InjuryCaseImporter, path, w["officer"])
    assert result.ok, result.errors
    case = InjuryCase.objects.get()
    assert case.treated_on == dt.date(2026, 5, 6) and case.product.code == "KP134" and not case.classified


def test_import_page_and_command(w, tmp_path):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(w["officer"])
    assert c.get(reverse("risk:injurycase_list")).content.count(reverse("risk:injurycase_import").encode()) >= 1
    page = c.get(reverse("risk:injurycase_import"))
    assert page.status_code == 200 and b"CPSC_Case_Number" in page.content
    with open(DATA / "neiss_sample.tsv", "rb") as fh:
        response = c.post(reverse("risk:injurycase_import"), {"layout": "injury_cases_neiss", "file": fh})
    assert response.status_code == 302 and "/import/jobs/" in response["Location"]
    assert InjuryCase.objects.count() == 5  # the immediate task backend of the tests ran the job
    job = c.get(response["Location"])
    assert job.status_code == 200
    # the staff of a hospital get the page; inspectors and enterprises do not
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(w["staff"])
    assert b'id="own-hospital"' in staff.get(reverse("risk:injurycase_import")).content
    # the generic command takes the importer's name
    copy = tmp_path / "cases.csv"
    shutil.copy(DATA / "injury_cases.csv", copy)
    call_command("import_data", "injury_cases", str(copy), "--user", w["officer"].username, "--no-progress")
    assert InjuryCase.objects.count() == 9


def case_payload(**kw):
    return {"case_number": "API-1", "treated_on": "2026-05-02", "age": 4, "sex": "female", "diagnosis": "烫伤",
            "body_part": "手", "disposition": "released", "narrative": "患儿4岁，打翻电水壶，开水烫伤右手", **kw}


def test_bulk_api_all_or_nothing(w):
    api = APIClient()
    api.force_login(w["officer"])
    h = w["h"]["IMP-SZ1"].pk
    rows = [case_payload(hospital=h, case_number=f"API-{i}") for i in range(3)]
    response = api.post("/api/risk/injury-cases/", rows, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body) == 3 and all(r["source"] == "api" for r in body)
    assert body[0]["classified"] and body[0]["product"] is not None or body[0]["hazard"]
    bad = [case_payload(hospital=h, case_number="API-7"), case_payload(hospital=h, case_number="API-7"),
           case_payload(hospital=h, case_number="API-8", disposition="gone"),
           case_payload(hospital=h, case_number="API-0")]
    response = api.post("/api/risk/injury-cases/", bad, format="json")
    assert response.status_code == 400
    errs = response.json()["errors"]
    assert set(errs) == {"1", "2", "3"} and "disposition" in errs["2"] and "case_number" in errs["1"]
    assert InjuryCase.objects.count() == 3
    # a case of a hospital outside the region: refused, nothing written
    nanjing_case = [case_payload(hospital=w["h"]["IMP-NJ1"].pk, case_number="API-9")]
    assert api.post("/api/risk/injury-cases/", nanjing_case, format="json").status_code in (400, 403)
    assert InjuryCase.objects.count() == 3


def test_hospital_token_submits_its_own_cases(w):
    token, key = APIToken.issue(w["staff"], "his")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/risk/injury-cases/", case_payload(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["hospital"] == w["h"]["IMP-SZ1"].pk
    response = api.post("/api/risk/injury-cases/", [case_payload(case_number="API-2"),
                                                    case_payload(case_number="API-3")], format="json")
    assert response.status_code == 201
    # another hospital's case: refused
    response = api.post("/api/risk/injury-cases/", case_payload(case_number="X", hospital=w["h"]["IMP-SZ2"].pk),
                        format="json")
    assert response.status_code == 403
    listed = api.get("/api/risk/injury-cases/").json()["results"]
    assert {r["case_number"] for r in listed} == {"API-1", "API-2", "API-3"}
    # a token of a read-only role still cannot write
    agency = APIToken.issue(__import__("zhijian.accounts.services", fromlist=["x"]).create_user(
        "ag", "pw", S.ROLE_AGENCY), "a")[1]
    ro = APIClient()
    ro.credentials(HTTP_AUTHORIZATION=f"Token {agency}")
    assert ro.post("/api/risk/injury-cases/", case_payload(hospital=w["h"]["IMP-SZ1"].pk, case_number="Z"),
                   format="json").status_code == 403


def test_hospital_staff_see_only_their_own_cases_and_pages(w):
    mine = InjuryCase.objects.create(hospital=w["h"]["IMP-SZ1"], case_number="M-1", treated_on=dt.date(2026, 5, 1),
                                     diagnosis="烫伤", body_part="手", disposition="released", narrative="患者甲，私密经过",
                                     weight=Decimal("15.5"))
    theirs = InjuryCase.objects.create(hospital=w["h"]["IMP-SZ2"], case_number="T-1", treated_on=dt.date(2026, 5, 1),
                                       diagnosis="烫伤", body_part="手", disposition="released",
                                       narrative="患者乙，私密经过", weight=Decimal("4.25"))
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(w["staff"])
    listing = c.get(reverse("risk:injurycase_list")).content.decode()
    assert "M-1" in listing and "T-1" not in listing
    assert "患者甲" in c.get(mine.get_absolute_url()).content.decode()
    assert c.get(theirs.get_absolute_url()).status_code == 404
    assert c.get(reverse("risk:sentinelhospital_detail", args=[w["h"]["IMP-SZ2"].pk])).status_code == 404
    # nothing else of the platform
    for name in ("risk:dashboard", "risk:incident_list", "risk:alert_list", "risk:injury_estimates",
                 "registry:enterprise_list", "complaints:case_list", "spotcheck:plan_list"):
        try:
            url = reverse(name)
        except Exception:
            continue
        assert c.get(url).status_code in (302, 403), name
    # the form offers the own hospital only, and a case entered there is the hospital's
    form = c.get(reverse("risk:injurycase_add")).content.decode()
    assert "IMP-SZ1" in form and "IMP-SZ2" not in form
    response = c.post(reverse("risk:injurycase_add"), {
        "hospital": w["h"]["IMP-SZ1"].pk, "case_number": "F-1", "treated_on": "2026-05-03", "sex": "male",
        "diagnosis": "割伤", "body_part": "手", "disposition": "released", "fire": "no",
        "narrative": "男孩被榨汁机刀片割伤左手拇指"})
    assert response.status_code == 302, response.content[:3000]
    f1 = InjuryCase.objects.get(case_number="F-1")
    assert f1.source == "form" and f1.classified
    # officers of the region see both; an officer corrects the machine's labels
    officer = APIClient()
    officer.force_login(w["officer"])
    assert {r["case_number"] for r in officer.get("/api/risk/injury-cases/").json()["results"]} >= {"M-1", "T-1", "F-1"}
    response = officer.patch(f"/api/risk/injury-cases/{f1.pk}/", {"hazard": "mechanical"}, format="json")
    assert response.status_code == 200
    f1.refresh_from_db()
    assert f1.hazard == "mechanical" and not f1.classified
