"""Registry pages: list / detail / add / edit / delete for every registry model.

All of them are the generic views of ``zhijian.core.views``, so every row comes
through ``restrict(user, action)``; this module only says which queryset
(with its ``select_related`` / ``prefetch_related``), filter set, table, form
and fields each model uses.
"""
from __future__ import annotations

from importlib.util import find_spec

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from zhijian.core import views as generic
from zhijian.core.scope import ROLE_ENTERPRISE, province_prefix, scope_for

from . import filtersets, forms as registry_forms, models, tables

RELATED_LIMIT = 20


def registry_export(model, queryset, fmt):
    """Hand the restricted, filtered queryset to the registry's export module."""
    from .exports import export_response

    return export_response(model, queryset, fmt)


def exports_available() -> bool:
    try:
        return find_spec("zhijian.registry.exports") is not None
    except ModuleNotFoundError:
        return False


def division_choices(user):
    """Divisions the user may see inside the deployment's province, for filter drop-downs."""
    rows = (models.Division.objects.restrict(user, "view")
            .filter(code__startswith=province_prefix())
            .values_list("code", "name", "level"))
    indent = {models.Division.Level.PROVINCE: "", models.Division.Level.PREFECTURE: "\u3000",
              models.Division.Level.COUNTY: "\u3000\u3000"}
    return [("", "---------")] + [(code, f"{indent.get(level, '')}{name} ({code})")
                                  for code, name, level in rows]


class RegistryListView(generic.ObjectListView):
    filter_labels = {"division": _("Division (and below)"), "q": _("Search")}

    def get_exporter(self):
        return registry_export if exports_available() else None

    def customize_filter_form(self, form):
        super().customize_filter_form(form)
        field = form.fields.get("division")
        if field is not None and "division" in self.filter_fields:
            form.fields["division"] = forms.ChoiceField(
                label=field.label, required=False, choices=division_choices(self.request.user))
        if "industry" in form.fields and "industry" in self.filter_fields:
            form.fields["industry"].widget.attrs.update({"placeholder": "38", "size": 8})


# --------------------------------------------------------------------------- divisions


class DivisionListView(RegistryListView):
    model = models.Division
    queryset = models.Division.objects.select_related("parent")
    filterset_class = filtersets.DivisionFilterSet
    table_class = tables.DivisionTable
    filter_fields = ("level",)


class DivisionDetailView(generic.ObjectDetailView):
    model = models.Division
    queryset = models.Division.objects.select_related("parent")
    detail_fields = ("code", "name", "level", "parent")

    def get_extra_context(self, obj):
        from zhijian.core.scope import division_prefix

        user = self.request.user
        children = obj.children.restrict(user, "view").order_by("code")
        enterprises = models.Enterprise.objects.restrict(user, "view").filter(
            division__pk__startswith=division_prefix(obj.code))
        return {"children": children, "enterprise_count": enterprises.count()}


class DivisionEditView(generic.ObjectEditView):
    model = models.Division
    form_class = registry_forms.DivisionForm


class DivisionDeleteView(generic.ObjectDeleteView):
    model = models.Division


# --------------------------------------------------------------------------- industries


class IndustryListView(RegistryListView):
    model = models.Industry
    queryset = models.Industry.objects.select_related("parent")
    filterset_class = filtersets.IndustryFilterSet
    table_class = tables.IndustryTable
    filter_fields = ("level", "section")


class IndustryDetailView(generic.ObjectDetailView):
    model = models.Industry
    queryset = models.Industry.objects.select_related("parent")
    detail_fields = ("code", "name", "level", "section", "parent")

    def get_extra_context(self, obj):
        return {"children": obj.children.restrict(self.request.user, "view").order_by("code")}


class IndustryEditView(generic.ObjectEditView):
    model = models.Industry
    form_class = registry_forms.IndustryForm


class IndustryDeleteView(generic.ObjectDeleteView):
    model = models.Industry


# --------------------------------------------------------------------------- product categories


class ProductCategoryListView(RegistryListView):
    model = models.ProductCategory
    filterset_class = filtersets.ProductCategoryFilterSet
    table_class = tables.ProductCategoryTable
    filter_fields = ("kind", "key_supervised", "risk_class")


