"""API permission: role permissions by method; token clients are read-only.

Kept apart from ``core.api`` because DRF imports it while loading its settings.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .querysets import permission_name, scope_q
from .scope import TOKEN_WRITE_ROLES, scope_for

ACTION_FOR_METHOD = {
    "GET": "view", "HEAD": "view", "OPTIONS": "view",
    "POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete",
}


def is_token_request(request) -> bool:
    return getattr(request, "auth", None) is not None and hasattr(request.auth, "key_hash")


class ScopedPermission(permissions.BasePermission):
    """Model permission by role; rows are limited by the restricted queryset.

    Token-authenticated clients (agencies) are read-only, except the submission roles
    (``TOKEN_WRITE_ROLES``: sentinel hospitals sending their injury cases), whose writes are
    then limited by their role permissions and scope like a signed-in user's.
    """

    message = _("You do not have permission to perform this action.")

    def has_permission(self, request, view):
        action = ACTION_FOR_METHOD.get(request.method)
        if action is None:
            return False
        if action != "view" and is_token_request(request) \
                and scope_for(request.user).role not in TOKEN_WRITE_ROLES:
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return action == "view" or request.user.is_authenticated
        user = request.user
        if hasattr(model, "public_q"):
            # The same rule as ``restrict``: refused when no row at all could be in scope
            # (no role permission; anonymous and the model has no public rows; an
            # enterprise or lab user and the model has neither its rows nor public ones).
            return scope_q(model, user, action) is not None
        if not user.is_authenticated:
            return False
        return user.is_superuser or user.has_perm(permission_name(model, action))
