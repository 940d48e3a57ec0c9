"""Registry API: one scoped viewset per model.

Rows come from ``restrict`` (``ScopedModelViewSet``); filters are the model's
FilterSet shared with the pages and exports (``?q=`` searches); ``?ordering=``
sorts; ``?limit=&offset=`` pages. Related rows are fetched with
``select_related``/``prefetch_related`` so a list costs a fixed number of queries.
"""
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from zhijian.core.api import ScopedModelViewSet

from .. import filtersets, models
from ..models import normalize_uscc
from . import serializers

PK = r"[0-9]{1,18}"  # numeric primary keys (keeps odd path values away from the database)
USCC = r"[0-9A-Za-z]{18}"


class DivisionViewSet(ScopedModelViewSet):
    """GB/T 2260 administrative divisions, by six-digit code."""

    queryset = models.Division.objects.select_related("parent")
    serializer_class = serializers.DivisionSerializer
    filterset_class = filtersets.DivisionFilterSet
    ordering_fields = ["code", "name", "level"]
    lookup_value_regex = r"[0-9]{6}"


class IndustryViewSet(ScopedModelViewSet):
    """GB/T 4754-2017 industries, by code (a section letter, or two to four digits)."""

    queryset = models.Industry.objects.select_related("parent")
    serializer_class = serializers.IndustrySerializer
    filterset_class = filtersets.IndustryFilterSet
    ordering_fields = ["code", "name", "level"]
    lookup_value_regex = r"[A-Z]|[0-9]{2,4}"


class ProductCategoryViewSet(ScopedModelViewSet):
    queryset = models.ProductCategory.objects.all()
    serializer_class = serializers.ProductCategorySerializer
    filterset_class = filtersets.ProductCategoryFilterSet
    ordering_fields = ["code", "name", "group", "risk_class"]
    lookup_value_regex = PK


class StandardViewSet(ScopedModelViewSet):
    queryset = models.Standard.objects.all()
    serializer_class = serializers.StandardSerializer
    filterset_class = filtersets.StandardFilterSet
    ordering_fields = ["code", "title", "issued_on", "effective_on"]
    lookup_value_regex = PK


class EnterpriseViewSet(ScopedModelViewSet):
    """Enterprises; ``?q=<USCC>`` or ``by-uscc/<USCC>/`` find one by its credit code."""

    queryset = models.Enterprise.objects.select_related("division", "industry")
    serializer_class = serializers.EnterpriseSerializer
    filterset_class = filtersets.EnterpriseFilterSet
    ordering_fields = ["uscc", "name", "established_on", "registered_capital", "status",
                       "division"]
    lookup_value_regex = PK

    @extend_schema(parameters=[OpenApiParameter("uscc", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                pattern=f"^{USCC}$")])
    @action(detail=False, methods=["get"], url_path=f"by-uscc/(?P<uscc>{USCC})", url_name="by-uscc",
            filter_backends=[], pagination_class=None)
    def by_uscc(self, request, uscc):
        """One enterprise by its unified social credit code."""
        obj = get_object_or_404(self.get_queryset(), uscc=normalize_uscc(uscc))
        self.check_object_permissions(request, obj)
        return Response(self.get_serializer(obj).data)


class _EnterpriseOwnedViewSet(ScopedModelViewSet):
    lookup_value_regex = PK


class ProductViewSet(_EnterpriseOwnedViewSet):
    queryset = models.Product.objects.select_related("enterprise", "category")
    serializer_class = serializers.ProductSerializer
    filterset_class = filtersets.ProductFilterSet
    ordering_fields = ["name", "brand", "enterprise", "category", "created"]


class StandardDeclarationViewSet(_EnterpriseOwnedViewSet):
    queryset = models.StandardDeclaration.objects.select_related("enterprise", "standard")
    serializer_class = serializers.StandardDeclarationSerializer
    filterset_class = filtersets.StandardDeclarationFilterSet
    ordering_fields = ["published_on", "product_name", "status", "enterprise"]


class CertificationViewSet(_EnterpriseOwnedViewSet):
    queryset = models.Certification.objects.select_related("enterprise")
    serializer_class = serializers.CertificationSerializer
    filterset_class = filtersets.CertificationFilterSet
    ordering_fields = ["kind", "number", "valid_from", "valid_until", "status", "enterprise"]


class LabViewSet(ScopedModelViewSet):
    queryset = models.Lab.objects.select_related("division").prefetch_related("categories")
    serializer_class = serializers.LabSerializer
    filterset_class = filtersets.LabFilterSet
    ordering_fields = ["name", "accreditation_number", "level", "status", "division",
                       "accredited_until"]
    lookup_value_regex = PK


class InspectorViewSet(ScopedModelViewSet):
    queryset = models.Inspector.objects.select_related("division").prefetch_related("categories")
    serializer_class = serializers.InspectorSerializer
    filterset_class = filtersets.InspectorFilterSet
    ordering_fields = ["name", "badge_number", "status", "division"]
    lookup_value_regex = PK


class AwardViewSet(_EnterpriseOwnedViewSet):
    queryset = models.Award.objects.select_related("enterprise")
    serializer_class = serializers.AwardSerializer
    filterset_class = filtersets.AwardFilterSet
    ordering_fields = ["year", "kind", "enterprise"]


class BrandViewSet(_EnterpriseOwnedViewSet):
    queryset = models.Brand.objects.select_related("enterprise")
    serializer_class = serializers.BrandSerializer
    filterset_class = filtersets.BrandFilterSet
    ordering_fields = ["year", "kind", "name", "enterprise"]
