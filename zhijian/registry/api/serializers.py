"""Serializers of the registry API.

Relations are written and read as primary keys (a division or industry by its
code); for reading, the names come along in ``*_detail`` objects so a client
needs no second request. Fields listed in ``Meta.private_fields`` are not shown
to readers who see a row only because it is public.
"""
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer

from .. import models

DIVISION_CODE = re.compile(r"^[0-9]{6}$")


class BriefDivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Division
        fields = ["code", "name", "level"]
        read_only_fields = fields


class BriefIndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Industry
        fields = ["code", "name"]
        read_only_fields = fields


class BriefProductCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ProductCategory
        fields = ["id", "code", "name"]
        read_only_fields = fields


class BriefStandardSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Standard
        fields = ["id", "code", "title"]
        read_only_fields = fields


class BriefEnterpriseSerializer(serializers.ModelSerializer):
    division = serializers.CharField(source="division_id", read_only=True)

    class Meta:
        model = models.Enterprise
        fields = ["id", "uscc", "name", "division"]
        read_only_fields = fields


# --------------------------------------------------------------------------- reference


class DivisionSerializer(ScopedModelSerializer):
    parent_detail = BriefDivisionSerializer(source="parent", read_only=True, allow_null=True)

    class Meta:
        model = models.Division
        fields = ["code", "name", "level", "parent", "parent_detail"]

    def validate_code(self, value):
        if not DIVISION_CODE.match(value):
            raise serializers.ValidationError(_("A GB/T 2260 code has six digits."))
        return value


class IndustrySerializer(ScopedModelSerializer):
    parent_detail = BriefIndustrySerializer(source="parent", read_only=True, allow_null=True)

    class Meta:
        model = models.Industry
        fields = ["code", "name", "level", "section", "parent", "parent_detail"]


class ProductCategorySerializer(ScopedModelSerializer):
    seasonal_months = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=12), required=False, max_length=12,
        help_text=_("Months (1-12) of the product's season."))

    class Meta:
        model = models.ProductCategory
        fields = ["id", "code", "name", "group", "kind", "key_supervised", "risk_class",
                  "seasonal_months", "licence_required", "ccc_required", "special_requirements",
                  "created", "last_updated"]


class StandardSerializer(ScopedModelSerializer):
    class Meta:
        model = models.Standard
        fields = ["id", "code", "title", "kind", "status", "issued_on", "effective_on", "issuer",
                  "created", "last_updated"]


# --------------------------------------------------------------------------- regulated world


class EnterpriseSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    industry_detail = BriefIndustrySerializer(source="industry", read_only=True, allow_null=True)
    uscc_legacy_approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text=_("Who approved the legacy code: the user who set the flag, reason or code."))

    class Meta:
        model = models.Enterprise
        fields = ["id", "uscc", "uscc_legacy", "uscc_legacy_reason", "uscc_legacy_approved_by",
                  "uscc_legacy_approved_at", "name", "division", "division_detail", "industry",
                  "industry_detail", "address", "legal_representative", "established_on",
                  "registered_capital", "scale", "status", "phone", "created", "last_updated"]
        read_only_fields = ["uscc_legacy_approved_at"]
        private_fields = ("phone", "uscc_legacy_approved_by", "uscc_legacy_approved_at")
        extra_kwargs = {"phone": {"help_text": _("Shown only to staff of the region and the "
                                                 "enterprise itself.")}}

    def save(self, **kwargs):
        # The approver of a legacy code is the requesting user (Enterprise.save stamps it).
        user = getattr(self.context.get("request"), "user", None)
        kwargs.setdefault("legacy_approver", user if getattr(user, "is_authenticated", False) else None)
        return super().save(**kwargs)

    def create(self, validated_data):
        approver = validated_data.pop("legacy_approver", None)
        instance = models.Enterprise(**validated_data)
        instance.legacy_approver = approver
        instance.save()
        return instance

    def update(self, instance, validated_data):
        instance.legacy_approver = validated_data.pop("legacy_approver", None)
        return super().update(instance, validated_data)


class _EnterpriseOwnedSerializer(ScopedModelSerializer):
    enterprise_detail = BriefEnterpriseSerializer(source="enterprise", read_only=True)


class ProductSerializer(_EnterpriseOwnedSerializer):
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)

    class Meta:
        model = models.Product
        fields = ["id", "enterprise", "enterprise_detail", "category", "category_detail", "name",
                  "brand", "model_number", "barcode", "standard", "created", "last_updated"]


class StandardDeclarationSerializer(_EnterpriseOwnedSerializer):
    standard_detail = BriefStandardSerializer(source="standard", read_only=True)

    class Meta:
        model = models.StandardDeclaration
        fields = ["id", "enterprise", "enterprise_detail", "product_name", "category", "standard",
                  "standard_detail", "indicators", "published_on", "status", "created",
                  "last_updated"]


class CertificationSerializer(_EnterpriseOwnedSerializer):
    class Meta:
        model = models.Certification
        fields = ["id", "enterprise", "enterprise_detail", "kind", "number", "issuer",
                  "valid_from", "valid_until", "status", "created", "last_updated"]


class LabSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.Lab
        fields = ["id", "name", "uscc", "accreditation_number", "division", "division_detail",
                  "level", "scope_text", "categories", "accredited_until", "status", "created",
                  "last_updated"]


class InspectorSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.Inspector
        fields = ["id", "name", "badge_number", "division", "division_detail", "categories",
                  "status", "phone", "created", "last_updated"]
        private_fields = ("phone",)


class AwardSerializer(_EnterpriseOwnedSerializer):
    class Meta:
        model = models.Award
        fields = ["id", "enterprise", "enterprise_detail", "kind", "title", "year", "awarded_by",
                  "created", "last_updated"]

    def validate(self, attrs):
        # The eligibility rules of Award.clean() (hooks: e.g. the serious-violation list).
        from ..hooks import award_refusal

        attrs = super().validate(attrs)
        enterprise = attrs.get("enterprise", getattr(self.instance, "enterprise", None))
        year = attrs.get("year", getattr(self.instance, "year", None))
        if enterprise is not None and year:
            message = award_refusal(enterprise.pk, year)
            if message:
                raise serializers.ValidationError({"enterprise": message})
        return attrs


class BrandSerializer(_EnterpriseOwnedSerializer):
    class Meta:
        model = models.Brand
        fields = ["id", "enterprise", "enterprise_detail", "kind", "name", "year", "valid_until",
                  "created", "last_updated"]
