"""The risk reference data (incident levels, signal definitions) comes back with load_reference
when its rows are missing, and an edited row is left as the bureau made it."""
import pytest

from zhijian.reference import load_all
from zhijian.risk.models import IncidentLevel, SignalDefinition

pytestmark = pytest.mark.django_db


def test_missing_rows_are_restored_and_edits_kept():
    SignalDefinition.objects.filter(code__in=["complaints_prr_province", "opinion_cusum_city"]).delete()
    edited = SignalDefinition.objects.get(code="complaints_cusum_city")
    edited.parameters = {**edited.parameters, "h": 5.0}
    edited.save()
    level = IncidentLevel.objects.get(code="general")
    level.report_hours = 2
    level.save()
    counts = load_all()
    assert counts["signal definitions"] == 5 and counts["incident levels"] == 4
    assert SignalDefinition.objects.filter(code__in=["complaints_prr_province", "opinion_cusum_city"]).count() == 2
    assert SignalDefinition.objects.get(code="complaints_cusum_city").parameters["h"] == 5.0
    assert IncidentLevel.objects.get(code="general").report_hours == 2
