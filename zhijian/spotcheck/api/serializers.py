"""Serializers of the spot-check API (relations as primary keys, names in ``*_detail``)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer
from zhijian.registry.api.serializers import (
    BriefDivisionSerializer,
    BriefEnterpriseSerializer,
    BriefProductCategorySerializer,
)

from .. import models


class PlanSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    categories_detail = BriefProductCategorySerializer(source="categories", many=True, read_only=True)
    class_ratios = serializers.DictField(child=serializers.FloatField(min_value=0, max_value=1),
                                         required=False)

    class Meta:
        model = models.Plan
        fields = ["id", "title", "kind", "year", "period", "starts_on", "ends_on", "division",
                  "division_detail", "level", "categories", "categories_detail", "scope_divisions",
                  "strata_level", "quota_mode", "quota_count", "quota_ratio", "risk_weighting",
                  "class_ratios", "inspectors_per_task", "status", "notes", "created", "last_updated"]
        read_only_fields = ["level", "status"]
        extra_kwargs = {"categories": {"allow_empty": False}}

    def validate(self, attrs):
        categories = attrs.get("categories")
        if categories is not None and attrs.get("kind", getattr(self.instance, "kind", None)) == \
                models.Plan.Kind.SEASONAL:
            unseasonal = [c.code for c in categories if not c.seasonal_months]
            if unseasonal:
                raise serializers.ValidationError({"categories": _(
                    "A seasonal plan takes categories with a season; %(codes)s have none.")
                    % {"codes": ", ".join(unseasonal)}})
        return super().validate(attrs)


class PlanLabSerializer(ScopedModelSerializer):
    class Meta:
        model = models.PlanLab
        fields = ["id", "plan", "category", "lab"]

    def validate(self, attrs):
        plan = attrs.get("plan", getattr(self.instance, "plan", None))
        category = attrs.get("category", getattr(self.instance, "category", None))
        if plan is not None and category is not None and \
                not plan.categories.filter(pk=category.pk).exists():
            raise serializers.ValidationError({"category": _("The category is not one of the plan's.")})
        if plan is not None and plan.status != models.Plan.Status.DRAFT:
            raise serializers.ValidationError({"plan": _("Labs are assigned while the plan is a draft.")})
        return super().validate(attrs)


class TestItemSerializer(ScopedModelSerializer):
    class Meta:
        model = models.TestItem
        fields = ["id", "task", "retest", "name", "standard", "clause", "requirement", "measured",
                  "verdict"]
        read_only_fields = fields


class TaskSerializer(ScopedModelSerializer):
    enterprise_detail = BriefEnterpriseSerializer(source="enterprise", read_only=True)
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)
    final_verdict = serializers.CharField(read_only=True)

    class Meta:
        model = models.Task
        fields = ["id", "plan", "enterprise", "enterprise_detail", "category", "category_detail",
                  "division", "stratum", "inspectors", "lab", "status", "product", "sample_name",
                  "sample_quantity", "sample_batch", "sampled_on", "delivered_on", "verdict",
                  "tested_on", "report_number", "notified_on", "served_by_announcement",
                  "objection_due", "retest_verdict", "rectification_due", "recheck_verdict",
                  "case_reference", "publication_due", "published_on", "closed_on",
                  "final_verdict", "created", "last_updated"]
        read_only_fields = fields
        # who sampled and which enforcement case followed: not for the public
        private_fields = ("inspectors", "case_reference", "stratum")


class DrawSerializer(ScopedModelSerializer):
    class Meta:
        model = models.Draw
        fields = ["id", "plan", "commitment", "committed_at", "committed_by", "public_value_source",
                  "public_value_at", "public_value", "public_value_entered_by", "public_value_entered_at",
                  "secret", "seed", "algorithm", "pool_hash", "pool_size", "inputs_hash", "record_hash",
                  "drawn_at", "published_at"]
        read_only_fields = fields


class InspectorConflictSerializer(ScopedModelSerializer):
    class Meta:
        model = models.InspectorConflict
        fields = ["id", "inspector", "enterprise", "reason", "created", "last_updated"]


class CommitSerializer(serializers.Serializer):
    commitment = serializers.CharField(max_length=64, help_text=_("SHA-256 of the secret, 64 hex digits."))
    public_value_source = serializers.CharField(
        max_length=255, help_text=_("Where the public value will be published (e.g. a lottery and its issue)."))
    public_value_at = serializers.DateTimeField(
        help_text=_("When that value is announced; after the commitment. The draw cannot be made before."))


class PublicValueSerializer(serializers.Serializer):
    public_value = serializers.CharField(max_length=255,
                                         help_text=_("The value as announced (entered by a second officer)."))


class DrawRequestSerializer(serializers.Serializer):
    secret = serializers.CharField(max_length=128)


@extend_schema_serializer(component_name="TaskStep")
class StepSerializer(serializers.Serializer):
    """The data of a step (fields as in ``services.TRANSITIONS``); free-form."""

    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
