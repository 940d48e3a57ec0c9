"""Serializers of the recall API (relations as primary keys, names in ``*_detail``)."""
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer
from zhijian.registry.api.serializers import BriefDivisionSerializer, BriefEnterpriseSerializer

from .. import models
from .. import trace as T


class LotSerializer(ScopedModelSerializer):
    operator_detail = BriefEnterpriseSerializer(source="operator", read_only=True)

    class Meta:
        model = models.Lot
        fields = ["id", "code", "operator", "operator_detail", "product", "category", "description", "quantity",
                  "unit", "produced_on", "created", "last_updated"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        operator = attrs.get("operator") or getattr(self.instance, "operator", None)
        product = attrs.get("product", getattr(self.instance, "product", None))
        if operator is not None and product is not None and product.enterprise_id != operator.pk:
            raise serializers.ValidationError({"product": "The product is another enterprise's."})
        return attrs


class MovementSerializer(ScopedModelSerializer):
    class Meta:
        model = models.Movement
        fields = ["id", "source", "target", "kind", "quantity", "moved_on", "document", "created", "last_updated"]

    def get_fields(self):
        fields = super().get_fields()
        # the target is another operator's lot: any lot may be named (by id); the source is the user's
        fields["target"] = serializers.PrimaryKeyRelatedField(queryset=models.Lot.objects.all())
        return fields


class AffectedLotSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="lot.code", read_only=True)
    operator_name = serializers.CharField(source="operator.name", read_only=True)

    class Meta:
        model = models.AffectedLot
        fields = ["lot", "code", "operator", "operator_name", "depth", "quantity", "notified_on"]


class ProgressReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ProgressReport
        fields = ["id", "reported_on", "located", "recovered", "repaired", "destroyed", "text"]


class RecallEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.RecallEvent
        fields = ["date", "type", "user", "parameters"]


class RecallCaseSerializer(ScopedModelSerializer):
    producer_detail = BriefEnterpriseSerializer(source="producer", read_only=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    affected = AffectedLotSerializer(many=True, read_only=True)
    progress = ProgressReportSerializer(many=True, read_only=True)
    events = RecallEventSerializer(many=True, read_only=True)

    class Meta:
        model = models.RecallCase
        fields = ["id", "number", "title", "division", "division_detail", "producer", "producer_detail", "category",
                  "product", "product_description", "defect", "hazard", "origin", "alert", "incident", "task",
                  "assessment", "risk_level", "status", "opened_on", "investigation", "finding", "notified_on",
                  "objection_due", "objection", "objection_filed_on", "objection_decision", "kind", "decided_on",
                  "plan", "plan_registered_on", "plan_sent_on", "scope_quantity", "scope_computed_at", "summary",
                  "summary_filed_on", "closed_on", "closing_note", "notice_title", "notice_text", "published_at",
                  "affected", "progress", "events", "created", "last_updated"]
        read_only_fields = fields


class OpenCaseSerializer(serializers.Serializer):
    producer = serializers.PrimaryKeyRelatedField(queryset=models.Lot._meta.get_field("operator")
                                                  .related_model.objects.all())
    title = serializers.CharField(max_length=200)
    product_description = serializers.CharField(max_length=255)
    defect = serializers.CharField()
    category = serializers.PrimaryKeyRelatedField(queryset=models.RecallCase._meta.get_field("category")
                                                  .related_model.objects.all(), required=False, allow_null=True)
    hazard = serializers.CharField(required=False, allow_blank=True, default="")
    lots = serializers.PrimaryKeyRelatedField(queryset=models.Lot.objects.all(), many=True, required=False)


class StepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["investigate", "notify", "object", "uphold", "reject", "voluntary",
                                            "order", "plan", "send", "summary", "close", "drop"])
    text = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class ScopeSerializer(serializers.Serializer):
    lots = serializers.PrimaryKeyRelatedField(queryset=models.Lot.objects.all(), many=True, required=False)
    max_depth = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=T.MAX_DEPTH)


class ProgressSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    located = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=0, default=0)
    recovered = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=0, default=0)
    repaired = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=0, default=0)
    destroyed = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=0, default=0)


class NoticeSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField()


class RecallRecordSerializer(ScopedModelSerializer):
    class Meta:
        model = models.RecallRecord
        fields = ["id", "recall_number", "event_id", "classification", "status", "product_description",
                  "product_code", "product_quantity", "code_info", "reason_for_recall", "hazard",
                  "distribution_pattern", "recalling_firm", "enterprise", "city", "state", "country",
                  "voluntary_mandated", "initial_firm_notification", "recall_initiation_date",
                  "center_classification_date", "termination_date", "report_date", "source", "case", "division",
                  "published", "created", "last_updated"]

