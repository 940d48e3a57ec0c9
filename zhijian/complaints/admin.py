"""Django admin for complaints and reports: read-only, scoped, personal data never shown.

Cases move only through the handling steps (``services``), which check state, role
and scope and keep the clocks and the history; the admin shows them read-only so
that it cannot bypass them. The complainant's personal data is not in the admin at
all (the case page shows it to the handling bureau).
"""
from django.contrib import admin

from zhijian.core.admin import ScopedModelAdmin

from . import models


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MediationInline(ReadOnlyInline):
    model = models.Mediation
    fields = ("date", "method", "mediator", "entrusted_to")


class TransferInline(ReadOnlyInline):
    model = models.Transfer
    fields = ("date", "from_division", "to_division", "reason")


class ConversionInline(ReadOnlyInline):
    model = models.Conversion
    fields = ("date", "target", "reference")


@admin.register(models.Case)
class CaseAdmin(ScopedModelAdmin):
    list_display = ("ticket", "kind", "channel", "received_on", "respondent_name", "division", "status",
                    "next_due")
    list_filter = ("kind", "status", "channel", "respondent_match", "labels_confirmed")
    search_fields = ("ticket", "respondent_name", "respondent_uscc", "external_id")
    list_select_related = ("division",)
    date_hierarchy = "received_on"
    exclude = ("code_hash", "facts", "request", "outcome_note")
    inlines = [MediationInline, TransferInline, ConversionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
