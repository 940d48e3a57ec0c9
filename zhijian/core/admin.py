"""Admin base class: the admin goes through ``restrict`` like every page."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .forms import related_choices


class ScopedModelAdmin(admin.ModelAdmin):
    """Rows, related choices and writes limited to the admin user's scope."""

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

    def _allowed(self, request, action, obj):
        return obj is None or self.model._default_manager.is_allowed(request.user, action, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = related_choices(self.model, db_field.name, field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = related_choices(self.model, db_field.name, field.queryset, request.user)
        return field

    def save_model(self, request, obj, form, change):
        # The admin's change view runs inside a transaction: raising rolls the write back.
        super().save_model(request, obj, form, change)
        action = "change" if change else "add"
        if not self.model._default_manager.is_allowed(request.user, action, obj):
            raise PermissionDenied(_("The object would be outside your scope; nothing was saved."))
