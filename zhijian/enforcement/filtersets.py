"""Filter sets shared by the list pages and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import models


class CaseFilterSet(SearchFilterSet):
    search_fields = ("number", "title", "enterprise__name", "enterprise__uscc__iexact", "origin_reference")
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))
    suspended = django_filters.BooleanFilter(label=_("suspended pending a judicial organ"))

    class Meta:
        model = models.Case
        fields = ["status", "origin", "outcome", "division", "suspended"]


class PenaltyDecisionFilterSet(SearchFilterSet):
    search_fields = ("number", "case__number", "case__enterprise__name", "case__enterprise__uscc__iexact")
    decided_after = django_filters.DateFilter(field_name="decided_on", lookup_expr="gte", label=_("decided from"))
    decided_before = django_filters.DateFilter(field_name="decided_on", lookup_expr="lte", label=_("decided until"))

    class Meta:
        model = models.PenaltyDecision
        fields = ["severity", "decided_after", "decided_before"]


class JudicialTransferFilterSet(SearchFilterSet):
    search_fields = ("organ_name", "suspected_crime", "case__number", "case__enterprise__name")

    class Meta:
        model = models.JudicialTransfer
        fields = ["status", "organ_kind"]
