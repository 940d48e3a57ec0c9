"""Django admin for enforcement: the hearing thresholds are edited here (data); cases,
decisions and transfers are read-only (they move only through ``services``)."""
from django.contrib import admin

from zhijian.core.admin import ScopedModelAdmin

from . import models


@admin.register(models.HearingThreshold)
class HearingThresholdAdmin(ScopedModelAdmin):
    list_display = ("kind", "amount", "valid_from", "source")
    list_filter = ("kind",)


class _ReadOnly(ScopedModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Case)
class CaseAdmin(_ReadOnly):
    list_display = ("number", "title", "enterprise", "division", "origin", "status", "decision_due")
    list_filter = ("status", "origin", "outcome")
    search_fields = ("number", "title")
    list_select_related = ("enterprise", "division")


@admin.register(models.PenaltyDecision)
class PenaltyDecisionAdmin(_ReadOnly):
    list_display = ("number", "case", "decided_on", "severity", "fine", "paid_on", "revoked_on")
    list_filter = ("severity",)
    search_fields = ("number",)
    list_select_related = ("case",)


@admin.register(models.JudicialTransfer)
class JudicialTransferAdmin(_ReadOnly):
    list_display = ("case", "organ_kind", "organ_name", "transferred_on", "status")
    list_filter = ("organ_kind", "status")
    list_select_related = ("case",)
