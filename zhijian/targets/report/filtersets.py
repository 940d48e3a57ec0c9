"""The quality-report filter set, shared by the list page and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from ..models import QualityReport


class QualityReportFilterSet(SearchFilterSet):
    search_fields = ("division__name", "period")
    status = django_filters.ChoiceFilter(choices=QualityReport.Status.choices, label=_("status"))
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = QualityReport
        fields = ["status", "period", "published", "division"]
