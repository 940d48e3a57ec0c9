"""Recall API: lots and movements (scoped CRUD, and the trace of a lot), recall cases (read, open,
workflow steps through ``services``), recall records (read; the public search API builds on them).

``ValidationError`` from a service is 400 with field messages, ``PermissionDenied`` 403.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from zhijian.core.permissions import is_token_request
from zhijian.core.api import ScopedModelViewSet
from zhijian.core.querysets import scope_q
from zhijian.spotcheck.api.views import ScopedReadViewSet, run_service

from .. import filtersets as fs
from .. import models, services
from .. import trace as T
from ..views import visible_trace
from . import serializers as s

PK = r"[0-9]{1,18}"


class StepPermission(permissions.BasePermission):
    """A workflow step: a signed-in user (not a read-only token) who may read the case; the
    service checks the role (officer or the producer), the state and the scope."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated or is_token_request(request):
            return False
        return scope_q(view.queryset.model, request.user, "view") is not None


class LotViewSet(ScopedModelViewSet):
    """Lots (batches) of products and materials, held by one operator each."""

    queryset = models.Lot.objects.select_related("operator")
    serializer_class = s.LotSerializer
    lookup_value_regex = PK
    filterset_class = fs.LotFilterSet
    ordering_fields = ["code", "produced_on"]

    @extend_schema(parameters=[
        OpenApiParameter("direction", OpenApiTypes.STR, enum=list(T.DIRECTIONS)),
        OpenApiParameter("depth", OpenApiTypes.INT)], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def trace(self, request, pk=None, format=None):
        """The forward (default) or backward trace, as far as the user may see it: lots in scope in
        full, their direct neighbours as code and holder."""
        lot = self.get_object()
        direction = request.query_params.get("direction", T.FORWARD)
        depth = request.query_params.get("depth")
        if direction not in T.DIRECTIONS:
            return Response({"direction": [f"one of {', '.join(T.DIRECTIONS)}"]}, status=status.HTTP_400_BAD_REQUEST)
        if depth not in (None, "") and (not str(depth).isdigit() or int(depth) > T.MAX_DEPTH):
            return Response({"depth": [f"an integer from 0 to {T.MAX_DEPTH}"]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(visible_trace(request.user, lot, direction, int(depth) if depth not in (None, "") else None))


class MovementViewSet(ScopedModelViewSet):
    """Movements: a material lot into a product lot (input), a lot to another operator's lot (shipment)."""

    queryset = models.Movement.objects.select_related("source", "target")
    serializer_class = s.MovementSerializer
    lookup_value_regex = PK
    filterset_class = fs.MovementFilterSet
    ordering_fields = ["moved_on", "id"]


class RecallCaseViewSet(ScopedReadViewSet):
    """Recall cases; opened by an officer or by the producer (a defect report), moved by steps."""

    queryset = models.RecallCase.objects.select_related("producer", "division") \
        .prefetch_related("affected__lot", "affected__operator", "progress", "events")
    serializer_class = s.RecallCaseSerializer
    ordering_fields = ["opened_on", "status"]
    filterset_class = fs.RecallCaseFilterSet

    def _out(self, case, code=status.HTTP_200_OK):
        case = self.queryset.get(pk=case.pk)
        return Response(s.RecallCaseSerializer(case, context={"request": self.request}).data, status=code)

    def get_permissions(self):
        if self.action in ("create", "step", "scope", "progress", "publish"):
            return [StepPermission()]
        return super().get_permissions()

    @extend_schema(request=s.OpenCaseSerializer, responses=s.RecallCaseSerializer)
    def create(self, request, format=None):
        body = s.OpenCaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        case = run_service(lambda: services.open_case(request.user, **d))
        return self._out(case, status.HTTP_201_CREATED)

    @extend_schema(request=s.StepSerializer, responses=s.RecallCaseSerializer)
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None, format=None):
        """One step: investigate, notify, object, uphold / reject (the objection), voluntary, order, plan,
        send, summary, close, drop. ``text`` is the finding, objection, decision, plan, summary or reason."""
        case = self.get_object()
        body = s.StepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        user, text, on = request.user, d["text"], d["on"]
        calls = {
            "investigate": lambda: services.record_investigation(case, user, text=text),
            "notify": lambda: services.notify_defect(case, user, finding=text, on=on),
            "object": lambda: services.file_objection(case, user, text=text, on=on),
            "uphold": lambda: services.decide_objection(case, user, upheld=True, text=text, on=on),
            "reject": lambda: services.decide_objection(case, user, upheld=False, text=text, on=on),
            "voluntary": lambda: services.start_voluntary_recall(case, user, on=on),
            "order": lambda: services.order_recall(case, user, on=on),
            "plan": lambda: services.register_plan(case, user, plan=text, on=on),
            "send": lambda: services.send_plan(case, user, on=on),
            "summary": lambda: services.file_summary(case, user, text=text, on=on),
            "close": lambda: services.close_case(case, user, note=text, on=on),
            "drop": lambda: services.drop_case(case, user, reason=text, on=on),
        }
        run_service(calls[d["step"]])
        return self._out(case)

    @extend_schema(request=s.ScopeSerializer, responses=s.RecallCaseSerializer)
    @action(detail=True, methods=["post"])
    def scope(self, request, pk=None, format=None):
        """Compute the scope: the defective lots (or those chosen before) and their forward trace."""
        case = self.get_object()
        body = s.ScopeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lots = body.validated_data.get("lots")
        run_service(lambda: services.compute_scope(case, request.user, lots=lots or None,
                                                   max_depth=body.validated_data.get("max_depth")))
        return self._out(case)

    @extend_schema(request=s.ProgressSerializer, responses=s.RecallCaseSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None, format=None):
        """A staged progress report (cumulative figures)."""
        case = self.get_object()
        body = s.ProgressSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        run_service(lambda: services.report_progress(case, request.user, **d))
        return self._out(case, status.HTTP_201_CREATED)

    @extend_schema(request=s.NoticeSerializer, responses=s.RecallCaseSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None, format=None):
        """Publish the recall notice: creates or updates the public recall record."""
        case = self.get_object()
        body = s.NoticeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(lambda: services.publish_notice(case, request.user, **body.validated_data))
        return self._out(case)


class RecallRecordViewSet(ScopedReadViewSet):
    """Recall records (openFDA enforcement fields): published ones are public."""

    queryset = models.RecallRecord.objects.all()
    serializer_class = s.RecallRecordSerializer
    ordering_fields = ["report_date", "recall_initiation_date", "recall_number"]
    filterset_class = fs.RecallRecordFilterSet
