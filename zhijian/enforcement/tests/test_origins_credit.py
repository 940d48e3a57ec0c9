"""Cases opened from their sources (an unqualified spot-check result, a complaint's conversion, a
major incident), and a decision's effect on the next credit grading."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from zhijian.complaints import services as complaints
from zhijian.credit.jobs import run_grading
from zhijian.credit.models import Grade
from zhijian.enforcement import services
from zhijian.enforcement.models import Case, Origin
from zhijian.registry.models import Division, ProductCategory

from .conftest import D, decide, notified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_task(ent, verdict="unqualified"):
    from zhijian.spotcheck import models as sc

    cat = ProductCategory.objects.order_by("code").first()
    plan = sc.Plan.objects.create(title="2026年电器抽查", kind="routine", year=2026, period="2026",
                                  starts_on=D(2026, 3, 1), ends_on=D(2026, 11, 30), division_id="320500",
                                  quota_mode="count", quota_count=1, status=sc.Plan.Status.PUBLISHED)
    return sc.Task.objects.create(plan=plan, enterprise=ent, category=cat, division_id=ent.division_id,
                                  stratum="x", status=sc.Task.Status.CLOSED, verdict=verdict, report_number="R-1")


def test_case_from_an_unqualified_spot_check_result(w):
    task = make_task(w["ent"])
    defaults = services.origin_defaults(task)
    assert defaults["enterprise"] == w["ent"] and defaults["origin"] == Origin.SPOTCHECK
    case = services.open_case(w["officer"], **{k: defaults[k] for k in ("enterprise", "division", "title", "facts",
                                                                         "origin", "origin_reference")},
                              record=task, on=D(2026, 4, 1))
    assert (case.origin_type, case.origin_id) == ("spotcheck.task", str(task.pk))
    assert list(services.cases_from(task)) == [case] and services.origin_record(case) == task
    with pytest.raises(ValidationError) as exc:  # one case per source record
        services.open_case(w["officer"], **{k: defaults[k] for k in ("enterprise", "division", "title", "facts",
                                                                         "origin")}, record=task, on=D(2026, 4, 1))
    assert "already opened" in str(exc.value)
    with pytest.raises(PermissionDenied):  # another city's officer cannot see the task
        services.open_case(w["nanjing"], enterprise=w["ent"], division=Division.objects.get(pk="320102"),
                           title="x", facts="y", origin=Origin.SPOTCHECK, record=task, on=D(2026, 4, 1))


def test_a_qualified_result_opens_no_case(w, enterprise_factory):
    task = make_task(enterprise_factory("320505"), verdict="qualified")
    with pytest.raises(ValidationError) as exc:
        services.open_case(w["officer"], enterprise=task.enterprise, division=w["division"], title="x", facts="y",
                           origin=Origin.SPOTCHECK, record=task, on=D(2026, 4, 1))
    assert "unqualified" in str(exc.value)


def test_case_from_a_complaint_conversion_links_back(w):
    report, _code = complaints.receive(
        {"kind": "report", "channel": "phone", "complainant_name": "举报人", "complainant_phone": "13800000000",
         "respondent_name": w["ent"].name, "respondent_uscc": w["ent"].uscc, "facts": "销售不合格电热水器",
         "received_on": "2026-03-02"}, division=w["division"])
    assert report.respondent == w["ent"]
    conversion = complaints.convert(report, w["officer"], target="enforcement", reference="待立案",
                                    on=D(2026, 3, 5))
    assert conversion.target_id == ""
    defaults = services.origin_defaults(conversion)
    case = services.open_case(w["officer"], enterprise=defaults["enterprise"], division=defaults["division"],
                              title=defaults["title"], facts="举报线索核查属实", origin=defaults["origin"],
                              record=conversion, on=D(2026, 3, 6))
    conversion.refresh_from_db()
    assert (conversion.target_type, conversion.target_id) == ("enforcement.case", str(case.pk))
    assert case.origin == Origin.COMPLAINT
    with pytest.raises(ValidationError):
        services.open_case(w["officer"], enterprise=w["ent"], division=w["division"], title="x", facts="y",
                           origin=Origin.COMPLAINT, record=conversion, on=D(2026, 3, 6))


def test_case_from_a_major_incident(w):
    from zhijian.risk import services as risk

    incident = risk.report_incident(
        w["officer"], enterprise=w["ent"], category=ProductCategory.objects.order_by("code").first(),
        product_name="电热水器", occurred_at=timezone.now() - dt.timedelta(hours=2), division=w["division"],
        place="某小区", description="漏电致人重伤", serious_injuries=1)
    defaults = services.origin_defaults(incident)
    case = services.open_case(w["officer"], enterprise=defaults["enterprise"], division=defaults["division"],
                              title=defaults["title"], facts=defaults["facts"], origin=defaults["origin"],
                              record=incident, on=D(2026, 4, 1))
    assert case.origin_reference == incident.number and case.origin == Origin.INCIDENT
    # an origin kind that needs a record refuses to go without one
    with pytest.raises(ValidationError):
        services.open_case(w["officer"], enterprise=w["ent"], division=w["division"], title="x", facts="y",
                           origin=Origin.INCIDENT, on=D(2026, 4, 1))


def grade_of(ent, as_of, tmp_path, name):
    run = run_grading(as_of=as_of, snapshot_dir=tmp_path / name)
    return Grade.objects.get(enterprise=ent, run=run)


def test_a_heavy_penalty_lowers_the_next_grading(w, tmp_path):
    before = grade_of(w["ent"], D(2026, 5, 22), tmp_path, "before")
    case = notified(w, kinds=["fine", "suspension"], fine=50000)
    services.request_hearing(case, w["officer"], on=D(2026, 4, 30))
    services.notify_hearing(case, w["officer"], on=D(2026, 5, 6), hearing_date=D(2026, 5, 15))
    services.hold_hearing(case, w["officer"], on=D(2026, 5, 15), record="听证")
    decide(w, case, kinds=["fine", "suspension"], fine=50000, severity="heavy")
    after = grade_of(w["ent"], D(2026, 5, 22), tmp_path, "after")
    assert after.score < before.score
    # 75 − 20 (heavy penalty) = 55 → C; the serious-violation listing makes the risk class D
    assert (before.grade, after.grade) == ("A", "C") and after.risk_class == "D"
    codes = {row.get("type") or row.get("code") for row in after.explanation.get("events", [])}
    assert "penalty_heavy" in codes or "penalty_heavy" in str(after.explanation)


def test_an_ordinary_penalty_lowers_the_score(w, tmp_path):
    before = grade_of(w["ent"], D(2026, 5, 22), tmp_path, "before")
    case = notified(w, fine=20000)
    services.record_statement(case, w["officer"], on=D(2026, 5, 6), text="无异议")
    decide(w, case)
    after = grade_of(w["ent"], D(2026, 5, 22), tmp_path, "after")
    assert after.score < before.score and after.risk_class != "D"
    assert Case.objects.get(pk=case.pk).status == Case.Status.DECIDED


def test_case_from_a_recall_case(w, client):
    from zhijian.recall import services as recall

    rc = recall.open_case(w["officer"], producer=w["ent"], title="电暖器召回", product_description="暖风牌 NF-2 电暖器",
                          defect="倾倒开关失效，倾倒后继续加热", now=timezone.make_aware(dt.datetime(2026, 4, 1, 10)))
    defaults = services.origin_defaults(rc)
    assert defaults["origin"] == Origin.RECALL and defaults["enterprise"] == w["ent"]
    assert defaults["facts"] == rc.defect and rc.number in defaults["title"]
    case = services.open_case(w["officer"], **{k: defaults[k] for k in ("enterprise", "division", "title", "facts",
                                                                         "origin", "origin_reference")},
                              record=rc, on=D(2026, 4, 2))
    assert (case.origin_type, case.origin_id) == ("recall.recallcase", str(rc.pk))
    assert services.origin_record(case) == rc
    # the recall case's page lists the enforcement case opened from it
    client.force_login(w["officer"])
    html = client.get(rc.get_absolute_url()).content.decode()
    assert case.number in html
