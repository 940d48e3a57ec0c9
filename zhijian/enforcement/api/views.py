"""Enforcement API: cases (read, open, every workflow step), decisions (read, publish, payment,
execution, revocation) and the transfers register (read, the organ's answer).

Rows come from ``restrict`` like every page. A step's body is validated by the same form as
the page's (``forms.CASE_STEPS`` …) and runs the same service: ``ValidationError`` is 400 with
field messages, ``PermissionDenied`` 403.
"""
from django.apps import apps
from django.utils.text import camel_case_to_spaces
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from zhijian.spotcheck.api.views import ChangePermission, ScopedReadViewSet, run_service

from .. import filtersets as fs
from .. import forms, models, services
from . import serializers as s


def _run_step(viewset, spec, request):
    obj = viewset.get_object()
    data = request.data
    if hasattr(data, "getlist"):
        data = {k: (data.getlist(k) if k == "kinds" else data.get(k)) for k in data}
    elif not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    form = spec.form(data) if spec.form else None
    if form is not None and not form.is_valid():
        raise serializers.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    run_service(lambda: spec.run(obj, request.user, form.cleaned_data if form is not None else {}))
    obj = viewset.get_queryset().model._base_manager.get(pk=obj.pk)
    return Response(viewset.get_serializer(obj).data)


def add_step_actions(viewset_class, steps: dict):
    """One POST action per step (``/<pk>/<step>/``), documented with the step form's fields."""
    for name, spec in steps.items():
        body = s.serializer_for_form(spec.form, "".join(p.title() for p in name.split("-")) +
                                     viewset_class.__name__.replace("ViewSet", ""))

        def handler(self, request, pk=None, format=None, _spec=spec):
            return _run_step(self, _spec, request)

        handler.__name__ = name.replace("-", "_")
        handler.__doc__ = str(spec.label)
        handler = extend_schema(request=body, responses=viewset_class.serializer_class,
                                summary=str(spec.label))(handler)
        handler = action(detail=True, methods=["post"], url_path=name, url_name=name,
                         permission_classes=[ChangePermission])(handler)
        setattr(viewset_class, handler.__name__, handler)
    return viewset_class


class CaseViewSet(ScopedReadViewSet):
    """Enforcement cases: opened (POST), then moved through their steps."""

    queryset = models.Case.objects.select_related("enterprise", "division", "decision", "decision__publication") \
        .prefetch_related("evidence", "events")
    serializer_class = s.EnforcementCaseSerializer
    filterset_class = fs.CaseFilterSet
    ordering_fields = ["proposed_on", "decision_due", "status"]

    @extend_schema(request=s.EnforcementCaseSerializer, responses=s.EnforcementCaseSerializer)
    def create(self, request, format=None):
        """Propose filing a case: directly, or from a spot-check task, a complaint conversion or an incident."""
        body = s.EnforcementCaseSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        record, origin = None, d.pop("origin")
        for param, label in (("task", "spotcheck.task"), ("conversion", "complaints.conversion"),
                             ("incident", "risk.incident")):
            pk = d.pop(param, None)
            if pk is not None and record is None:
                record = apps.get_model(label)._base_manager.filter(pk=pk).first()
                if record is None:
                    raise NotFound(f"no {camel_case_to_spaces(label.split('.')[1])} {pk}")
                origin = services.origin_defaults(record)["origin"]
        case = run_service(lambda: services.open_case(
            request.user, enterprise=d["enterprise"], division=d["division"], title=d.get("title", ""),
            facts=d.get("facts", ""), origin=origin, record=record, origin_reference=d.get("origin_reference", ""),
            on=d.get("proposed_on")))
        return Response(s.EnforcementCaseSerializer(case, context={"request": request}).data, status=status.HTTP_201_CREATED)


class PenaltyDecisionViewSet(ScopedReadViewSet):
    """Penalty decisions (an enterprise reads its own)."""

    queryset = models.PenaltyDecision.objects.select_related("case", "publication")
    serializer_class = s.PenaltyDecisionSerializer
    filterset_class = fs.PenaltyDecisionFilterSet
    ordering_fields = ["decided_on", "payment_due"]


class JudicialTransferViewSet(ScopedReadViewSet):
    """The register of transfers to judicial organs."""

    queryset = models.JudicialTransfer.objects.select_related("case")
    serializer_class = s.JudicialTransferSerializer
    filterset_class = fs.JudicialTransferFilterSet
    ordering_fields = ["transferred_on", "status"]


add_step_actions(CaseViewSet, forms.CASE_STEPS)
add_step_actions(PenaltyDecisionViewSet, forms.DECISION_STEPS)
add_step_actions(JudicialTransferViewSet, forms.TRANSFER_STEPS)
