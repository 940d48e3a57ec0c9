"""Users' roles and regions, API tokens, and the hash-chained audit log."""
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhijian.core import scope as core_scope


class Profile(models.Model):
    """A user's role and the region (or enterprise / lab / sentinel hospital) it is bound to."""

    class Role(models.TextChoices):
        PROVINCE_ADMIN = core_scope.ROLE_PROVINCE_ADMIN, _("province administrator")
        OFFICER = core_scope.ROLE_OFFICER, _("city / county officer")
        INSPECTOR = core_scope.ROLE_INSPECTOR, _("inspector")
        LAB = core_scope.ROLE_LAB, _("lab")
        ENTERPRISE = core_scope.ROLE_ENTERPRISE, _("enterprise user")
        AGENCY = core_scope.ROLE_AGENCY, _("agency API client")
        HOSPITAL = core_scope.ROLE_HOSPITAL, _("sentinel-hospital staff")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    division = models.ForeignKey("registry.Division", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("division"))
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, null=True, blank=True,
                                   related_name="users", verbose_name=_("enterprise"))
    lab = models.ForeignKey("registry.Lab", models.CASCADE, null=True, blank=True,
                            related_name="users", verbose_name=_("lab"))
    inspector = models.OneToOneField("registry.Inspector", models.SET_NULL, null=True,
                                     blank=True, related_name="user", verbose_name=_("inspector"))
    sentinel_hospital = models.ForeignKey("risk.SentinelHospital", models.CASCADE, null=True, blank=True,
                                          related_name="users", verbose_name=_("sentinel hospital"))

    class Meta:
        verbose_name = _("profile")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_active_scope(self) -> bool:
        return bool(self.role)

    def clean(self):
        need = {
            core_scope.ROLE_OFFICER: "division",
            core_scope.ROLE_INSPECTOR: "division",
            core_scope.ROLE_ENTERPRISE: "enterprise",
            core_scope.ROLE_LAB: "lab",
            core_scope.ROLE_HOSPITAL: "sentinel_hospital",
        }.get(self.role)
        if need and not getattr(self, f"{need}_id"):
            raise ValidationError({need: _("This role needs a %(field)s.") % {"field": need}})


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class APIToken(models.Model):
    """A read-only API token for agency clients; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str, expires=None) -> tuple["APIToken", str]:
        """Create a token; the clear key is returned once and never stored."""
        key = secrets.token_urlsafe(32)
        while key.startswith("-"):  # the prefix is typed as a command argument (revoke_token)
            key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8],
                                   key_hash=hash_token(key), expires=expires)
        return token, key

    @property
    def is_valid(self) -> bool:
        return not self.revoked and (self.expires is None or self.expires > timezone.now())


class AuditEntry(models.Model):
    """One write, appended to a SHA-256 hash chain (append-only).

    ``entry_hash`` = SHA-256 of the canonical JSON of the entry's content and
    ``prev_hash``; ``AuditHead`` holds the last sequence number and hash, so
    truncating the tail is detected too.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        IMPORT = "import", _("import")
        OTHER = "other", _("other")

    seq = models.BigIntegerField(unique=True)
    time = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", db_constraint=False)
    username = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=16)
    request_id = models.CharField(max_length=32, blank=True, db_index=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=100, db_index=True)  # app_label.model
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    prechange = models.JSONField(null=True, blank=True)
    postchange = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's single head row: last sequence number and hash (locked on append)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)


class PendingAuditEntry(models.Model):
    """An audit entry written without taking the chain's head lock, waiting to be chained.

    High-rate read events (the agency credit lookups) are recorded here, a plain insert that
    concurrent requests do not serialise on; ``audit.flush_pending`` moves them into the chain
    (``AuditEntry``, with their sequence numbers and hashes) in batches under one lock.
    """

    time = models.DateTimeField()
    user_id = models.IntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=16)
    request_id = models.CharField(max_length=32, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=AuditEntry.Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    prechange = models.JSONField(null=True, blank=True)
    postchange = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry waiting to be chained")
        verbose_name_plural = _("audit entries waiting to be chained")
