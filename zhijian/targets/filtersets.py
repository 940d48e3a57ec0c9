"""Filter sets shared by the list pages and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import models


class DataElementFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "name_zh")

    class Meta:
        model = models.DataElement
        fields = ["kind", "period_type"]


class IndicatorFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "name_zh")

    class Meta:
        model = models.Indicator
        fields = []


class DataValueFilterSet(SearchFilterSet):
    search_fields = ("element__code", "element__name_zh", "period")
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))
    element_code = django_filters.CharFilter(field_name="element__code", label=_("data element code"))

    class Meta:
        model = models.DataValue
        fields = ["status", "origin", "element", "period", "division"]


class TargetSetFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "name_zh")

    class Meta:
        model = models.TargetSet
        fields = ["year"]


class TargetFilterSet(SearchFilterSet):
    search_fields = ("wording", "indicator__code")

    class Meta:
        model = models.Target
        fields = ["target_set", "direction"]


class AssessmentSchemeFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = models.AssessmentScheme
        fields = ["year"]


class AssessmentItemFilterSet(SearchFilterSet):
    search_fields = ("code", "title")

    class Meta:
        model = models.AssessmentItem
        fields = ["scheme"]


class AssessmentFilterSet(SearchFilterSet):
    search_fields = ("division__name",)
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = models.Assessment
        fields = ["scheme", "status", "grade", "division"]
