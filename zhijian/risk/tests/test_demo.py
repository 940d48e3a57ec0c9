"""The risk demo data: deterministic, dated relative to the day, quick."""
import datetime as dt
import time

import pytest

from zhijian.core import scope as S
from zhijian.risk import demo
from zhijian.risk.models import Alert, Incident, InjuryCase, RiskAssessment, SentinelHospital

pytestmark = pytest.mark.django_db


def test_demo_populates_the_risk_pages(make_user, enterprise_factory):
    enterprise_factory("320505", name="苏州演示电器有限公司")
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    today = dt.date(2026, 6, 10)
    start = time.perf_counter()
    counts = demo.load(admin, seed=1, today=today, signals=False)
    assert time.perf_counter() - start < 10
    assert counts["sentinel hospitals"] == SentinelHospital.objects.count() >= 6
    assert InjuryCase.objects.count() == demo.CASES_PER_YEAR
    first, last = (InjuryCase.objects.order_by(f).values_list("treated_on", flat=True).first()
                   for f in ("treated_on", "-treated_on"))
    assert today - dt.timedelta(days=365) <= first and last < today
    assert Incident.objects.count() == 1 and RiskAssessment.objects.get().level == "S"
    assert Alert.objects.filter(status="published").count() == 1
    numbers = sorted(InjuryCase.objects.values_list("case_number", "age", "hazard"))
    assert demo.load(admin, seed=1, today=today) == {}  # once
    InjuryCase.objects.all().delete()
    SentinelHospital.objects.all().delete()
    Alert.objects.all().delete()
    RiskAssessment.objects.all().delete()
    demo.load(admin, seed=1, today=today, signals=False)
    assert sorted(InjuryCase.objects.values_list("case_number", "age", "hazard")) == numbers
