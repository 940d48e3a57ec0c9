"""Scope of credit events and grades per role, the pages, the API and the command."""
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from zhijian.core import scope as S
from zhijian.credit import services
from zhijian.credit.models import CreditEvent, Grade, GradingRun, Method
from zhijian.registry.models import Lab

AS_OF = dt.date(2026, 1, 1)


@pytest.fixture
def world(make_user, enterprise_factory, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    suzhou = enterprise_factory("320505", name="苏州甲公司")
    nanjing = enterprise_factory("320102", name="南京乙公司")
    services.record_event(suzhou, "spotcheck_unqualified", dt.date(2025, 7, 5))
    services.record_event(nanjing, "award", dt.date(2025, 3, 1))
    out = io.StringIO()
    call_command("credit_grade", "--as-of", AS_OF.isoformat(), "--no-progress", stdout=out)
    users = {
        "officer": make_user(S.ROLE_OFFICER, "320500"),
        "admin": make_user(S.ROLE_PROVINCE_ADMIN, "320000"),
        "own": make_user(S.ROLE_ENTERPRISE, enterprise=suzhou),
        "lab": make_user(S.ROLE_LAB, lab=Lab.objects.create(
            name="质检院", accreditation_number="CMA-CR-1", division_id="320500", level="city")),
    }
    return {"suzhou": suzhou, "nanjing": nanjing, "users": users, "out": out.getvalue()}


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_command_records_the_run(world):
    run = GradingRun.objects.get()
    assert run.status == "done" and run.engine == "duckdb" and run.as_of == AS_OF
    assert f"run {run.pk}" in world["out"] and f"{run.grade_count} grades" in world["out"]
    assert Grade.objects.filter(run=run).count() == run.grade_count == run.enterprise_count


def test_command_rejects_bad_input(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--as-of"):
        call_command("credit_grade", "--as-of", "2026-13-01", "--no-progress")
    with pytest.raises(CommandError, match="--method"):
        call_command("credit_grade", "--method", "nope", "--no-progress")


def test_scope_of_events_and_grades(world):
    u, sz, nj = world["users"], world["suzhou"], world["nanjing"]
    for model in (CreditEvent, Grade):
        officer = set(model.objects.restrict(u["officer"]).values_list("enterprise_id", flat=True))
        assert sz.pk in officer and nj.pk not in officer
        admin = set(model.objects.restrict(u["admin"]).values_list("enterprise_id", flat=True))
        assert {sz.pk, nj.pk} <= admin
    assert set(CreditEvent.objects.restrict(u["own"]).values_list("enterprise_id", flat=True)) == {sz.pk}
    assert not CreditEvent.objects.restrict(u["lab"]).exists()
    assert not CreditEvent.objects.restrict(None).exists()  # the public sees no events
    # enterprises may not write events
    assert not CreditEvent.objects.restrict(u["own"], "add").exists()


def test_officer_page_shows_the_explanation(world):
    u, sz, nj = world["users"], world["suzhou"], world["nanjing"]
    grade = services.current_grade(sz)
    c = client_for(u["officer"])
    page = c.get(f"/credit/grades/{grade.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # the event type and its group by their Chinese names, not by their keys
    assert "监督抽查结果不合格" in html and str(grade.score) in html
    assert "spotcheck_unqualified" not in html
    listing = c.get("/credit/grades/").content.decode()
    assert sz.uscc in listing and nj.uscc not in listing
    other = services.current_grade(nj)
    assert c.get(f"/credit/grades/{other.pk}/").status_code == 404


def test_enterprise_sees_its_own_grade(world):
    u, sz, nj = world["users"], world["suzhou"], world["nanjing"]
    c = client_for(u["own"])
    mine = c.get("/credit/mine/")
    assert mine.status_code == 302 and mine["Location"] == services.current_grade(sz).get_absolute_url()
    assert "监督抽查结果不合格" in c.get(mine["Location"]).content.decode()


def test_api_grades_by_uscc(world):
    u, sz, nj = world["users"], world["suzhou"], world["nanjing"]
    data = client_for(u["officer"]).get("/api/credit/grades/", {"uscc": sz.uscc}).json()
    (row,) = data["results"]
    assert row["uscc"] == sz.uscc and row["method"] == "2020.1"
    # explanation: one event, −10 × 0.5^(180/360) = −7.0711; 15 + 20 + 32.93
    (event,) = row["explanation"]["events"]
    assert event["type"] == "spotcheck_unqualified" and event["age_days"] == 180
    assert event["contribution"] == pytest.approx(-7.0711, abs=1e-4)
    assert row["score"] == "67.93" and row["grade"] == "B" and row["risk_class"] == "C"
    assert client_for(u["officer"]).get("/api/credit/grades/", {"uscc": nj.uscc}).json()["results"] == []
    # the enterprise reads its own explanation; others' grades (published method) without it
    own = client_for(u["own"]).get("/api/credit/grades/", {"uscc": sz.uscc}).json()["results"][0]
    assert own["explanation"]["events"]
    public = client_for(None).get("/api/credit/grades/", {"uscc": nj.uscc}).json()["results"][0]
    assert public["grade"] and "explanation" not in public
    # read-only
    before = Grade.objects.count()
    assert client_for(u["admin"]).post("/api/credit/grades/", {}).status_code in (403, 405)
    assert client_for(u["admin"]).options("/api/credit/grades/")["Allow"] == "GET, HEAD, OPTIONS"
    assert Grade.objects.count() == before


def test_unpublished_method_grades_are_not_public(world):
    Method.objects.update(published=False)
    assert client_for(None).get("/api/credit/grades/").json()["results"] == []
