"""Serializers of the targets API."""
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer

from .. import models


class DataElementSerializer(ScopedModelSerializer):
    class Meta:
        model = models.DataElement
        fields = ["id", "code", "name", "name_zh", "unit", "kind", "computed_key", "period_type", "aggregation",
                  "source"]


class IndicatorSerializer(ScopedModelSerializer):
    class Meta:
        model = models.Indicator
        fields = ["id", "code", "name", "name_zh", "numerator", "denominator", "factor", "unit", "decimals"]


class DataValueSerializer(ScopedModelSerializer):
    element_code = serializers.CharField(source="element.code", read_only=True)

    class Meta:
        model = models.DataValue
        fields = ["id", "element", "element_code", "division", "period", "value", "origin", "source", "note",
                  "status", "entered_by", "reviewed_by", "reviewed_at", "review_comment", "created", "last_updated"]
        read_only_fields = ["origin", "status", "entered_by", "reviewed_by", "reviewed_at", "review_comment"]

    def validate(self, attrs):  # the service checks period, kind, overlap and scope
        return attrs


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class TargetSerializer(ScopedModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = models.Target
        fields = ["id", "indicator", "indicator_code", "direction", "value", "wording", "group", "order",
                  "cumulative_from", "note"]


class TargetSetSerializer(ScopedModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = models.TargetSet
        fields = ["id", "code", "year", "name", "name_zh", "source", "targets"]


class IndicatorValueSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    division = serializers.CharField()
    period = serializers.CharField()
    value = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    numerator = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)
    denominator = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)


class ProgressRowSerializer(serializers.Serializer):
    target = serializers.IntegerField()
    indicator = serializers.CharField()
    wording = serializers.CharField()
    direction = serializers.CharField()
    target_value = serializers.DecimalField(max_digits=24, decimal_places=4)
    value = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)
    light = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


class TargetProgressSerializer(serializers.Serializer):
    target_set = serializers.CharField()
    division = serializers.CharField()
    period = serializers.CharField()
    rows = ProgressRowSerializer(many=True)


class AssessmentScoreSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    max_points = serializers.DecimalField(source="item.max_points", max_digits=6, decimal_places=2, read_only=True)

    class Meta:
        model = models.AssessmentScore
        fields = ["item_code", "max_points", "self_points", "self_comment", "points", "review_comment"]


class AssessmentSerializer(ScopedModelSerializer):
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    scores = AssessmentScoreSerializer(many=True, read_only=True)

    class Meta:
        model = models.Assessment
        fields = ["id", "scheme", "year", "division", "status", "submitted_at", "self_total", "total", "grade",
                  "veto", "veto_reason", "veto_incident", "rank", "published_at", "scores"]


class QualityReportSerializer(ScopedModelSerializer):
    """A quality-status report (read): status and progress, and its files' links when built."""

    files = serializers.SerializerMethodField()

    class Meta:
        model = models.QualityReport
        fields = ["id", "division", "period", "status", "message", "phase", "progress_done", "progress_total",
                  "trigger", "started_at", "finished_at", "duration_s", "figure_count", "chart_count",
                  "published", "published_at", "files"]

    def get_files(self, obj) -> dict:
        from django.urls import reverse

        if obj.status != models.QualityReport.Status.DONE:
            return {}
        return {fmt: reverse("targets:qualityreport_file", args=[obj.pk, fmt]) for fmt in ("pdf", "html", "xlsx")}
