"""Filter set of complaints and reports, shared by the case list, its exports and the API."""
import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhijian.registry.filtersets import SearchFilterSet, in_division
from zhijian.registry.models import ProductCategory

from . import services
from .models import HAZARDS, Case, Channel, Kind

DUE_CHOICES = [("", "---------"), ("overdue", _("overdue")), ("due_soon", _("due within 3 working days")),
               ("open", _("open (any deadline)"))]


class CaseFilterSet(SearchFilterSet):
    """``?q=`` searches the ticket, the respondent's name and USCC (never personal data)."""

    search_fields = ("ticket__iexact", "respondent_uscc__iexact", "respondent_name", "external_id__iexact")
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("kind"))
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("status"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("channel"))
    division = django_filters.CharFilter(field_name="division__pk", method=in_division,
                                         label=_("Division (and below)"))
    category = django_filters.ModelChoiceFilter(queryset=ProductCategory.objects.all(),
                                                label=_("product category"))
    hazard = django_filters.ChoiceFilter(choices=HAZARDS, label=_("hazard"))
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES[1:], method="filter_due", label=_("deadline"),
                                      empty_label="---------")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte",
                                               label=_("received from"),
                                               widget=forms.DateInput(attrs={"type": "date"}))
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte",
                                                label=_("received until"),
                                                widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Case
        fields = ["kind", "status", "channel", "category", "hazard", "respondent", "respondent_match",
                  "labels_confirmed"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(ticket__iexact=value) | Q(respondent_uscc__iexact=value)
                               | Q(external_id__iexact=value) | Q(respondent_name__icontains=value))

    def filter_due(self, queryset, name, value):
        on = services.today()
        if value == "overdue":
            return queryset.filter(next_due__lt=on)
        if value == "due_soon":
            return queryset.filter(next_due__gte=on, next_due__lte=services.due_soon_limit(on))
        if value == "open":
            return queryset.filter(next_due__isnull=False)
        return queryset
