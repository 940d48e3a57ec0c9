"""Base classes every domain model inherits: scope and change logging."""
import datetime
import decimal
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import RestrictedQuerySet

RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


def audit_value(value):
    """A JSON-safe form of a field value for snapshots."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [audit_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): audit_value(v) for k, v in value.items()}
    if hasattr(value, "name"):  # files
        return value.name or None
    return str(value)


class ChangeLoggedModel(models.Model):
    """A model whose every create, update and delete is appended to the audit chain.

    The audit log itself (``accounts.AuditEntry``) listens for writes of any
    subclass; snapshots are the concrete field values plus many-to-many ids.
    """

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def snapshot(self) -> dict:
        data = {}
        for f in self._meta.concrete_fields:
            if f.name in self.audit_exclude:
                continue
            data[f.attname] = audit_value(f.value_from_object(self))
        if self.pk:
            for f in self._meta.many_to_many:
                if f.name in self.audit_exclude:
                    continue
                data[f.name] = sorted(audit_value(o.pk) for o in f.value_from_object(self))
        return data


class ScopedModel(ChangeLoggedModel):
    """A change-logged model with region and owner scope.

    Subclasses say where their scope lives, as ORM paths:

    * ``scope_division``: path to the GB/T 2260 division (code primary key),
      e.g. ``"division"`` or ``"enterprise__division"``; ``None`` for reference
      data without a region (visible to all staff, editable per permission).
    * ``scope_enterprise``: path to the owning enterprise's id, for enterprise users.
    * ``scope_lab``: path to the owning lab's id, for lab users.
    * ``scope_hospital``: path to the sentinel hospital's id, for hospital users.
    * ``scope_inspector``: path to assigned inspectors' ids; inspectors then see
      only their own rows of this model (otherwise they read by region).
    * ``public_q()``: what anonymous users may read (``None``: nothing).
    """

    scope_division: str | None = None
    scope_enterprise: str | None = None
    scope_lab: str | None = None
    scope_hospital: str | None = None
    scope_inspector: str | None = None

    objects = RestrictedManager()

    class Meta:
        abstract = True

    @classmethod
    def public_q(cls) -> Q | None:
        return None

    def get_absolute_url(self):
        """``<app_label>:<model_name>_detail`` by convention (the generic views' URL names)."""
        from django.urls import reverse

        opts = self._meta
        return reverse(f"{opts.app_label}:{opts.model_name}_detail", args=[self.pk])


class TimestampedModel(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --------------------------------------------------------------------------- import jobs


class ImportJobQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Users see their own import jobs; province administrators see all."""
        from .scope import ROLE_PROVINCE_ADMIN, scope_for

        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        scope = scope_for(user)
        if scope.unrestricted or scope.role == ROLE_PROVINCE_ADMIN:
            return self
        return self.filter(user=user)


def _import_upload_to(instance, filename):
    return f"imports/{timezone.now():%Y/%m}/{filename}"


def _import_errors_to(instance, filename):
    return f"imports/errors/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    """One import of one file (from the web page or the command line)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        FAILED = "failed", _("failed")
        DONE = "done", _("done")

    class Mode(models.TextChoices):
        CREATE = "create", _("create new rows only")
        UPSERT = "upsert", _("create new rows and update existing ones")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="import_jobs", verbose_name=_("user"),
                             help_text=_("Empty for a system import (command line, province scope)."))
    importer = models.CharField(_("import type"), max_length=64)
    model = models.CharField(_("model"), max_length=100)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.CREATE)
    source = models.CharField(_("source"), max_length=8, default="web")
    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created_count = models.PositiveIntegerField(_("rows created"), default=0)
    updated_count = models.PositiveIntegerField(_("rows updated"), default=0)
    first_id = models.BigIntegerField(_("first id created"), null=True, blank=True)
    last_id = models.BigIntegerField(_("last id created"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    errors_file = models.FileField(_("error file"), upload_to=_import_errors_to, blank=True,
                                   max_length=255)
    errors_preview = models.JSONField(_("first errors"), default=list, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self):
        return f"{self.importer}: {self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.DONE)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registry:importjob_detail", args=[self.pk])


class Heartbeat(models.Model):
    """The last sign of life of a background process (``worker``, ``scheduler``): ``zhijian status``
    and ``/readyz`` read it. Written by the process itself, not by users: not audited."""

    name = models.CharField(_("process"), max_length=40, primary_key=True)
    beat_at = models.DateTimeField(_("last sign of life"))
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
