"""Risk API: incidents and alerts (read, report, workflow actions), sentinel hospitals and
injury cases (scoped CRUD), incident levels (data).

Rows come from ``restrict`` like every page; workflow actions go through ``services``,
whose ``ValidationError`` is 400 with field messages and ``PermissionDenied`` 403.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from zhijian.core.api import ScopedModelViewSet
from zhijian.spotcheck.api.views import ChangePermission, ScopedReadViewSet, run_service

from .. import models, services
from . import serializers as s

PK = r"[0-9]{1,18}"


class IncidentLevelViewSet(ScopedModelViewSet):
    """Incident levels: thresholds and reporting time limits (data the province maintains)."""

    queryset = models.IncidentLevel.objects.all()
    serializer_class = s.IncidentLevelSerializer
    lookup_value_regex = PK


class IncidentViewSet(ScopedReadViewSet):
    """Major quality incidents; reported by the enterprise (its own) or by an officer."""

    queryset = models.Incident.objects.select_related("enterprise", "category", "division", "level") \
        .prefetch_related("reports")
    serializer_class = s.IncidentSerializer
    ordering_fields = ["occurred_at", "reported_at", "status"]

    def _incident(self):
        return self.get_object()

    @extend_schema(request=s.IncidentSerializer, responses=s.IncidentSerializer)
    def create(self, request, format=None):
        """The first report; the level follows from the figures (incident-level data)."""
        body = s.IncidentSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items()}
        incident = run_service(lambda: services.report_incident(request.user, **data))
        return Response(s.IncidentSerializer(incident, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReportSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None, format=None):
        """A follow-up, supplementary or final report (totals known now)."""
        incident = self._incident()
        body = s.ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(lambda: services.add_report(incident, request.user, **body.validated_data))
        incident.refresh_from_db()
        return Response(s.IncidentSerializer(incident, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def confirm(self, request, pk=None, format=None):
        incident = run_service(lambda: services.confirm_incident(self._incident(), request.user))
        return Response(s.IncidentSerializer(incident, context={"request": request}).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def reject(self, request, pk=None, format=None):
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = run_service(lambda: services.reject_incident(self._incident(), request.user,
                                                                reason=body.validated_data["reason"]))
        return Response(s.IncidentSerializer(incident, context={"request": request}).data)

    @extend_schema(request=None, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def close(self, request, pk=None, format=None):
        incident = run_service(lambda: services.close_incident(self._incident(), request.user))
        return Response(s.IncidentSerializer(incident, context={"request": request}).data)


class AlertViewSet(ScopedReadViewSet):
    """Risk alerts: opened, validated by a second officer, published, closed or withdrawn."""

    queryset = models.Alert.objects.select_related("division", "category").prefetch_related("reactions")
    serializer_class = s.AlertSerializer
    ordering_fields = ["created", "level", "status"]

    def get_queryset(self):
        if self.action == "react":  # a published alert reaches every bureau (the service checks)
            return models.Alert.objects.all()
        return super().get_queryset()

    def _out(self, alert, code=status.HTTP_200_OK):
        return Response(s.AlertSerializer(alert, context={"request": self.request}).data, status=code)

    @extend_schema(request=s.AlertSerializer, responses=s.AlertSerializer)
    def create(self, request, format=None):
        body = s.AlertSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = body.validated_data
        alert = run_service(lambda: services.open_alert(
            request.user, title=d["title"], division=d["division"], category=d["category"], level=d["level"],
            product=d.get("product", ""), hazard=d.get("hazard", ""), description=d.get("description", "")))
        return self._out(alert, status.HTTP_201_CREATED)

    @extend_schema(request=s.AlertMoveSerializer, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def move(self, request, pk=None, format=None):
        """validate (a second officer), publish, close, or withdraw (with a reason)."""
        body = s.AlertMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        return self._out(run_service(lambda: services.move_alert(self.get_object(), request.user, d["move"],
                                                                 reason=d["reason"])))

    @extend_schema(request=s.AlertStepSerializer, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def step(self, request, pk=None, format=None):
        """Tick an emergency-plan step as done."""
        body = s.AlertStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(run_service(lambda: services.mark_step(self.get_object(), request.user,
                                                                body.validated_data["index"])))

    @extend_schema(request=s.AlertReactSerializer, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def react(self, request, pk=None, format=None):
        """Another bureau's reaction to a published alert."""
        body = s.AlertReactSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = self.get_object()
        run_service(lambda: services.react(alert, request.user, **body.validated_data))
        alert.refresh_from_db()
        return self._out(alert, status.HTTP_201_CREATED)


class SentinelHospitalViewSet(ScopedModelViewSet):
    """The hospitals of the injury-surveillance sample, with stratum and case weight."""

    queryset = models.SentinelHospital.objects.select_related("division")
    serializer_class = s.SentinelHospitalSerializer
    ordering_fields = ["code", "name", "stratum"]
    lookup_value_regex = PK


BULK_LIMIT = 1000


