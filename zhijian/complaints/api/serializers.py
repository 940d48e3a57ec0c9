"""Serializers of the complaints API. Personal data is masked unless the reader handles the case.

Lists always mask the complainant (as the list page does); a case's detail shows
the clear values to staff for whom ``masking.can_see_personal`` holds, which the
view decides once per request and passes as ``context["clear_pks"]`` (never for API-token
clients: tokens are read-only and do not handle cases). Free text
(facts, request, outcome note) has phone and ID numbers masked for the others.
"""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from zhijian.registry.api.serializers import (
    BriefDivisionSerializer,
    BriefEnterpriseSerializer,
    BriefProductCategorySerializer,
)
from zhijian.registry.models import Division

from .. import models
from ..masking import MASKS, mask_text

PERSON = ("name", "phone", "id_number", "address", "email")
FREE_TEXT = ("facts", "request", "outcome_note")


class CaseSerializer(serializers.ModelSerializer):
    division_detail = BriefDivisionSerializer(source="division", read_only=True)
    respondent_detail = BriefEnterpriseSerializer(source="respondent", read_only=True, allow_null=True)
    category_detail = BriefProductCategorySerializer(source="category", read_only=True, allow_null=True)
    complainant_name = serializers.SerializerMethodField()
    complainant_phone = serializers.SerializerMethodField()
    complainant_id_number = serializers.SerializerMethodField()
    complainant_address = serializers.SerializerMethodField()
    complainant_email = serializers.SerializerMethodField()
    personal_masked = serializers.SerializerMethodField(
        help_text=_("True when the complainant's data (and numbers in the free text) are masked."))

    class Meta:
        model = models.Case
        fields = ["id", "ticket", "kind", "channel", "external_id", "received_on", "real_name",
                  "complainant_name", "complainant_phone", "complainant_id_number", "complainant_address",
                  "complainant_email", "personal_masked",
                  "respondent_name", "respondent_uscc", "respondent_address", "respondent", "respondent_detail",
                  "respondent_match", "division", "division_detail", "product", "facts", "request",
                  "amount_claimed", "category", "category_detail", "category_confidence",
                  "category_group", "category_level", "hazard",
                  "hazard_confidence", "labels_confirmed", "status", "assigned_on", "accept_due", "decided_on",
                  "rejection_reason", "mediation_due", "clue_found_on", "clue_extended", "clue_due",
                  "clue_checked_on", "notify_due", "notified_on", "next_due", "next_due_kind", "outcome",
                  "termination_reason", "amount_refunded", "amount_compensated", "upheld", "outcome_note",
                  "closed_on", "anonymised_on", "created", "last_updated"]
        read_only_fields = fields

    def _clear(self, case) -> bool:
        return case.pk in self.context.get("clear_pks", ())

    def _person(self, case, field):
        person = getattr(case, "complainant", None) if hasattr(case, "complainant") else None
        value = getattr(person, field, "") if person is not None else ""
        return value if self._clear(case) else MASKS[field](value)

    def get_complainant_name(self, case) -> str:
        return self._person(case, "name")

    def get_complainant_phone(self, case) -> str:
        return self._person(case, "phone")

    def get_complainant_id_number(self, case) -> str:
        return self._person(case, "id_number")

    def get_complainant_address(self, case) -> str:
        return self._person(case, "address")

    def get_complainant_email(self, case) -> str:
        return self._person(case, "email")

    def get_personal_masked(self, case) -> bool:
        return not self._clear(case)

    def to_representation(self, case):
        data = super().to_representation(case)
        if not self._clear(case):
            for f in FREE_TEXT:
                if data.get(f):
                    data[f] = mask_text(data[f])
        return data


class CaseCreateSerializer(serializers.Serializer):
    """A complaint or report taken by an officer; checked by ``services.validate_intake``."""

    kind = serializers.ChoiceField(choices=models.Kind.choices, required=False)
    channel = serializers.ChoiceField(choices=models.Channel.choices, required=False)
    received_on = serializers.DateField(required=False)
    real_name = serializers.BooleanField(required=False, default=True)
    complainant_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    complainant_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    complainant_id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    complainant_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    complainant_email = serializers.EmailField(required=False, allow_blank=True)
    respondent_name = serializers.CharField(max_length=200)
    respondent_uscc = serializers.CharField(max_length=18, required=False, allow_blank=True)
    respondent_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    division = serializers.PrimaryKeyRelatedField(
        queryset=Division.objects.all(), required=False, allow_null=True,
        help_text=_("Where the respondent operates (a GB/T 2260 code); not needed when the USCC is of a "
                    "registered enterprise."))
    product = serializers.CharField(max_length=200, required=False, allow_blank=True)
    facts = serializers.CharField()
    request = serializers.CharField(required=False, allow_blank=True)
    amount_claimed = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                              allow_null=True)
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class CreatedCaseSerializer(CaseSerializer):
    verification_code = serializers.SerializerMethodField(
        help_text=_("Shown once: give it to the complainant with the ticket number."))

    class Meta(CaseSerializer.Meta):
        fields = CaseSerializer.Meta.fields + ["verification_code"]
        read_only_fields = fields

    def get_verification_code(self, case) -> str:
        return self.context.get("code", "")


@extend_schema_serializer(component_name="CaseStep")
class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
