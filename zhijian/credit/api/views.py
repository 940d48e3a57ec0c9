"""Credit API (read-only): grades with their explanation.

Built from the core API pieces (scoped permission, filter backend, pagination) on DRF's
read-only viewset, so the router exposes GET only (grades are written by grading runs).
"""
from rest_framework import filters, viewsets

from zhijian.core.api import ScopedFilterBackend, ScopedPagination, ScopedPermission

from .. import filtersets, models
from . import serializers


class GradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Credit grades; ``?uscc=`` for one enterprise's grades, newest first."""

    queryset = models.Grade.objects.select_related("enterprise", "method")
    serializer_class = serializers.GradeSerializer
    filterset_class = filtersets.GradeFilterSet
    pagination_class = ScopedPagination
    permission_classes = [ScopedPermission]
    filter_backends = [ScopedFilterBackend, filters.OrderingFilter]
    ordering_fields = ["computed_at", "score"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, "view")