class ProductCategoryDetailView(generic.ObjectDetailView):
    model = models.ProductCategory
    detail_fields = ("code", "name", "group", "kind", "key_supervised", "risk_class",
                     "seasonal_months", "licence_required", "ccc_required", "special_requirements")

    def attributes(self, obj):
        from zhijian.core.tables import months_text

        rows = super().attributes(obj)
        for row in rows:
            if row["name"] == "seasonal_months":
                row["value"] = months_text(obj.seasonal_months) or None
        return rows

    def get_extra_context(self, obj):
        user = self.request.user
        return {"product_count": models.Product.objects.restrict(user, "view")
                .filter(category=obj).count()}


class ProductCategoryEditView(generic.ObjectEditView):
    model = models.ProductCategory
    form_class = registry_forms.ProductCategoryForm


class ProductCategoryDeleteView(generic.ObjectDeleteView):
    model = models.ProductCategory


# --------------------------------------------------------------------------- standards


class StandardListView(RegistryListView):
    model = models.Standard
    filterset_class = filtersets.StandardFilterSet
    table_class = tables.StandardTable
    filter_fields = ("kind", "status")


class StandardDetailView(generic.ObjectDetailView):
    model = models.Standard
    detail_fields = ("code", "title", "kind", "status", "issued_on", "effective_on", "issuer")

    def get_extra_context(self, obj):
        user = self.request.user
        return {"declaration_count": models.StandardDeclaration.objects.restrict(user, "view")
                .filter(standard=obj).count()}


class StandardEditView(generic.ObjectEditView):
    model = models.Standard
    form_class = registry_forms.StandardForm


class StandardDeleteView(generic.ObjectDeleteView):
    model = models.Standard


# --------------------------------------------------------------------------- enterprises


class EnterprisePageFilterSet(filtersets.EnterpriseFilterSet):
    # ``industry_id__startswith`` (the shared filter set's lookup) is refused by Django
    # on a foreign key; compare the key column through ``industry__pk`` instead.
    industry = django_filters.CharFilter(field_name="industry__pk", lookup_expr="startswith",
                                         label=_("Industry (code prefix)"))


class EnterpriseListView(RegistryListView):
    model = models.Enterprise
    queryset = models.Enterprise.objects.select_related("division", "industry")
    filterset_class = EnterprisePageFilterSet
    table_class = tables.EnterpriseTable
    filter_fields = ("division", "industry", "status", "scale", "uscc_legacy")
    filter_labels = {**RegistryListView.filter_labels, "industry": _("Industry (code prefix)")}


def can_see_contact(user, enterprise) -> bool:
    """Contact data is for staff and for the enterprise's own users, never public."""
    scope = scope_for(user)
    if scope.unrestricted or scope.is_staff_role:
        return True
    return scope.role == ROLE_ENTERPRISE and scope.enterprise_id == enterprise.pk


class EnterpriseDetailView(generic.ObjectDetailView):
    model = models.Enterprise
    queryset = models.Enterprise.objects.select_related("division", "industry", "uscc_legacy_approved_by")
    detail_fields = ("uscc", "name", "division", "industry", "address", "legal_representative",
                     "established_on", "registered_capital", "scale", "status")
    legacy_fields = ("uscc_legacy", "uscc_legacy_reason", "uscc_legacy_approved_by",
                     "uscc_legacy_approved_at")

    def attributes(self, obj, names=None):
        """The legacy-code flag, reason, approver and time right after the code, when set."""
        rows = super().attributes(obj, names)
        if names is None and obj.uscc_legacy:
            rows[1:1] = super().attributes(obj, self.legacy_fields)
        return rows

    related = (
        # (context key, model, select_related, URL name base)
        ("products", models.Product, ("category", "standard"), "product"),
        ("declarations", models.StandardDeclaration, ("standard", "category"), "standarddeclaration"),
        ("certifications", models.Certification, (), "certification"),
        ("awards", models.Award, (), "award"),
        ("brands", models.Brand, (), "brand"),
    )

    def get_extra_context(self, obj):
        from django.urls import reverse

        from zhijian.core.querysets import scope_q

        user = self.request.user
        sections = []
        for key, model, related, url_base in self.related:
            if scope_q(model, user, "view") is None:
                continue
            qs = model.objects.restrict(user, "view").filter(enterprise=obj)
            if related:
                qs = qs.select_related(*related)
            rows = list(qs[:RELATED_LIMIT + 1])
            add_url = None
            if user.is_authenticated and scope_q(model, user, "add") is not None:
                add_url = f"{reverse(f'registry:{url_base}_add')}?enterprise={obj.uscc}"
            sections.append({
                "key": key,
                "title": model._meta.verbose_name_plural,
                "rows": rows[:RELATED_LIMIT],
                "more": len(rows) > RELATED_LIMIT,
                "list_url": f"{reverse(f'registry:{url_base}_list')}?enterprise={obj.pk}",
                "add_url": add_url,
            })
        return {"sections": sections, "show_contact": can_see_contact(user, obj)}


