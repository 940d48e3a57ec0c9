"""Django admin for credit: a province admin edits event-type versions, methods and list entries.

Grades and runs are written by grading runs only, so they are read-only here.
"""
from django.contrib import admin

from zhijian.core.admin import ScopedModelAdmin

from . import models


@admin.register(models.EventType)
class EventTypeAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "group", "weight", "half_life_months", "validity_months", "valid_from")
    list_filter = ("group",)
    search_fields = ("code", "name")


@admin.register(models.Method)
class MethodAdmin(ScopedModelAdmin):
    list_display = ("version", "valid_from", "published")
    list_filter = ("published",)


@admin.register(models.CreditEvent)
class CreditEventAdmin(ScopedModelAdmin):
    list_display = ("enterprise", "type", "date", "weight", "source_type", "source_id")
    list_select_related = ("enterprise", "type")
    raw_id_fields = ("enterprise", "type")
    search_fields = ("enterprise__uscc", "enterprise__name", "type__code")


@admin.register(models.EnterpriseListing)
class EnterpriseListingAdmin(ScopedModelAdmin):
    list_display = ("enterprise", "kind", "start", "end")
    list_filter = ("kind",)
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)


class ReadOnlyAdmin(ScopedModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "score", "grade", "risk_class", "method", "as_of", "computed_at")
    list_filter = ("grade", "risk_class")
    list_select_related = ("enterprise", "method")
    search_fields = ("enterprise__uscc",)


@admin.register(models.GradingRun)
class GradingRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "method", "engine", "as_of", "status", "grade_count", "duration_s", "started")
    list_filter = ("engine", "status")


# Penalty publication and credit repair change state only through services_listing (deadlines,
# withdrawal rules, the repair decision), so the admin shows them read-only.


@admin.register(models.PenaltyPublication)
class PenaltyPublicationAdmin(ReadOnlyAdmin):
    list_display = ("decision_number", "enterprise", "decision_date", "severity", "published_on",
                    "publish_until", "revoked_on", "withdrawn_on")
    list_filter = ("severity", "sector", "withdrawal_reason")
    list_select_related = ("enterprise",)
    search_fields = ("decision_number", "enterprise__uscc", "enterprise__name")


@admin.register(models.RepairApplication)
class RepairApplicationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "enterprise", "applied_on", "status", "reviewed_on")
    list_filter = ("status",)
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__uscc", "enterprise__name")
