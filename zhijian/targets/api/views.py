"""Targets API: data elements, indicators (and their values), data values (read; submission of
entered values; the province's review), target sets (and their progress), assessments (read).

Rows come from ``restrict`` like every page; writes go through ``services``.
"""
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from zhijian.core.scope import province_prefix, scope_for
from zhijian.registry.models import Division
from zhijian.spotcheck.api.views import ChangePermission, ScopedReadViewSet, run_service

from .. import filtersets, models, periods, services
from ..report.filtersets import QualityReportFilterSet
from . import serializers as s

WHERE = [OpenApiParameter("division", OpenApiTypes.STR, description="GB/T 2260 code (default: your division)"),
         OpenApiParameter("period", OpenApiTypes.STR, description="2026, 2026Q2 or 202605")]


def _division_period(request, default_period: str):
    scope = scope_for(request.user)
    prefix = scope.prefix or province_prefix()
    division = str(request.query_params.get("division") or prefix.ljust(6, "0"))
    if not (len(division) == 6 and division.isdigit()):
        raise ValidationError({"division": ["A six-digit GB/T 2260 code."]})
    if not division.startswith(prefix) or not Division.objects.filter(pk=division).exists():
        raise Http404
    period = str(request.query_params.get("period") or default_period)
    try:
        periods.parse(period)
    except periods.PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    return division, period


class DataElementViewSet(ScopedReadViewSet):
    queryset = models.DataElement.objects.all()
    serializer_class = s.DataElementSerializer
    filterset_class = filtersets.DataElementFilterSet


class IndicatorViewSet(ScopedReadViewSet):
    queryset = models.Indicator.objects.all()
    serializer_class = s.IndicatorSerializer
    filterset_class = filtersets.IndicatorFilterSet

    @extend_schema(parameters=WHERE, responses=s.IndicatorValueSerializer)
    @action(detail=True, methods=["get"])
    def value(self, request, pk=None, format=None):
        """The indicator for a division and a period (sums rolled up, then the ratio)."""
        from django.utils import timezone

        ind = self.get_object()
        division, period = _division_period(request, str(timezone.localdate().year))
        v = services.evaluate(ind, division, period)
        return Response(s.IndicatorValueSerializer({
            "indicator": ind.code, "division": division, "period": period, "value": v.value, "reason": v.reason,
            "numerator": v.numerator, "denominator": v.denominator}).data)


class DataValueViewSet(ScopedReadViewSet):
    queryset = models.DataValue.objects.select_related("element")
    serializer_class = s.DataValueSerializer
    filterset_class = filtersets.DataValueFilterSet
    ordering_fields = ["period", "division", "last_updated"]

    @extend_schema(request=s.DataValueSerializer, responses=s.DataValueSerializer)
    def create(self, request, format=None):
        """Submit an entered value (or a correction); it counts once the province approves it."""
        body = s.DataValueSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = body.validated_data
        dv = run_service(lambda: services.submit_value(
            request.user, element=d["element"], division=d["division"], period=d["period"], value=d["value"],
            source=d.get("source", ""), note=d.get("note", "")))
        return Response(s.DataValueSerializer(dv, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewSerializer, responses=s.DataValueSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def review(self, request, pk=None, format=None):
        body = s.ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dv = run_service(lambda: services.review_value(self.get_object(), request.user,
                                                       approve=body.validated_data["approve"],
                                                       comment=body.validated_data["comment"]))
        return Response(s.DataValueSerializer(dv, context={"request": request}).data)


class TargetSetViewSet(ScopedReadViewSet):
    queryset = models.TargetSet.objects.prefetch_related("targets__indicator")
    serializer_class = s.TargetSetSerializer
    filterset_class = filtersets.TargetSetFilterSet

    @extend_schema(parameters=WHERE, responses=s.TargetProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None, format=None):
        """Each target's value for a division and a period, with its traffic light."""
        ts = self.get_object()
        division, period = _division_period(request, str(ts.year))
        rows = services.progress(ts, division, period, with_trend=False)
        return Response(s.TargetProgressSerializer({
            "target_set": ts.code, "division": division, "period": period,
            "rows": [{"target": r.target.pk, "indicator": r.target.indicator.code, "wording": r.target.wording,
                      "direction": r.target.direction, "target_value": r.target.value, "value": r.value,
                      "light": r.light, "reason": r.reason} for r in rows]}).data)


class AssessmentViewSet(ScopedReadViewSet):
    queryset = models.Assessment.objects.select_related("scheme").prefetch_related("scores__item")
    serializer_class = s.AssessmentSerializer
    filterset_class = filtersets.AssessmentFilterSet
    ordering_fields = ["rank", "total"]


class QualityReportViewSet(ScopedReadViewSet):
    """Quality-status reports (read): the province's and cities' in the user's region."""

    queryset = models.QualityReport.objects.select_related("division")
    serializer_class = s.QualityReportSerializer
    filterset_class = QualityReportFilterSet
    ordering_fields = ["created", "period"]
