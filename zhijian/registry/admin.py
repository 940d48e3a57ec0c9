"""Django admin for the registry; querysets and writes are scoped (``ScopedModelAdmin``)."""
from django.contrib import admin

from zhijian.core.admin import ScopedModelAdmin

from . import models


@admin.register(models.Division)
class DivisionAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)


@admin.register(models.Industry)
class IndustryAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "level", "section", "parent")
    list_filter = ("level", "section")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)


@admin.register(models.ProductCategory)
class ProductCategoryAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "group", "kind", "key_supervised", "risk_class",
                    "seasonal_months", "licence_required", "ccc_required")
    list_filter = ("kind", "key_supervised", "risk_class", "licence_required", "ccc_required")
    search_fields = ("code", "name", "group")


@admin.register(models.Standard)
class StandardAdmin(ScopedModelAdmin):
    list_display = ("code", "title", "kind", "status", "effective_on", "issuer")
    list_filter = ("kind", "status")
    search_fields = ("code", "title")


@admin.register(models.Enterprise)
class EnterpriseAdmin(ScopedModelAdmin):
    list_display = ("name", "uscc", "uscc_legacy", "division", "industry", "scale", "status")
    list_filter = ("status", "scale", "uscc_legacy")
    search_fields = ("name", "=uscc")
    list_select_related = ("division", "industry")
    raw_id_fields = ("division", "industry")
    # who approved a legacy code and when: set from the acting user on save
    readonly_fields = ("uscc_legacy_approved_by", "uscc_legacy_approved_at")


class EnterpriseChildAdmin(ScopedModelAdmin):
    raw_id_fields = ("enterprise",)
    list_select_related = ("enterprise",)


@admin.register(models.Product)
class ProductAdmin(EnterpriseChildAdmin):
    list_display = ("name", "enterprise", "category", "brand", "model_number", "standard")
    list_filter = ("category__key_supervised",)
    search_fields = ("name", "brand", "model_number", "barcode", "enterprise__name", "=enterprise__uscc")
    list_select_related = ("enterprise", "category", "standard")
    raw_id_fields = ("enterprise", "standard")


@admin.register(models.StandardDeclaration)
class StandardDeclarationAdmin(EnterpriseChildAdmin):
    list_display = ("product_name", "enterprise", "standard", "published_on", "status")
    list_filter = ("status",)
    search_fields = ("product_name", "enterprise__name", "=enterprise__uscc", "standard__code")
    list_select_related = ("enterprise", "standard")
    raw_id_fields = ("enterprise", "standard")


@admin.register(models.Certification)
class CertificationAdmin(EnterpriseChildAdmin):
    list_display = ("number", "kind", "enterprise", "issuer", "valid_until", "status")
    list_filter = ("kind", "status")
    search_fields = ("number", "enterprise__name", "=enterprise__uscc", "issuer")


@admin.register(models.Lab)
class LabAdmin(ScopedModelAdmin):
    list_display = ("name", "accreditation_number", "division", "level", "accredited_until", "status")
    list_filter = ("level", "status")
    search_fields = ("name", "accreditation_number", "=uscc")
    list_select_related = ("division",)
    raw_id_fields = ("division",)
    filter_horizontal = ("categories",)


@admin.register(models.Inspector)
class InspectorAdmin(ScopedModelAdmin):
    list_display = ("name", "badge_number", "division", "status")
    list_filter = ("status",)
    search_fields = ("name", "badge_number")
    list_select_related = ("division",)
    raw_id_fields = ("division",)
    filter_horizontal = ("categories",)


@admin.register(models.Award)
class AwardAdmin(EnterpriseChildAdmin):
    list_display = ("kind", "title", "enterprise", "year", "awarded_by")
    list_filter = ("kind", "year")
    search_fields = ("title", "enterprise__name", "=enterprise__uscc")


@admin.register(models.Brand)
class BrandAdmin(EnterpriseChildAdmin):
    list_display = ("name", "kind", "enterprise", "year", "valid_until")
    list_filter = ("kind", "year")
    search_fields = ("name", "enterprise__name", "=enterprise__uscc")
