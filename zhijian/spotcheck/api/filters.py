"""Filter sets of the spot-check API (``?plan=``, ``?status=``, ...)."""
import django_filters

from .. import models
from ..filtersets import InspectorConflictFilterSet, PlanFilterSet, TaskFilterSet  # noqa: F401 (shared with pages)


class PlanLabFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.PlanLab
        fields = ["plan", "category", "lab"]


class TestItemFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.TestItem
        fields = ["task", "retest", "verdict"]


class DrawFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Draw
        fields = ["plan"]
