"""The government quality-work assessment: grades, veto, deadline, review, ranking."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from zhijian.accounts.models import AuditEntry
from zhijian.core.scope import ROLE_OFFICER, ROLE_PROVINCE_ADMIN
from zhijian.targets import services
from zhijian.targets.models import Assessment, AssessmentItem, AssessmentScheme


@pytest.mark.parametrize("total,grade", [
    ("100", "A"), ("90", "A"), ("89.99", "B"), ("80", "B"), ("79.99", "C"), ("60", "C"), ("59.99", "D"),
    ("59", "D"), ("0", "D")])
def test_grade_boundaries(total, grade):
    assert services.grade_for(Decimal(total)) == grade


def test_the_veto_makes_d_whatever_the_score():
    assert services.grade_for(Decimal("98"), veto=True) == "D"


@pytest.fixture
def scheme(db):
    s = AssessmentScheme.objects.create(year=2026, name="2026年度质量工作考核")
    AssessmentItem.objects.create(scheme=s, code="1", title="质量工作组织领导", max_points=40,
                                  evidence_required="会议纪要")
    AssessmentItem.objects.create(scheme=s, code="2", title="质量安全监管", max_points=60)
    return s


@pytest.fixture
def users(make_user):
    return {"province": make_user(ROLE_PROVINCE_ADMIN, "320000"), "suzhou": make_user(ROLE_OFFICER, "320500"),
            "nanjing": make_user(ROLE_OFFICER, "320100"), "kunshan": make_user(ROLE_OFFICER, "320583")}


def test_scheme_year_and_deadline(scheme):
    assert (scheme.starts, scheme.ends, scheme.due) == (dt.date(2025, 7, 1), dt.date(2026, 6, 30),
                                                        dt.date(2026, 7, 15))
    assert scheme.max_total == 100


def _self_assess(a, user, evidence=True):
    services.save_self_assessment(a, user, {"1": (Decimal(38), "按时召开"), "2": (Decimal(55), "")},
                                  evidence={"1": ContentFile(b"minutes", name="minutes.pdf")} if evidence else None)


def at(day, hour=12):
    return timezone.make_aware(dt.datetime(2026, 7, day, hour))


def test_full_cycle_with_review_veto_ranking_and_audit(scheme, users):
    p = users["province"]
    sz = services.open_assessment(scheme, "320500", p)
    nj = services.open_assessment(scheme, "320100", p)
    with pytest.raises(ValidationError):
        services.open_assessment(scheme, "320583", p)                 # a county is not assessed
    with pytest.raises(PermissionDenied):
        services.save_self_assessment(nj, users["suzhou"], {"1": (1, "")})  # another city's
    with pytest.raises(PermissionDenied):
        services.save_self_assessment(sz, users["kunshan"], {"1": (1, "")})  # a county of the city
    with pytest.raises(ValidationError, match="between 0 and"):
        services.save_self_assessment(sz, users["suzhou"], {"1": (Decimal(41), "")})
    _self_assess(sz, users["suzhou"], evidence=False)
    with pytest.raises(ValidationError, match="evidence"):
        services.submit_self_assessment(sz, users["suzhou"], now=at(10))
    _self_assess(sz, users["suzhou"])
    assert sz.self_total == 93
    services.submit_self_assessment(sz, users["suzhou"], now=at(15, 23))   # the due day counts
    _self_assess(nj, users["nanjing"])
    services.submit_self_assessment(nj, users["nanjing"], now=at(14))
    with pytest.raises(PermissionDenied):
        services.review(sz, users["suzhou"], {"1": (40, ""), "2": (60, "")})
    services.review(sz, p, {"1": (Decimal("35"), "纪要不全"), "2": (Decimal("54.99"), "")})
    assert (sz.total, sz.grade, sz.veto) == (Decimal("89.99"), "B", False)
    from zhijian.risk.models import Incident

    services.review(nj, p, {"1": (40, ""), "2": (60, "")}, veto_reason="发生区域性质量安全事件",
                    veto_incident=Incident.objects.first())
    nj.refresh_from_db()
    assert (nj.total, nj.grade, nj.veto) == (100, "D", True)
    assert nj.events.filter(type="vetoed").exists()
    services.rank_and_publish(scheme, p)
    ranks = dict(Assessment.objects.values_list("division_id", "rank"))
    assert ranks == {"320500": 1, "320100": 2}                    # the vetoed city is ranked last
    assert set(Assessment.objects.values_list("status", flat=True)) == {"published"}
    assert AuditEntry.objects.filter(object_type="targets.assessmentscore").exists()
    assert AuditEntry.objects.filter(object_type="targets.assessment", object_id=str(nj.pk)).count() >= 4


def test_late_submission_is_refused(scheme, users):
    a = services.open_assessment(scheme, "320500", users["province"])
    _self_assess(a, users["suzhou"])
    with pytest.raises(ValidationError, match="late submission is refused"):
        services.submit_self_assessment(a, users["suzhou"], now=at(16, 0))
    # the province extends the deadline for all (the scheme's due date; audited)
    scheme.due = dt.date(2026, 7, 20)
    scheme.save()
    a.refresh_from_db()
    services.submit_self_assessment(a, users["suzhou"], now=at(16))
    assert a.status == "submitted"


def test_ranking_waits_for_every_review(scheme, users):
    services.open_assessment(scheme, "320500", users["province"])
    with pytest.raises(ValidationError, match="Not yet reviewed"):
        services.rank_and_publish(scheme, users["province"])
