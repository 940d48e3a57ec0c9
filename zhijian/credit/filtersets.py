"""Filter sets shared by the credit pages, the API and exports."""
import django_filters
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet

from . import models


class GradeFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name")
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", lookup_expr="iexact",
                                     label=_("unified social credit code"))
    grade = django_filters.ChoiceFilter(choices=[(g, g) for g in models.GRADES], label=_("grade"))
    risk_class = django_filters.ChoiceFilter(choices=[(c, c) for c in models.RISK_CLASSES],
                                             label=_("credit-risk class"))
    run = django_filters.NumberFilter(field_name="run_id", label=_("run"), min_value=1,
                                      max_value=2**53, decimal_places=0)

    class Meta:
        model = models.Grade
        fields = ["uscc", "grade", "risk_class", "run"]


class CreditEventFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name", "type__code")
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", lookup_expr="iexact",
                                     label=_("unified social credit code"))
    type = django_filters.CharFilter(field_name="type__code", label=_("type"))

    class Meta:
        model = models.CreditEvent
        fields = ["uscc", "type"]
