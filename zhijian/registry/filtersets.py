"""Filter sets shared by the list pages, the API and exports."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import models


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text ``q`` over ``search_fields``."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="search", label=_("Search"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        cond = Q()
        for field in self.search_fields:
            cond |= Q(**{field: value}) if field.endswith("__iexact") or field.endswith("__exact") \
                else Q(**{f"{field}__icontains": value})
        return queryset.filter(cond)


class DivisionFilterSet(SearchFilterSet):
    search_fields = ("code__startswith", "name")
    parent = django_filters.CharFilter(field_name="parent_id")

    class Meta:
        model = models.Division
        fields = ["level", "parent"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__startswith=value) | Q(name__icontains=value)) if value else queryset


class IndustryFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = models.Industry
        fields = ["level", "section"]


class ProductCategoryFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "group")

    class Meta:
        model = models.ProductCategory
        fields = ["kind", "key_supervised", "risk_class", "group"]


class StandardFilterSet(SearchFilterSet):
    search_fields = ("code", "title")

    class Meta:
        model = models.Standard
        fields = ["kind", "status"]


def in_division(queryset, name, value):
    """Rows whose division is ``value`` or below it (GB/T 2260 prefix)."""
    from zhijian.core.scope import division_prefix

    try:
        prefix = division_prefix(value)
    except ValueError:
        return queryset.none()
    return queryset.filter(**{f"{name}__startswith": prefix})


class EnterpriseFilterSet(SearchFilterSet):
    search_fields = ("uscc__iexact", "name")
    division = django_filters.CharFilter(field_name="division__pk", method=in_division,
                                         label=_("Division (and below)"))
    industry = django_filters.CharFilter(field_name="industry__pk", lookup_expr="startswith")

    uscc_legacy = django_filters.BooleanFilter(label=_("legacy code"))

    class Meta:
        model = models.Enterprise
        fields = ["status", "scale", "division", "industry", "uscc_legacy"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if len(value) == 18 and value.isalnum():
            return queryset.filter(uscc=value.upper())
        return queryset.filter(Q(name__icontains=value) | Q(uscc__startswith=value.upper()))


class ProductFilterSet(SearchFilterSet):
    search_fields = ("name", "brand", "model_number", "enterprise__name")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", method=in_division)
    key_supervised = django_filters.BooleanFilter(field_name="category__key_supervised")

    class Meta:
        model = models.Product
        fields = ["enterprise", "category", "division", "key_supervised"]


class StandardDeclarationFilterSet(SearchFilterSet):
    search_fields = ("product_name", "enterprise__name", "standard__code")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", method=in_division)

    class Meta:
        model = models.StandardDeclaration
        fields = ["enterprise", "status", "category", "division"]


class CertificationFilterSet(SearchFilterSet):
    search_fields = ("number", "enterprise__name", "issuer")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", method=in_division)

    class Meta:
        model = models.Certification
        fields = ["enterprise", "kind", "status", "division"]


class LabFilterSet(SearchFilterSet):
    search_fields = ("name", "accreditation_number")
    division = django_filters.CharFilter(field_name="division__pk", method=in_division)

    class Meta:
        model = models.Lab
        fields = ["level", "status", "division", "categories"]


class InspectorFilterSet(SearchFilterSet):
    search_fields = ("name", "badge_number")
    division = django_filters.CharFilter(field_name="division__pk", method=in_division)

    class Meta:
        model = models.Inspector
        fields = ["status", "division", "categories"]


class AwardFilterSet(SearchFilterSet):
    search_fields = ("title", "enterprise__name")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", method=in_division)

    class Meta:
        model = models.Award
        fields = ["enterprise", "kind", "year", "division"]


class BrandFilterSet(SearchFilterSet):
    search_fields = ("name", "enterprise__name")
    division = django_filters.CharFilter(field_name="enterprise__division__pk", method=in_division)

    class Meta:
        model = models.Brand
        fields = ["enterprise", "kind", "year", "division"]
