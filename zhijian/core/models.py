"""Base classes every domain model inherits: scope and change logging."""
import datetime
import decimal
import uuid

from django.db import models
from django.db.models import Q

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
    * ``public_q()``: what anonymous users may read (``None``: nothing).
    """

    scope_division: str | None = None
    scope_enterprise: str | None = None
    scope_lab: str | None = None

    objects = RestrictedManager()

    class Meta:
        abstract = True

    @classmethod
    def public_q(cls) -> Q | None:
        return None


class TimestampedModel(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
