"""RestrictedQuerySet: the one place where region and role scope is enforced.

Every page, API endpoint and export obtains its rows through
``Model.objects.restrict(user, action)``; models describe *where* their region
and owner live (see ``ScopedModel``) and this module decides *who* sees them.
"""
from django.db import models
from django.db.models import Q

from .scope import (
    ROLE_ENTERPRISE,
    ROLE_HOSPITAL,
    ROLE_INSPECTOR,
    ROLE_LAB,
    scope_for,
)

ACTIONS = ("view", "add", "change", "delete")
NOTHING = Q(pk__in=[])


def permission_name(model, action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def scope_q(model, user, action: str = "view") -> Q | None:
    """The filter that limits ``model`` to what ``user`` may ``action``; None = nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    scope = scope_for(user)
    if scope.role is None:
        # Anonymous users and accounts without a role: published data, read only.
        if action != "view":
            return None
        return model.public_q()
    if scope.unrestricted:
        return Q()
    if not user.has_perm(permission_name(model, action)):
        return None
    if scope.role == ROLE_ENTERPRISE:
        return _owner_q(model, model.scope_enterprise, scope.enterprise_id, action)
    if scope.role == ROLE_LAB:
        return _owner_q(model, model.scope_lab, scope.lab_id, action)
    if scope.role == ROLE_HOSPITAL:
        return _owner_q(model, getattr(model, "scope_hospital", None), scope.hospital_id, action)
    if scope.role == ROLE_INSPECTOR and model.scope_inspector is not None:
        # Inspectors work on their own assignments (e.g. spot-check tasks).
        if scope.inspector_id is None:
            return None
        return Q(**{model.scope_inspector: scope.inspector_id})
    # Staff and agencies: the division prefix.
    if model.scope_division is None:
        return Q()  # reference data without a region (catalogs, standards)
    if not scope.prefix:
        return None
    path = model.scope_division
    # ``<fk>__pk`` compares the foreign-key column itself (Django trims the join).
    lookup = f"{path}__startswith" if path in ("pk", "code") else f"{path}__pk__startswith"
    return Q(**{lookup: scope.prefix})


def _owner_q(model, path, owner_id, action):
    """Users bound to one enterprise, lab or sentinel hospital: their own rows, plus published reads."""
    if path is not None and owner_id is not None:
        own = Q(**{path: owner_id})
        if action == "view":
            public = model.public_q()
            if public is None:
                return own
            # An empty Q means "every row is public"; ``own | Q()`` would be just ``own``.
            return own | public if public else Q()
        return own
    if action == "view":
        return model.public_q()
    return None


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        q = scope_q(self.model, user, action)
        if q is None:
            return self.none()
        return self.filter(q) if q else self

    def locked(self, user, obj, denied, action: str = "change"):
        """``obj`` re-read under a row lock (inside a transaction) within the user's scope for
        ``action``; outside it, ``PermissionDenied(denied)``. What every workflow step starts with."""
        from django.core.exceptions import PermissionDenied

        found = self.restrict(user, action).select_for_update().filter(pk=obj.pk).first()
        if found is None:
            raise PermissionDenied(denied)
        return found

    def is_allowed(self, user, action: str, obj) -> bool:
        """Whether ``obj`` (already saved) is inside the user's scope for ``action``."""
        return self.restrict(user, action).filter(pk=obj.pk).exists()