class EnterpriseEditView(generic.ObjectEditView):
    model = models.Enterprise
    form_class = registry_forms.EnterpriseForm


class EnterpriseDeleteView(generic.ObjectDeleteView):
    model = models.Enterprise


# --------------------------------------------------------------------------- products


class ProductListView(RegistryListView):
    model = models.Product
    queryset = models.Product.objects.select_related("enterprise", "category", "standard")
    filterset_class = filtersets.ProductFilterSet
    table_class = tables.ProductTable
    filter_fields = ("division", "category", "key_supervised")


class ProductDetailView(generic.ObjectDetailView):
    model = models.Product
    queryset = models.Product.objects.select_related("enterprise", "category", "standard")
    detail_fields = ("enterprise", "category", "name", "brand", "model_number", "barcode", "standard")


class ProductEditView(generic.ObjectEditView):
    model = models.Product
    form_class = registry_forms.ProductForm


class ProductDeleteView(generic.ObjectDeleteView):
    model = models.Product


# --------------------------------------------------------------------------- declarations


DECLARATION_QS = models.StandardDeclaration.objects.select_related("enterprise", "standard", "category")


class StandardDeclarationListView(RegistryListView):
    model = models.StandardDeclaration
    queryset = DECLARATION_QS
    filterset_class = filtersets.StandardDeclarationFilterSet
    table_class = tables.StandardDeclarationTable
    filter_fields = ("division", "status", "category")


class StandardDeclarationDetailView(generic.ObjectDetailView):
    model = models.StandardDeclaration
    queryset = DECLARATION_QS
    detail_fields = ("enterprise", "product_name", "category", "standard", "indicators",
                     "published_on", "status")


class StandardDeclarationEditView(generic.ObjectEditView):
    model = models.StandardDeclaration
    form_class = registry_forms.StandardDeclarationForm


class StandardDeclarationDeleteView(generic.ObjectDeleteView):
    model = models.StandardDeclaration
    queryset = DECLARATION_QS


# --------------------------------------------------------------------------- certifications


class CertificationListView(RegistryListView):
    model = models.Certification
    queryset = models.Certification.objects.select_related("enterprise")
    filterset_class = filtersets.CertificationFilterSet
    table_class = tables.CertificationTable
    filter_fields = ("division", "kind", "status")


class CertificationDetailView(generic.ObjectDetailView):
    model = models.Certification
    queryset = models.Certification.objects.select_related("enterprise")
    detail_fields = ("enterprise", "kind", "number", "issuer", "valid_from", "valid_until", "status")


class CertificationEditView(generic.ObjectEditView):
    model = models.Certification
    form_class = registry_forms.CertificationForm


class CertificationDeleteView(generic.ObjectDeleteView):
    model = models.Certification


# --------------------------------------------------------------------------- labs


LAB_QS = models.Lab.objects.select_related("division").prefetch_related("categories")


class LabListView(RegistryListView):
    model = models.Lab
    queryset = LAB_QS
    filterset_class = filtersets.LabFilterSet
    table_class = tables.LabTable
    filter_fields = ("division", "level", "status")


class LabDetailView(generic.ObjectDetailView):
    model = models.Lab
    queryset = LAB_QS
    detail_fields = ("name", "uscc", "accreditation_number", "division", "level", "scope_text",
                     "categories", "accredited_until", "status")


