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


class ListingFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name", "reason")
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", lookup_expr="iexact",
                                     label=_("unified social credit code"))
    kind = django_filters.ChoiceFilter(choices=models.EnterpriseListing.Kind.choices, label=_("list"))
    in_force = django_filters.BooleanFilter(method="filter_in_force", label=_("in force today"))
    removal = django_filters.ChoiceFilter(choices=models.ListingRemoval.choices, label=_("removed because"))

    class Meta:
        model = models.EnterpriseListing
        fields = ["uscc", "kind", "in_force", "removal"]

    def filter_in_force(self, queryset, name, value):
        from .publication import active_listing_q

        if value is None:
            return queryset
        return queryset.filter(active_listing_q()) if value else queryset.exclude(active_listing_q())


class PenaltyPublicationFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name", "decision_number")
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", lookup_expr="iexact",
                                     label=_("unified social credit code"))
    severity = django_filters.ChoiceFilter(choices=models.PenaltySeverity.choices, label=_("severity"))
    state = django_filters.ChoiceFilter(method="filter_state", label=_("publication state"), choices=[
        ("to_publish", _("to publish")), ("published", _("published now")),
        ("to_withdraw", _("revoked, to withdraw")), ("ended", _("withdrawn or period ended"))])

    class Meta:
        model = models.PenaltyPublication
        fields = ["uscc", "severity", "state"]

    def filter_state(self, queryset, name, value):
        from .publication import published_penalties_q

        if value == "to_publish":
            return queryset.filter(published_on__isnull=True, revoked_on__isnull=True)
        if value == "published":
            return queryset.filter(published_penalties_q())
        if value == "to_withdraw":
            return queryset.filter(revoked_on__isnull=False, published_on__isnull=False,
                                   withdrawn_on__isnull=True)
        if value == "ended":
            return queryset.filter(published_on__isnull=False).exclude(published_penalties_q())
        return queryset


class RepairApplicationFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name")
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", lookup_expr="iexact",
                                     label=_("unified social credit code"))
    status = django_filters.ChoiceFilter(choices=models.RepairApplication.Status.choices, label=_("status"))

    class Meta:
        model = models.RepairApplication
        fields = ["uscc", "status"]
