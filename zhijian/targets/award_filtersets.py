"""Filter sets of awards, brands and demonstration zones (pages and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import awards


class AwardApplicationFilterSet(SearchFilterSet):
    search_fields = ("title", "enterprise__name", "enterprise__uscc", "decision_number")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = awards.AwardApplication
        fields = ["kind", "year", "status", "enterprise", "division"]


class BrandFilterSet(SearchFilterSet):
    search_fields = ("name", "enterprise__name", "enterprise__uscc")
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = awards.Brand
        fields = ["kind", "year", "enterprise", "division"]


class DemonstrationZoneFilterSet(SearchFilterSet):
    search_fields = ("name",)
    division = django_filters.CharFilter(field_name="division__pk", lookup_expr="startswith",
                                         label=_("Division (and below)"))

    class Meta:
        model = awards.DemonstrationZone
        fields = ["kind", "status", "year", "division"]