class LabEditView(generic.ObjectEditView):
    model = models.Lab
    form_class = registry_forms.LabForm


class LabDeleteView(generic.ObjectDeleteView):
    model = models.Lab


# --------------------------------------------------------------------------- inspectors


INSPECTOR_QS = models.Inspector.objects.select_related("division").prefetch_related("categories")


class InspectorListView(RegistryListView):
    model = models.Inspector
    queryset = INSPECTOR_QS
    filterset_class = filtersets.InspectorFilterSet
    table_class = tables.InspectorTable
    filter_fields = ("division", "status")


class InspectorDetailView(generic.ObjectDetailView):
    model = models.Inspector
    queryset = INSPECTOR_QS
    detail_fields = ("name", "badge_number", "division", "categories", "status", "phone")


class InspectorEditView(generic.ObjectEditView):
    model = models.Inspector
    form_class = registry_forms.InspectorForm


class InspectorDeleteView(generic.ObjectDeleteView):
    model = models.Inspector


# --------------------------------------------------------------------------- awards and brands


class AwardListView(RegistryListView):
    model = models.Award
    queryset = models.Award.objects.select_related("enterprise")
    filterset_class = filtersets.AwardFilterSet
    table_class = tables.AwardTable
    filter_fields = ("division", "kind", "year")


class AwardDetailView(generic.ObjectDetailView):
    model = models.Award
    queryset = models.Award.objects.select_related("enterprise")
    detail_fields = ("enterprise", "kind", "title", "year", "awarded_by")


class AwardEditView(generic.ObjectEditView):
    model = models.Award
    form_class = registry_forms.AwardForm


class AwardDeleteView(generic.ObjectDeleteView):
    model = models.Award


class BrandListView(RegistryListView):
    model = models.Brand
    queryset = models.Brand.objects.select_related("enterprise")
    filterset_class = filtersets.BrandFilterSet
    table_class = tables.BrandTable
    filter_fields = ("division", "kind", "year")


class BrandDetailView(generic.ObjectDetailView):
    model = models.Brand
    queryset = models.Brand.objects.select_related("enterprise")
    detail_fields = ("enterprise", "kind", "name", "year", "valid_until")


class BrandEditView(generic.ObjectEditView):
    model = models.Brand
    form_class = registry_forms.BrandForm


class BrandDeleteView(generic.ObjectDeleteView):
    model = models.Brand


# The page set of each model, in menu order: (URL name, path prefix, pk converter, views).
PAGES = [
    ("enterprise", "enterprises", "int",
     (EnterpriseListView, EnterpriseDetailView, EnterpriseEditView, EnterpriseDeleteView)),
    ("product", "products", "int",
     (ProductListView, ProductDetailView, ProductEditView, ProductDeleteView)),
    ("standarddeclaration", "declarations", "int",
     (StandardDeclarationListView, StandardDeclarationDetailView, StandardDeclarationEditView,
      StandardDeclarationDeleteView)),
    ("certification", "certifications", "int",
     (CertificationListView, CertificationDetailView, CertificationEditView, CertificationDeleteView)),
    ("award", "awards", "int", (AwardListView, AwardDetailView, AwardEditView, AwardDeleteView)),
    ("brand", "brands", "int", (BrandListView, BrandDetailView, BrandEditView, BrandDeleteView)),
    ("lab", "labs", "int", (LabListView, LabDetailView, LabEditView, LabDeleteView)),
    ("inspector", "inspectors", "int",
     (InspectorListView, InspectorDetailView, InspectorEditView, InspectorDeleteView)),
    ("productcategory", "product-categories", "int",
     (ProductCategoryListView, ProductCategoryDetailView, ProductCategoryEditView,
      ProductCategoryDeleteView)),
    ("standard", "standards", "int",
     (StandardListView, StandardDetailView, StandardEditView, StandardDeleteView)),
    ("division", "divisions", "str",
     (DivisionListView, DivisionDetailView, DivisionEditView, DivisionDeleteView)),
    ("industry", "industries", "str",
     (IndustryListView, IndustryDetailView, IndustryEditView, IndustryDeleteView)),
]
