"""List-page tables of the registry (django-tables2).

Columns that follow a relation need the relation in the view's queryset
(``select_related`` / ``prefetch_related``), so a page costs the same number of
queries for 1 row or 500.
"""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable, months_text

from . import models


def _url(obj):
    return obj.get_absolute_url() if obj is not None else None


class DivisionTable(BaseTable):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)
    parent = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Division
        fields = ("code", "name", "level", "parent")


class IndustryTable(BaseTable):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)
    parent = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Industry
        fields = ("code", "name", "level", "section", "parent")


class ProductCategoryTable(BaseTable):
    name = tables.Column(linkify=True)
    key_supervised = tables.BooleanColumn()
    seasonal_months = tables.Column(orderable=False)

    class Meta(BaseTable.Meta):
        model = models.ProductCategory
        fields = ("code", "name", "group", "kind", "key_supervised", "risk_class",
                  "seasonal_months", "licence_required", "ccc_required")

    def render_seasonal_months(self, value):
        return months_text(value)


class StandardTable(BaseTable):
    code = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Standard
        fields = ("code", "title", "kind", "status", "effective_on", "issuer")


class EnterpriseTable(BaseTable):
    name = tables.Column(linkify=True)
    division = tables.Column(linkify=True)
    industry = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Enterprise
        fields = ("name", "uscc", "division", "industry", "scale", "status")


class ProductTable(BaseTable):
    name = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)
    category = tables.Column(linkify=True)
    standard = tables.Column(linkify=lambda record: _url(record.standard), accessor="standard__code")

    class Meta(BaseTable.Meta):
        model = models.Product
        fields = ("name", "enterprise", "category", "brand", "model_number", "standard")


class StandardDeclarationTable(BaseTable):
    product_name = tables.Column(linkify=lambda record: record.get_absolute_url())
    enterprise = tables.Column(linkify=True)
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("unified social credit code"))
    standard = tables.Column(linkify=lambda record: _url(record.standard), accessor="standard__code",
                             verbose_name=_("declared standard"))

    class Meta(BaseTable.Meta):
        model = models.StandardDeclaration
        fields = ("product_name", "enterprise", "uscc", "standard", "published_on", "status")


class CertificationTable(BaseTable):
    number = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Certification
        fields = ("number", "kind", "enterprise", "issuer", "valid_until", "status")


class LabTable(BaseTable):
    name = tables.Column(linkify=True)
    division = tables.Column(linkify=True)
    categories = tables.ManyToManyColumn(linkify_item=True, verbose_name=_("product categories"))

    class Meta(BaseTable.Meta):
        model = models.Lab
        fields = ("name", "accreditation_number", "division", "level", "categories",
                  "accredited_until", "status")


class InspectorTable(BaseTable):
    name = tables.Column(linkify=True)
    division = tables.Column(linkify=True)
    categories = tables.ManyToManyColumn(linkify_item=True, verbose_name=_("product categories"))

    class Meta(BaseTable.Meta):
        model = models.Inspector
        fields = ("name", "badge_number", "division", "categories", "status")


class AwardTable(BaseTable):
    kind = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Award
        fields = ("kind", "title", "enterprise", "year", "awarded_by")


class BrandTable(BaseTable):
    name = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Brand
        fields = ("name", "kind", "enterprise", "year", "valid_until")
