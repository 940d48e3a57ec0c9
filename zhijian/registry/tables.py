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


class EnterpriseFlagsColumn(tables.Column):
    """Flags that other apps register on enterprises (``hooks``; credit: "serious-violation list").

    The values are annotations that ``EnterpriseFlagsMixin`` adds to the table's
    queryset, so the column costs no query per row.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("flags"))
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("exclude_from_export", True)
        super().__init__(**kwargs)

    def render(self, record):
        return flags_html(record)

    def value(self, record, value):
        from .hooks import flags_of

        return ", ".join(f.name for f in flags_of(record))


def flags_html(record):
    from django.utils.html import format_html_join

    from .hooks import flags_of

    return format_html_join("", ' <span class="badge flag {}" data-flag="{}">{}</span>',
                            ((f.css, f.name, f.label) for f in flags_of(record)))


class FlaggedEnterpriseColumn(tables.Column):
    """The enterprise, linked, followed by its flags (``EnterpriseFlagsMixin`` annotations).

    For the enterprise's own name (``name`` on the enterprise table) or a foreign key to it;
    keeps the table's columns as they were.
    """

    def __init__(self, *args, link_row: bool = False, **kwargs):
        self.link_row = link_row  # link the row's object (e.g. the grade) instead of the enterprise
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        from django.utils.html import format_html

        target = record if self.link_row or not hasattr(value, "get_absolute_url") else value
        return format_html('<a href="{}">{}</a>{}', target.get_absolute_url(), value, flags_html(record))

    def value(self, value, record):
        return str(value)


class EnterpriseFlagsMixin:
    """A table whose rows carry an enterprise: annotates its queryset with the enterprise flags.

    ``flags_enterprise_path`` is the path of the enterprise id (``"pk"`` for enterprises).
    """

    flags_enterprise_path = "enterprise_id"

    def __init__(self, data=None, *args, **kwargs):
        from django.db.models import QuerySet

        from .hooks import annotate_enterprise_flags

        if isinstance(data, QuerySet):
            data = annotate_enterprise_flags(data, self.flags_enterprise_path)
        super().__init__(data, *args, **kwargs)


class UsccColumn(tables.Column):
    """The code; a legacy code (fails GB 32100, recorded with a reason) gets a badge whose
    title is the reason."""

    def render(self, value, record):
        from django.utils.html import format_html

        if not getattr(record, "uscc_legacy", False):
            return value
        return format_html('{} <span class="badge flag legacy-uscc" data-flag="uscc_legacy" '
                           'title="{}">{}</span>', value, record.uscc_legacy_reason, _("legacy code"))

    def value(self, value, record):
        return value


class EnterpriseTable(EnterpriseFlagsMixin, BaseTable):
    flags_enterprise_path = "pk"
    name = FlaggedEnterpriseColumn()  # with e.g. "serious-violation list" (hooks)
    uscc = UsccColumn()
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
