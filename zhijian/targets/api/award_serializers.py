"""Serializers of the award, brand and demonstration-zone API (issue 12 §3)."""
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer

from .. import awards


class AwardEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = awards.AwardEvent
        fields = ["type", "date", "parameters"]


class AwardApplicationSerializer(ScopedModelSerializer):
    events = AwardEventSerializer(many=True, read_only=True)

    class Meta:
        model = awards.AwardApplication
        fields = ["id", "enterprise", "kind", "year", "title", "documents", "notes", "status", "submitted_at",
                  "checked_on", "ineligible_reasons", "decision_date", "decision_number", "decision_note",
                  "reward_amount", "reward_note", "payment_due", "paid_on", "voucher_number", "events",
                  "created", "last_updated"]
        read_only_fields = ["status", "submitted_at", "checked_on", "ineligible_reasons", "decision_date",
                            "decision_number", "decision_note", "reward_amount", "reward_note", "payment_due",
                            "paid_on", "voucher_number"]


class AwardCheckSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None)


class AwardDecisionSerializer(serializers.Serializer):
    grant = serializers.BooleanField()
    on = serializers.DateField()
    number = serializers.CharField(max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    payment_due = serializers.DateField(required=False, allow_null=True, default=None)


class AwardPaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    voucher = serializers.CharField(max_length=64)


class RecognisedBrandSerializer(ScopedModelSerializer):
    class Meta:
        model = awards.Brand
        fields = ["id", "name", "kind", "enterprise", "division", "year", "recognised_on", "valid_until", "note",
                  "created", "last_updated"]


class DemonstrationZoneSerializer(ScopedModelSerializer):
    class Meta:
        model = awards.DemonstrationZone
        fields = ["id", "name", "kind", "division", "status", "year", "approved_on", "note", "created",
                  "last_updated"]
