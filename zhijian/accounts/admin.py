"""Admin for accounts: profiles (role and region), API tokens, and the read-only audit log."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import APIToken, AuditEntry, Profile
from .tokens import revoke_tokens, token_record


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "division", "enterprise", "lab", "inspector", "sentinel_hospital")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "division__name", "enterprise__name",
                     "enterprise__uscc", "lab__name")
    # the registry tables are large: pick related rows by key, not from a drop-down
    raw_id_fields = ("user", "division", "enterprise", "lab", "inspector", "sentinel_hospital")
    list_select_related = ("user", "division", "enterprise", "lab", "inspector")


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``manage.py issue_token`` (the key is shown once, only its hash
    is stored); here they are listed, renamed, given an expiry, and revoked."""

    list_display = ("name", "user", "prefix", "created", "expires", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("name", "user", "prefix", "created", "expires", "last_used", "revoked")
    readonly_fields = ("user", "prefix", "created", "last_used", "revoked")
    list_select_related = ("user",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        from . import audit

        before = APIToken.objects.filter(pk=obj.pk).first()
        super().save_model(request, obj, form, change)
        audit.append("update", object_type="accounts.apitoken", object_id=obj.pk,
                     object_repr=str(obj),
                     prechange=token_record(before) if before else None,
                     postchange=token_record(obj))

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = revoke_tokens(queryset)
        self.message_user(request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.",
                                            count) % {"count": count}, messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit chain is append-only: it can be read here, never changed."""

    list_display = ("seq", "time", "username", "source", "action", "object_type", "object_id",
                    "object_repr")
    list_filter = ("action", "source", "object_type")
    search_fields = ("username", "object_id", "object_repr", "request_id")
    date_hierarchy = "time"
    ordering = ("-seq",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
