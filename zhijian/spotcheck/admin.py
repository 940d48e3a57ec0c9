"""Django admin for spot checks; querysets and writes are scoped (``ScopedModelAdmin``).

Plans move through commit, draw and publication only through the services
(``drawing.py``), and tasks through ``services.apply``: the admin shows those
state fields read-only so that it cannot bypass the checked transitions.
"""
from django.contrib import admin

from zhijian.core.admin import ScopedModelAdmin

from . import models


class PlanLabInline(admin.TabularInline):
    model = models.PlanLab
    extra = 0
    raw_id_fields = ("category", "lab")


@admin.register(models.Plan)
class PlanAdmin(ScopedModelAdmin):
    list_display = ("title", "kind", "year", "period", "division", "level", "status", "starts_on", "ends_on")
    list_filter = ("kind", "status", "level", "year")
    search_fields = ("title", "period")
    list_select_related = ("division",)
    raw_id_fields = ("division",)
    filter_horizontal = ("categories",)
    readonly_fields = ("level", "status", "created", "last_updated")
    inlines = [PlanLabInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "scope_divisions":
            from zhijian.core.scope import province_prefix, scope_for
            from zhijian.registry.models import Division

            prefix = scope_for(request.user).prefix or province_prefix()
            kwargs["queryset"] = Division.objects.filter(code__startswith=prefix)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(models.Draw)
class DrawAdmin(ScopedModelAdmin):
    list_display = ("plan", "commitment", "committed_at", "drawn_at", "published_at", "pool_size")
    list_select_related = ("plan",)
    search_fields = ("plan__title", "commitment", "seed")
    readonly_fields = [f.name for f in models.Draw._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request):
        return False  # commitments are made on the plan's commit page


class TestItemInline(admin.TabularInline):
    model = models.TestItem
    extra = 0
    raw_id_fields = ("standard",)


class TaskEventInline(admin.TabularInline):
    model = models.TaskEvent
    extra = 0
    readonly_fields = ("type", "date", "user", "parameters")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TaskAttachmentInline(admin.TabularInline):
    model = models.TaskAttachment
    extra = 0
    readonly_fields = ("kind", "name", "uploaded_by", "created")
    exclude = ("file",)  # downloaded through the scoped view, not a MEDIA URL


@admin.register(models.Task)
class TaskAdmin(ScopedModelAdmin):
    list_display = ("id", "plan", "enterprise", "category", "division", "lab", "status", "verdict",
                    "objection_due", "publication_due", "published_on")
    list_filter = ("status", "verdict", "plan__kind")
    search_fields = ("enterprise__name", "enterprise__uscc", "plan__title", "sample_name")
    list_select_related = ("plan", "enterprise", "category", "division", "lab")
    raw_id_fields = ("plan", "enterprise", "category", "division", "lab", "product")
    filter_horizontal = ("inspectors",)
    readonly_fields = ("status", "draw_key", "stratum", "objection_due", "publication_due",
                       "published_on", "created", "last_updated")
    inlines = [TestItemInline, TaskAttachmentInline, TaskEventInline]


@admin.register(models.PassRateTarget)
class PassRateTargetAdmin(ScopedModelAdmin):
    list_display = ("kind", "target", "valid_from", "source")
    list_filter = ("kind",)


@admin.register(models.InspectorConflict)
class InspectorConflictAdmin(ScopedModelAdmin):
    list_display = ("inspector", "enterprise", "reason", "created")
    search_fields = ("inspector__name", "inspector__badge_number", "enterprise__name", "enterprise__uscc")
    list_select_related = ("inspector", "enterprise")
    raw_id_fields = ("inspector", "enterprise")
