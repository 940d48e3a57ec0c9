"""Filter sets of the spot-check API (``?plan=``, ``?status=``, ...)."""
import django_filters

from .. import models


class PlanFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Plan
        fields = ["kind", "year", "period", "status", "division", "level"]


class PlanLabFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.PlanLab
        fields = ["plan", "category", "lab"]


class TaskFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Task
        fields = ["plan", "status", "verdict", "category", "enterprise", "lab", "division"]


class TestItemFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.TestItem
        fields = ["task", "retest", "verdict"]


class DrawFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.Draw
        fields = ["plan"]


class InspectorConflictFilterSet(django_filters.FilterSet):
    class Meta:
        model = models.InspectorConflict
        fields = ["inspector", "enterprise"]
