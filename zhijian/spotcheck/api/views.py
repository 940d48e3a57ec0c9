"""Spot-check API: plans through commit / draw / publication, tasks and their steps.

Rows come from ``restrict`` like every page. Writes that are workflow steps go
through the domain services (``drawing.commit`` / ``perform_draw`` /
``publish_draw``, ``services.apply`` / ``publish_result``), which check the state,
the role and the scope again inside their transaction: their ``ValidationError``
becomes 400 with the field messages, their ``PermissionDenied`` 403.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import get_error_detail
from rest_framework.response import Response

from zhijian.core.api import (
    ACTION_FOR_METHOD,
    Conflict,
    ScopedFilterBackend,
    ScopedModelViewSet,
    ScopedPagination,
    ScopedPermission,
    is_token_request,
)
from zhijian.core.querysets import scope_q

from .. import drawing, models, services
from . import filters as fs
from . import serializers as s

PK = r"[0-9]{1,18}"
STEP = r"[a-z_]{1,32}"


def _validation_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(get_error_detail(exc))


def run_service(call):
    """Run a domain write: ValidationError → 400 with its messages, PermissionDenied → 403."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc
    except DjangoValidationError as exc:
        raise _validation_error(exc) from exc


class ChangePermission(permissions.BasePermission):
    """A workflow step: a signed-in user (not a read-only token) who may change some rows of
    the model; the service then checks the row, the state and the role."""

    message = _("You do not have permission to perform this action.")

    def has_permission(self, request, view):
        if not request.user.is_authenticated or is_token_request(request):
            return False
        return scope_q(view.queryset.model, request.user, "change") is not None


class ScopedReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and detail only (plus actions), rows ``restrict``-ed like ``ScopedModelViewSet``."""

    pagination_class = ScopedPagination
    permission_classes = [ScopedPermission]
    filter_backends = [ScopedFilterBackend, filters.OrderingFilter]
    lookup_value_regex = PK

    def get_queryset(self):
        action = "view" if self.action in ("list", "retrieve") else \
            ACTION_FOR_METHOD.get(self.request.method, "view")
        if action == "add":
            action = "view"  # actions find the row to act on; the service checks the change
        return super().get_queryset().restrict(self.request.user, action)


class PlanViewSet(ScopedModelViewSet):
    """Spot-check plans; created and edited as drafts, then committed, drawn and published."""

    queryset = models.Plan.objects.select_related("division").prefetch_related(
        "categories", "scope_divisions")
    serializer_class = s.PlanSerializer
    filterset_class = fs.PlanFilterSet
    ordering_fields = ["year", "starts_on", "title", "status"]
    lookup_value_regex = PK

    def get_action(self):
        if self.action in ("commit", "draw", "publish"):
            return "change"
        return super().get_action()

    def _only_draft(self, plan):
        if plan.status != models.Plan.Status.DRAFT:
            raise Conflict(_("Only a draft plan can be changed or deleted; this one is %(status)s.")
                           % {"status": plan.get_status_display()})

    def perform_update(self, serializer):
        self._only_draft(serializer.instance)
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        self._only_draft(instance)
        super().perform_destroy(instance)

    def _plan(self):
        plan = self.get_object()
        return plan

    @extend_schema(request=s.CommitSerializer, responses=s.DrawSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def commit(self, request, pk=None, format=None):
        """Publish the commitment SHA-256(secret) before the draw (the plan is then fixed)."""
        plan = self._plan()
        body = s.CommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        draw = run_service(lambda: drawing.commit(plan, request.user, data["commitment"],
                                                  public_value_source=data["public_value_source"],
                                                  public_value_at=data["public_value_at"]))
        return Response(s.DrawSerializer(draw, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PublicValueSerializer, responses=s.DrawSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission], url_path="public-value")
    def public_value(self, request, pk=None, format=None):
        """A second officer enters the public value once it is announced at the named source."""
        plan = self._plan()
        body = s.PublicValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draw = run_service(lambda: drawing.enter_public_value(plan, request.user,
                                                              body.validated_data["public_value"]))
        return Response(s.DrawSerializer(draw, context={"request": request}).data)

    @extend_schema(request=s.DrawRequestSerializer, responses=s.DrawSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def draw(self, request, pk=None, format=None):
        """Reveal the secret and draw enterprises and inspectors (after the public value is entered)."""
        plan = self._plan()
        body = s.DrawRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        draw = run_service(lambda: drawing.perform_draw(plan, request.user, secret=data["secret"]))
        return Response(s.DrawSerializer(draw, context={"request": request}).data)

    @extend_schema(request=None, responses=s.DrawSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def publish(self, request, pk=None, format=None):
        """Publish the plan, its draw record and its pool on the portal."""
        plan = self._plan()
        draw = run_service(lambda: drawing.publish_draw(plan, request.user))
        return Response(s.DrawSerializer(draw, context={"request": request}).data)


class PlanLabViewSet(ScopedModelViewSet):
    """The lab that tests each category of a plan (set while the plan is a draft)."""

    queryset = models.PlanLab.objects.select_related("plan")
    serializer_class = s.PlanLabSerializer
    filterset_class = fs.PlanLabFilterSet
    ordering_fields = ["id"]
    lookup_value_regex = PK

    def perform_destroy(self, instance):
        if instance.plan.status != models.Plan.Status.DRAFT:
            raise Conflict(_("Labs are assigned while the plan is a draft."))
        super().perform_destroy(instance)


class TaskViewSet(ScopedReadViewSet):
    """Drawn tasks (read); each step of SAMR order 18 is ``POST tasks/{id}/steps/{name}/``."""

    queryset = models.Task.objects.select_related("enterprise", "category").prefetch_related("inspectors")
    serializer_class = s.TaskSerializer
    filterset_class = fs.TaskFilterSet
    ordering_fields = ["id", "status", "published_on", "publication_due"]

    @extend_schema(responses=s.StepSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="steps", url_name="steps", filter_backends=[],
            pagination_class=None)
    def steps(self, request, pk=None, format=None):
        """The steps the user may take on the task now, with the data each takes."""
        task = self.get_object()
        return Response([{"name": t.name, "label": t.label, "fields": list(t.fields)}
                         for t in services.available_transitions(task, request.user)])

    @extend_schema(parameters=[OpenApiParameter("step", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                pattern=f"^{STEP}$",
                                                enum=sorted(services.TRANSITIONS))],
                   request=OpenApiTypes.OBJECT, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], url_path=f"steps/(?P<step>{STEP})", url_name="step",
            permission_classes=[ChangePermission], filter_backends=[], pagination_class=None)
    def step(self, request, pk=None, step=None, format=None):
        """Take one step (``sample``, ``deliver``, ``record_result``, ``notify``, ...)."""
        task = self.get_object()
        if step not in services.TRANSITIONS:
            raise Http404(_("Unknown step."))
        data = request.data
        data = data.dict() if hasattr(data, "dict") else dict(data) if isinstance(data, dict) else None
        if data is None:
            raise serializers.ValidationError({"non_field_errors": [_("Send the step's data as an object.")]})
        task = run_service(lambda: services.apply(task, step, request.user, data))
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission],
            filter_backends=[], pagination_class=None)
    def publish(self, request, pk=None, format=None):
        """Publish the task's result on the portal (一公开)."""
        task = self.get_object()
        task = run_service(lambda: services.publish_result(task, request.user))
        return Response(self.get_serializer(task).data)


