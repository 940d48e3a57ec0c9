"""Filter sets shared by the list pages and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import models


class LotFilterSet(SearchFilterSet):
    search_fields = ("code", "description", "operator__name", "operator__uscc__iexact")
    produced_after = django_filters.DateFilter(field_name="produced_on", lookup_expr="gte", label=_("produced from"))
    produced_before = django_filters.DateFilter(field_name="produced_on", lookup_expr="lte", label=_("produced until"))

    class Meta:
        model = models.Lot
        fields = ["operator", "product", "category"]


class MovementFilterSet(SearchFilterSet):
    search_fields = ("source__code", "target__code", "document")

    class Meta:
        model = models.Movement
        fields = ["kind", "source", "target"]


class RecallCaseFilterSet(SearchFilterSet):
    search_fields = ("number", "title", "product_description", "producer__name", "producer__uscc__iexact")
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = models.RecallCase
        fields = ["status", "kind", "origin", "risk_level", "hazard", "division"]


class RecallRecordFilterSet(SearchFilterSet):
    search_fields = ("recall_number", "product_description", "recalling_firm", "code_info", "reason_for_recall")

    class Meta:
        model = models.RecallRecord
        fields = ["classification", "status", "voluntary_mandated", "hazard", "source", "published"]
