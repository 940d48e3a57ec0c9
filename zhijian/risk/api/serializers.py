"""Serializers of the risk API (relations as primary keys, names in ``*_detail``)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer
from zhijian.registry.api.serializers import (
    BriefDivisionSerializer,
    BriefEnterpriseSerializer,
    BriefProductCategorySerializer,
)

from .. import models, services


class IncidentLevelSerializer(ScopedModelSerializer):
    class Meta:
        model = models.IncidentLevel
        fields = ["id", "code", "rank", "name", "name_zh", "min_deaths", "min_serious_injuries", "min_loss",
                  "report_hours", "escalate_hours", "escalate_to", "follow_up_days", "supplement_days", "basis"]


class IncidentReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.IncidentReport
        fields = ["id", "kind", "reported_at", "text", "deaths", "serious_injuries", "minor_injuries",
                  "property_loss"]


class IncidentClockSerializer(serializers.Serializer):
    first_report_due = serializers.DateTimeField()
    first_report_late = serializers.BooleanField()
    next_report_due = serializers.DateTimeField(allow_null=True)
    follow_up_overdue = serializers.BooleanField()
    supplement_until = serializers.DateTimeField()
    escalate_to = serializers.CharField()
    escalation_due = serializers.DateTimeField()


class IncidentSerializer(ScopedModelSerializer):
    enterprise_detail = BriefEnterpriseSerializer(source="enterprise", read_only=True)
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    level_code = serializers.CharField(source="level.code", read_only=True)
    reports = IncidentReportSerializer(many=True, read_only=True)
    clock = serializers.SerializerMethodField()

    class Meta:
        model = models.Incident
        fields = ["id", "number", "enterprise", "enterprise_detail", "category", "category_detail",
                  "product_name", "batch", "occurred_at", "division", "division_detail", "place", "deaths",
                  "serious_injuries", "minor_injuries", "property_loss", "description", "cause", "measures",
                  "channel", "reported_at", "level", "level_code", "status", "last_report_at", "closed_at",
                  "reports", "clock", "created", "last_updated"]
        read_only_fields = ["number", "channel", "reported_at", "level", "status", "last_report_at",
                            "closed_at"]

    def get_clock(self, obj) -> dict:
        return IncidentClockSerializer(services.incident_clock(obj)).data


class ReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[c for c in models.IncidentReport.Kind.choices if c[0] != "initial"])
    text = serializers.CharField()
    deaths = serializers.IntegerField(min_value=0, required=False)
    serious_injuries = serializers.IntegerField(min_value=0, required=False)
    minor_injuries = serializers.IntegerField(min_value=0, required=False)
    property_loss = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AlertReactionSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.AlertReaction
        fields = ["id", "alert", "division", "division_detail", "kind", "text", "date"]
        read_only_fields = fields


class AlertSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)
    reactions = AlertReactionSerializer(many=True, read_only=True)
    plan_steps = serializers.JSONField(read_only=True)

    class Meta:
        model = models.Alert
        fields = ["id", "number", "title", "division", "division_detail", "category", "category_detail",
                  "product", "hazard", "level", "source", "incident", "owner", "description", "measures",
                  "plan_steps", "status", "published_at", "closed_at", "reactions", "created", "last_updated"]
        read_only_fields = ["number", "source", "incident", "owner", "status", "published_at", "closed_at"]


class AlertMoveSerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=list(services.ALERT_MOVES))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AlertStepSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0)


class AlertReactSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=models.AlertReaction.Kind.choices)
    text = serializers.CharField(required=False, allow_blank=True, default="")


class SentinelHospitalSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.SentinelHospital
        fields = ["id", "code", "name", "division", "division_detail", "stratum", "weight", "psu", "active",
                  "created", "last_updated"]


class InjuryCaseSerializer(ScopedModelSerializer):
    class Meta:
        model = models.InjuryCase
        fields = ["id", "hospital", "case_number", "treated_on", "age", "age_months", "sex", "diagnosis",
                  "body_part", "disposition", "location", "fire", "product", "product_2", "hazard", "narrative",
                  "weight", "classified", "product_confidence", "hazard_confidence", "product_codes", "source",
                  "created", "last_updated"]
        read_only_fields = ["weight", "classified", "product_confidence", "hazard_confidence", "product_codes",
                            "source"]

    def to_internal_value(self, data):
        from zhijian.core import scope as S

        scope = S.scope_for(getattr(self.context.get("request"), "user", None))
        if scope.role == S.ROLE_HOSPITAL and self.instance is None and hasattr(data, "get") \
                and data.get("hospital") in (None, ""):
            # a hospital submits its own cases: the hospital may be left out
            data = {**data, "hospital": scope.hospital_id}
        return super().to_internal_value(data)

    def validate(self, attrs):
        hospital = attrs.get("hospital") or getattr(self.instance, "hospital", None)
        if hospital is not None and not hospital.active:
            raise serializers.ValidationError({"hospital": _("The hospital is no longer in the sample.")})
        if hospital is not None and self.instance is None:
            attrs["weight"] = hospital.weight
        return super().validate(attrs)

    def create(self, validated_data):
        from .. import services

        case = models.InjuryCase(**validated_data, source=models.InjuryCase.Source.API)
        services.classify_injury_cases([case])
        case.save()
        return case

    def update(self, instance, validated_data):
        from .. import services

        changed = {k for k, v in validated_data.items() if getattr(instance, k) != v}
        services.corrected_by_hand(instance, changed)
        return super().update(instance, validated_data)


class RiskAssessmentSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)
    scenarios = serializers.JSONField(help_text=_(
        "[{name, severity (1-4), steps: [{description, probability (\"1/10\" or \"0.1\")}]}]"))

    class Meta:
        model = models.RiskAssessment
        fields = ["id", "division", "division_detail", "category", "category_detail", "product", "hazard",
                  "scenarios", "level", "probability", "worst_scenario", "evidence", "assessor", "version",
                  "previous", "created", "last_updated"]
        read_only_fields = ["level", "probability", "worst_scenario", "assessor", "version"]


class SignalDefinitionSerializer(ScopedModelSerializer):
    class Meta:
        model = models.SignalDefinition
        fields = ["id", "code", "name", "source", "method", "level", "parameters", "active"]


class SignalSerializer(ScopedModelSerializer):
    category_detail = BriefProductCategorySerializer(source="category", read_only=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    definition_code = serializers.CharField(source="definition.code", read_only=True)

    class Meta:
        model = models.Signal
        fields = ["id", "definition", "definition_code", "category", "category_detail", "hazard", "division",
                  "division_detail", "week", "observed", "statistic", "threshold", "series", "status", "alert",
                  "created", "last_updated"]
        read_only_fields = fields


class OpinionSourceSerializer(ScopedModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.OpinionSource
        fields = ["id", "name", "kind", "location", "mapping", "division", "division_detail", "interval_minutes",
                  "active", "last_fetched", "last_status", "last_error", "last_count", "created", "last_updated"]
        read_only_fields = ["last_fetched", "last_status", "last_error", "last_count"]


class OpinionItemSerializer(ScopedModelSerializer):
    category_detail = BriefProductCategorySerializer(source="category", read_only=True, allow_null=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.OpinionItem
        fields = ["id", "source", "external_id", "url", "title", "text", "published", "fetched", "simhash",
                  "duplicate_of", "distance", "category", "category_detail", "category_confidence", "hazard",
                  "hazard_confidence", "division", "division_detail", "division_found", "sentiment",
                  "sentiment_score", "sentiment_confidence", "story"]
        read_only_fields = fields


class OpinionStorySerializer(ScopedModelSerializer):
    category_detail = BriefProductCategorySerializer(source="category", read_only=True, allow_null=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)

    class Meta:
        model = models.OpinionStory
        fields = ["id", "title", "first_seen", "last_seen", "item_count", "category", "category_detail", "hazard",
                  "division", "division_detail", "sentiment", "relevance", "triage", "enterprise", "product",
                  "triaged_by", "triaged_at", "note", "created", "last_updated"]
        read_only_fields = fields


class TriageSerializer(serializers.Serializer):
    triage = serializers.ChoiceField(choices=[c for c in models.OpinionStory.Triage.choices if c[0] != "new"])
    enterprise = serializers.IntegerField(required=False, allow_null=True, default=None)
    product = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    category = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")