class InjuryCaseViewSet(ScopedModelViewSet):
    """Injury cases of the sentinel hospitals (personal data: staff of the region and the hospital's
    own staff only).

    ``POST`` takes one case, or a list of up to 1,000 cases (bulk submission): all are checked
    and written in one transaction, or none — errors come back per list position
    (``{"errors": {"3": {"case_number": [...]}}}``). A hospital user (or its API token) may leave
    out ``hospital``; product and hazard left blank are filled in from the narrative.
    """

    queryset = models.InjuryCase.objects.select_related("hospital")
    serializer_class = s.InjuryCaseSerializer
    ordering_fields = ["treated_on", "case_number"]
    lookup_value_regex = PK

    @extend_schema(request=s.InjuryCaseSerializer(many=True), responses=s.InjuryCaseSerializer(many=True))
    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, list):
            return super().create(request, *args, **kwargs)
        from django.db import IntegrityError, transaction
        from rest_framework.exceptions import PermissionDenied, ValidationError

        rows = request.data
        if not rows:
            raise ValidationError({"non_field_errors": ["An empty list."]})
        if len(rows) > BULK_LIMIT:
            raise ValidationError({"non_field_errors": [f"At most {BULK_LIMIT} cases per request."]})
        context = self.get_serializer_context()
        errors, checked, seen = {}, [], {}
        for i, row in enumerate(rows):
            body = s.InjuryCaseSerializer(data=row, context=context)
            if not body.is_valid():
                errors[str(i)] = body.errors
                continue
            key = (body.validated_data["hospital"].pk, body.validated_data["case_number"])
            if key in seen:
                errors[str(i)] = {"case_number": [f"The same case as item {seen[key]}."]}
                continue
            seen[key] = i
            checked.append(body)
        if errors:
            raise ValidationError({"errors": errors})
        try:
            with transaction.atomic():
                created = []
                for i, body in enumerate(checked):
                    case = body.save()
                    if not models.InjuryCase.objects.is_allowed(request.user, "add", case):
                        raise PermissionDenied(f"Item {i}: the case would be outside your scope.")
                    created.append(case)
        except IntegrityError as exc:  # a concurrent submission of the same case won the race
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        out = s.InjuryCaseSerializer(created, many=True, context=context).data
        return Response(out, status=status.HTTP_201_CREATED)


class RiskAssessmentViewSet(ScopedReadViewSet):
    """Risk assessments by injury scenarios; each revision is a new version (``previous``)."""

    queryset = models.RiskAssessment.objects.select_related("division", "category")
    serializer_class = s.RiskAssessmentSerializer
    ordering_fields = ["created", "level", "version"]

    @extend_schema(request=s.RiskAssessmentSerializer, responses=s.RiskAssessmentSerializer)
    def create(self, request, format=None):
        body = s.RiskAssessmentSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = body.validated_data
        scenarios = d["scenarios"]
        if not isinstance(scenarios, list):
            from rest_framework.exceptions import ValidationError as DRFValidationError

            raise DRFValidationError({"scenarios": ["A list of scenarios."]})
        assessment = run_service(lambda: services.assess_product(
            request.user, division=d["division"], category=d["category"], product=d["product"], hazard=d["hazard"],
            scenarios=scenarios, evidence=d["evidence"], previous=d.get("previous")))
        return Response(s.RiskAssessmentSerializer(assessment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class SignalDefinitionViewSet(ScopedModelViewSet):
    """How signals are detected (data): counts, method, parameters and thresholds."""

    queryset = models.SignalDefinition.objects.all()
    serializer_class = s.SignalDefinitionSerializer
    lookup_value_regex = PK


class SignalViewSet(ScopedReadViewSet):
    """Signals found by the weekly runs, with their series; open an alert from one or dismiss it."""

    queryset = models.Signal.objects.select_related("definition", "category", "division")
    serializer_class = s.SignalSerializer
    ordering_fields = ["week", "statistic", "status"]

    @extend_schema(request=None, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def alert(self, request, pk=None, format=None):
        alert = run_service(lambda: services.alert_from_signal(self.get_object(), request.user))
        return Response(s.AlertSerializer(alert, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.SignalSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def dismiss(self, request, pk=None, format=None):
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        signal = run_service(lambda: services.dismiss_signal(self.get_object(), request.user,
                                                             reason=body.validated_data["reason"]))
        return Response(s.SignalSerializer(signal, context={"request": request}).data)


class OpinionSourceViewSet(ScopedModelViewSet):
    """Public-opinion sources (feeds and file-drop directories; configured by the province)."""

    queryset = models.OpinionSource.objects.select_related("division")
    serializer_class = s.OpinionSourceSerializer
    ordering_fields = ["name", "last_fetched"]
    lookup_value_regex = PK


class OpinionItemViewSet(ScopedReadViewSet):
    """Fetched opinion items with their SimHash, near-duplicate link and classification."""

    queryset = models.OpinionItem.objects.select_related("category", "division")
    serializer_class = s.OpinionItemSerializer
    ordering_fields = ["published", "fetched"]


class OpinionStoryViewSet(ScopedReadViewSet):
    """Stories (clusters of items); officers triage them."""

    queryset = models.OpinionStory.objects.select_related("category", "division")
    serializer_class = s.OpinionStorySerializer
    ordering_fields = ["last_seen", "item_count", "relevance"]

    @extend_schema(request=s.TriageSerializer, responses=s.OpinionStorySerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def triage(self, request, pk=None, format=None):
        """Relevant / not relevant, linked enterprise (id, in scope) and product, corrected category."""
        from django.core.exceptions import ValidationError

        from zhijian.registry.models import Enterprise, ProductCategory

        from .. import opinion

        body = s.TriageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        story = self.get_object()

        def run():
            enterprise = category = None
            if d["enterprise"] is not None:
                enterprise = Enterprise.objects.restrict(request.user, "view").filter(pk=d["enterprise"]).first()
                if enterprise is None:
                    raise ValidationError({"enterprise": "No such enterprise in your scope."})
            if d["category"] is not None:
                category = ProductCategory.objects.filter(pk=d["category"]).first()
                if category is None:
                    raise ValidationError({"category": "No such product category."})
            return opinion.triage_story(story, request.user, triage=d["triage"], enterprise=enterprise,
                                        product=d["product"], note=d["note"], category=category)

        story = run_service(run)
        return Response(s.OpinionStorySerializer(story, context={"request": request}).data)
