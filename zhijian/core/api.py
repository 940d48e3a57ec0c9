"""API base classes: scope and permissions come from ``restrict`` like every page."""
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from .permissions import ACTION_FOR_METHOD, ScopedPermission, is_token_request  # noqa: F401


class ScopedModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose rows are ``restrict``-ed to the user's scope and role.

    A created or changed object must lie inside the user's scope after the
    write; otherwise the write is rolled back and 403 is returned.
    """

    def get_action(self) -> str:
        return ACTION_FOR_METHOD.get(self.request.method, "view")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.get_action())

    def _save_in_scope(self, serializer, action):
        model = self.queryset.model
        with transaction.atomic():
            instance = serializer.save()
            if not model.objects.is_allowed(self.request.user, action, instance):
                raise PermissionDenied(_("The object would be outside your scope."))
        return instance

    def perform_create(self, serializer):
        self._save_in_scope(serializer, "add")

    def perform_update(self, serializer):
        self._save_in_scope(serializer, "change")


class ScopedReadOnlyModelViewSet(ScopedModelViewSet):
    http_method_names = ["get", "head", "options"]
