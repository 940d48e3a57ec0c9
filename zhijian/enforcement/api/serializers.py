"""Serializers of the enforcement API (relations as primary keys, names in ``*_detail``)."""
from django import forms
from rest_framework import serializers

from zhijian.core.api import ScopedModelSerializer
from zhijian.registry.api.serializers import BriefDivisionSerializer, BriefEnterpriseSerializer

from .. import models, services


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Evidence
        fields = ["id", "kind", "description", "collected_on", "collected_by"]


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.CaseEvent
        fields = ["id", "type", "date", "parameters"]


class DeadlineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    due = serializers.DateField()
    done = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


CASE_READ_ONLY = ["number", "origin_type", "origin_id", "status", "outcome", "filed_on", "decision_due",
                  "extension_reason", "notice_number", "notice_on", "proposed_kinds", "proposed_fine", "proposed_gains",
                  "proposed_goods_value", "proposed_penalty", "hearing_right", "statement_due", "statement_on",
                  "statement", "hearing_request_due", "hearing_requested_on", "hearing_notified_on", "hearing_date",
                  "hearing_held_on", "hearing_record", "suspended", "closed_on", "reason", "decision"]


class EnforcementCaseSerializer(ScopedModelSerializer):
    enterprise_detail = BriefEnterpriseSerializer(source="enterprise", read_only=True)
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    origin = serializers.ChoiceField(choices=[(models.Origin.TIP_OFF, models.Origin.TIP_OFF.label),
                                              (models.Origin.INSPECTION, models.Origin.INSPECTION.label)],
                                     help_text="Cases from records are opened with task / conversion / incident.")
    task = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=2 ** 62)
    conversion = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=2 ** 62)
    incident = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=2 ** 62)
    evidence = EvidenceSerializer(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)
    decision = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    deadlines = serializers.SerializerMethodField()

    class Meta:
        model = models.Case
        fields = ["id", "number", "title", "enterprise", "enterprise_detail", "division", "division_detail", "origin",
                  "origin_type", "origin_id", "origin_reference", "facts", "proposed_on", "task", "conversion",
                  "incident", *[f for f in CASE_READ_ONLY if f not in ("number", "origin_type", "origin_id")],
                  "evidence", "events", "deadlines", "created", "last_updated"]
        read_only_fields = CASE_READ_ONLY

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["origin"] = instance.origin  # any origin on the way out
        return data

    def get_deadlines(self, obj) -> list[dict]:
        decision = getattr(obj, "decision", None) if hasattr(obj, "decision") else None
        return DeadlineSerializer(services.case_clock(obj, decision).deadlines, many=True).data


class PenaltyDecisionSerializer(ScopedModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    enterprise = serializers.IntegerField(source="case.enterprise_id", read_only=True)
    published_on = serializers.DateField(source="publication.published_on", read_only=True, allow_null=True)
    publish_by = serializers.DateField(source="publication.publish_by", read_only=True, allow_null=True)
    amount_due = serializers.SerializerMethodField()

    class Meta:
        model = models.PenaltyDecision
        fields = ["id", "case", "case_number", "enterprise", "number", "decided_on", "authority", "kinds", "fine",
                  "confiscated_gains", "goods_value", "violation", "penalty", "legal_basis", "severity", "sector",
                  "served_on", "payment_due", "paid_on", "paid_amount", "surcharge_paid", "executed_on",
                  "execution_note", "revoked_on", "revocation_reason", "publication", "publish_by", "published_on",
                  "amount_due", "created", "last_updated"]
        read_only_fields = fields

    def get_amount_due(self, obj) -> str | None:
        if not obj.monetary or obj.paid_on or obj.revoked_on:
            return None
        return str(services.amount_due(obj))


class JudicialTransferSerializer(ScopedModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = models.JudicialTransfer
        fields = ["id", "case", "case_number", "organ_kind", "organ_name", "suspected_crime", "transferred_on",
                  "documents", "reply_due", "status", "status_on", "outcome", "suspends_case", "created",
                  "last_updated"]
        read_only_fields = fields


FIELD_MAP = {
    forms.DateField: lambda f: serializers.DateField(required=f.required),
    forms.DecimalField: lambda f: serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                                           required=f.required),
    forms.BooleanField: lambda f: serializers.BooleanField(required=False),
    forms.MultipleChoiceField: lambda f: serializers.MultipleChoiceField(choices=f.choices, required=f.required),
    forms.ChoiceField: lambda f: serializers.ChoiceField(choices=f.choices, required=f.required),
    forms.CharField: lambda f: serializers.CharField(required=f.required, max_length=f.max_length),
}


def serializer_for_form(form_class, name: str):
    """A serializer describing a step form's body (for the schema; the form validates)."""
    attrs = {}
    for field_name, field in form_class.base_fields.items():
        for kind, make in FIELD_MAP.items():
            if isinstance(field, kind):
                attrs[field_name] = make(field)
                break
    return type(f"{name}Serializer", (serializers.Serializer,), attrs)