class TestItemViewSet(ScopedReadViewSet):
    """Inspected items of the tests and re-tests (written by the ``record_result`` step)."""

    queryset = models.TestItem.objects.all()
    serializer_class = s.TestItemSerializer
    filterset_class = fs.TestItemFilterSet
    ordering_fields = ["id", "task"]


class DrawViewSet(ScopedReadViewSet):
    """Draws: commitment, revealed secret, seed and hashes; the record and pool files."""

    queryset = models.Draw.objects.all()
    serializer_class = s.DrawSerializer
    filterset_class = fs.DrawFilterSet
    ordering_fields = ["id", "committed_at", "drawn_at"]

    def _file(self, field, filename, content_type):
        draw = self.get_object()
        stored = getattr(draw, field)
        if not stored:
            raise Http404(_("The draw has not been made yet."))
        return FileResponse(stored.open("rb"), as_attachment=True,
                            filename=f"plan-{draw.plan_id}-{filename}", content_type=content_type)

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def record(self, request, pk=None, format=None):
        """The draw record file (canonical JSON), as stored."""
        return self._file("record_file", "draw-record.json", "application/json")

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def pool(self, request, pk=None, format=None):
        """The pool file (canonical CSV), as stored."""
        return self._file("pool_file", "pool.csv", "text/csv; charset=utf-8")


class InspectorConflictViewSet(ScopedModelViewSet):
    """Recorded relationships that bar an inspector from checking an enterprise (回避)."""

    queryset = models.InspectorConflict.objects.select_related("inspector", "enterprise")
    serializer_class = s.InspectorConflictSerializer
    filterset_class = fs.InspectorConflictFilterSet
    ordering_fields = ["id"]
    lookup_value_regex = PK


__all__ = ["PlanViewSet", "PlanLabViewSet", "TaskViewSet", "TestItemViewSet", "DrawViewSet",
           "InspectorConflictViewSet"]
