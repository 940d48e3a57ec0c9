"""The demo cases load through the real services, on any day."""
import pytest

from zhijian.core import scope as S
from zhijian.enforcement import demo
from zhijian.enforcement.models import Case, PenaltyDecision

pytestmark = pytest.mark.django_db


def test_demo_cases_in_several_states(make_user, enterprise_factory):
    ents = [enterprise_factory("320505") for _ in range(8)]
    province = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    suzhou = make_user(S.ROLE_OFFICER, "320500")
    counts = demo.load(province, suzhou, enterprise=ents[0])
    assert set(counts) >= {"proposed", "investigating", "decided", "closed"}
    assert Case.objects.filter(suspended=True).count() == 1
    assert PenaltyDecision.objects.filter(case__enterprise=ents[0]).exists()
    assert demo.load(province, suzhou) == {}  # once
