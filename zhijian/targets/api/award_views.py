"""API of award applications (read, create, the steps), recognised brands and demonstration zones
(read and write in the user's region). Rows come from ``restrict``; steps go through
``award_services``."""
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from zhijian.core.api import ScopedModelViewSet
from zhijian.spotcheck.api.views import ChangePermission, ScopedReadViewSet, run_service

from .. import award_filtersets as fs
from .. import award_services as services
from .. import awards
from . import award_serializers as s


class AwardApplicationViewSet(ScopedReadViewSet):
    """Award applications: created as drafts (POST), then moved through their steps."""

    queryset = awards.AwardApplication.objects.select_related("enterprise").prefetch_related("events")
    serializer_class = s.AwardApplicationSerializer
    filterset_class = fs.AwardApplicationFilterSet
    ordering_fields = ["year", "decision_date", "last_updated"]

    def create(self, request, format=None):
        body = s.AwardApplicationSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            app = body.save()
            if not awards.AwardApplication.objects.is_allowed(request.user, "add", app):
                raise PermissionDenied("The application would be outside your scope.")
        return Response(s.AwardApplicationSerializer(app, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    def _done(self, request, app):
        app = self.get_queryset().model.objects.prefetch_related("events").get(pk=app.pk)
        return Response(s.AwardApplicationSerializer(app, context={"request": request}).data)

    @extend_schema(request=None, responses=s.AwardApplicationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def submit(self, request, pk=None, format=None):
        return self._done(request, run_service(lambda: services.submit(self.get_object(), request.user)))

    @extend_schema(request=s.AwardCheckSerializer, responses=s.AwardApplicationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def check(self, request, pk=None, format=None):
        from django.utils import timezone

        body = s.AwardCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        on = body.validated_data["on"] or timezone.localdate()
        return self._done(request, run_service(lambda: services.check_eligibility(self.get_object(), request.user,
                                                                                  on=on)))

    @extend_schema(request=None, responses=s.AwardApplicationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def review(self, request, pk=None, format=None):
        return self._done(request, run_service(lambda: services.start_review(self.get_object(), request.user)))

    @extend_schema(request=s.AwardDecisionSerializer, responses=s.AwardApplicationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def decide(self, request, pk=None, format=None):
        body = s.AwardDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        return self._done(request, run_service(lambda: services.decide(
            self.get_object(), request.user, grant=d["grant"], on=d["on"], number=d["number"], note=d["note"],
            payment_due=d["payment_due"])))

    @extend_schema(request=s.AwardPaymentSerializer, responses=s.AwardApplicationSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def pay(self, request, pk=None, format=None):
        body = s.AwardPaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        return self._done(request, run_service(lambda: services.record_payment(
            self.get_object(), request.user, paid_on=d["paid_on"], voucher=d["voucher"])))


class RecognisedBrandViewSet(ScopedModelViewSet):
    queryset = awards.Brand.objects.all()
    serializer_class = s.RecognisedBrandSerializer
    filterset_class = fs.BrandFilterSet
    ordering_fields = ["year", "name"]


class DemonstrationZoneViewSet(ScopedModelViewSet):
    queryset = awards.DemonstrationZone.objects.all()
    serializer_class = s.DemonstrationZoneSerializer
    filterset_class = fs.DemonstrationZoneFilterSet
    ordering_fields = ["year", "name"]
