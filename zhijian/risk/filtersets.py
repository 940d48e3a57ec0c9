"""Filter sets shared by the list pages and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import models


class IncidentFilterSet(SearchFilterSet):
    search_fields = ("number", "product_name", "batch", "enterprise__name", "enterprise__uscc__iexact", "place")
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = models.Incident
        fields = ["status", "level", "channel", "category", "division"]


class AlertFilterSet(SearchFilterSet):
    search_fields = ("number", "title", "product")

    class Meta:
        model = models.Alert
        fields = ["status", "level", "source", "category"]


class SentinelHospitalFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = models.SentinelHospital
        fields = ["stratum", "active"]


class InjuryCaseFilterSet(SearchFilterSet):
    search_fields = ("case_number__iexact", "narrative", "diagnosis")
    treated_after = django_filters.DateFilter(field_name="treated_on", lookup_expr="gte", label=_("treated from"))
    treated_before = django_filters.DateFilter(field_name="treated_on", lookup_expr="lte", label=_("treated until"))

    class Meta:
        model = models.InjuryCase
        fields = ["hospital", "product", "disposition", "sex", "classified", "source", "treated_after", "treated_before"]


class IncidentLevelFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "name_zh")

    class Meta:
        model = models.IncidentLevel
        fields = ["escalate_to"]


class RiskAssessmentFilterSet(SearchFilterSet):
    search_fields = ("product", "worst_scenario", "hazard")

    class Meta:
        model = models.RiskAssessment
        fields = ["level", "category"]


class SignalFilterSet(SearchFilterSet):
    search_fields = ("category__code", "category__name", "hazard")

    class Meta:
        model = models.Signal
        fields = ["definition", "status", "category"]


class SignalDefinitionFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = models.SignalDefinition
        fields = ["source", "method", "active"]


class OpinionSourceFilterSet(SearchFilterSet):
    search_fields = ("name", "location")

    class Meta:
        model = models.OpinionSource
        fields = ["kind", "active", "last_status"]


class OpinionItemFilterSet(SearchFilterSet):
    search_fields = ("title", "text")
    duplicates = django_filters.BooleanFilter(field_name="duplicate_of", lookup_expr="isnull", exclude=True,
                                              label=_("near duplicates only"))

    class Meta:
        model = models.OpinionItem
        fields = ["source", "category", "hazard", "sentiment", "story"]


class OpinionStoryFilterSet(SearchFilterSet):
    search_fields = ("title", "product", "note")

    class Meta:
        model = models.OpinionStory
        fields = ["triage", "category", "hazard", "sentiment"]
