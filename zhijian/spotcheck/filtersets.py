"""Filter sets of the spot-check models, shared by the pages and the API (DESIGN §4)."""
import django_filters
from django import forms
from django.utils.translation import gettext_lazy

from zhijian.registry.filtersets import SearchFilterSet, in_division
from zhijian.registry.models import ProductCategory

from . import services
from .models import InspectorConflict, Plan, Task


class PlanFilterSet(SearchFilterSet):
    search_fields = ("title", "period")
    division = django_filters.CharFilter(field_name="division__pk", method=in_division,
                                         label=gettext_lazy("Division (and below)"))

    class Meta:
        model = Plan
        fields = ["kind", "year", "period", "status", "level"]


class TaskFilterSet(SearchFilterSet):
    search_fields = ("enterprise__uscc__iexact", "enterprise__name", "sample_name")
    plan = django_filters.ModelChoiceFilter(queryset=Plan.objects.all(), label=gettext_lazy("plan"))
    category = django_filters.ModelChoiceFilter(queryset=ProductCategory.objects.all(),
                                                label=gettext_lazy("category"))
    division = django_filters.CharFilter(field_name="division__pk", method=in_division,
                                         label=gettext_lazy("Division (and below)"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("overdue"),
                                           widget=forms.Select(choices=[
                                               ("", "---------"), ("true", gettext_lazy("Yes")),
                                               ("false", gettext_lazy("No"))]))

    mine = django_filters.BooleanFilter(method="filter_mine", label=gettext_lazy("my tasks"),
                                        widget=forms.Select(choices=[
                                            ("", "---------"), ("true", gettext_lazy("Yes"))]))

    class Meta:
        model = Task
        fields = ["plan", "status", "category", "verdict", "enterprise", "lab"]

    def filter_mine(self, queryset, name, value):
        """Tasks the user works on (may change), e.g. a lab's or an enterprise's own."""
        if not value or self.request is None:
            return queryset
        return queryset.filter(pk__in=Task.objects.restrict(self.request.user, "change").values("pk"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = services.overdue_q(services.today())
        return queryset.filter(q) if value else queryset.exclude(q)


class InspectorConflictFilterSet(SearchFilterSet):
    search_fields = ("inspector__name", "inspector__badge_number", "enterprise__name",
                     "enterprise__uscc__iexact", "reason")

    class Meta:
        model = InspectorConflict
        fields = ["inspector", "enterprise"]
