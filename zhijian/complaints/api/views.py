"""Complaints API: cases (read for staff, intake for officers) and their handling steps.

Rows come from ``restrict`` like every page. Intake goes through
``services.receive`` and the case must land inside the officer's scope (else 403,
nothing written). A step is ``POST cases/{id}/steps/{name}/`` with the fields of
the step's form (``forms.STEPS``, the same as on the case page); the service
checks the state, the role and the scope again: its ``ValidationError`` is 400
with field messages, its ``PermissionDenied`` 403.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import get_error_detail
from rest_framework.response import Response

from zhijian.core.api import ScopedFilterBackend, ScopedPagination, ScopedPermission, is_token_request
from zhijian.spotcheck.api.views import ChangePermission

from .. import models, services
from ..forms import STEPS, run_step, step_form
from ..masking import can_see_personal
from . import filters as fs
from . import serializers as s

PK = r"[0-9]{1,18}"
STEP = r"[a-z_]{1,32}"


def sees_personal(request, case) -> bool:
    """Clear personal data for the handling scope's staff, in their own session only: API tokens are
    read-only and never handle a case, so they get masked values like everyone else."""
    return not is_token_request(request) and can_see_personal(request.user, case)


def _form_errors(form) -> dict:
    return {("non_field_errors" if k == "__all__" else k): [str(m) for m in v] for k, v in form.errors.items()}


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints and reports in the user's scope; the complainant is masked in lists."""

    queryset = models.Case.objects.select_related("division", "category", "respondent", "complainant")
    serializer_class = s.CaseSerializer
    pagination_class = ScopedPagination
    permission_classes = [ScopedPermission]
    filter_backends = [ScopedFilterBackend, filters.OrderingFilter]
    filterset_class = fs.CaseFilterSet
    ordering_fields = ["id", "received_on", "next_due", "status", "closed_on"]
    lookup_value_regex = PK

    def get_queryset(self):
        act = "change" if self.action == "step" else "view"
        return super().get_queryset().restrict(self.request.user, act)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "clear_pks": getattr(self, "_clear_pks", ())}

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        self._clear_pks = {case.pk} if sees_personal(request, case) else set()
        return Response(self.get_serializer(case).data)

    @extend_schema(request=s.CaseCreateSerializer, responses={201: s.CreatedCaseSerializer})
    def create(self, request, *args, **kwargs):
        """Register a complaint or report (officers); the answer carries the verification code once."""
        body = s.CaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        division = data.pop("division", None)
        if data.get("amount_claimed") is None:
            data.pop("amount_claimed", None)
        try:
            with transaction.atomic():
                case, code = services.receive(data, user=request.user, division=division)
                if not models.Case.objects.is_allowed(request.user, "add", case):
                    raise PermissionDenied(_("The case would go to %(division)s, outside your scope; nothing "
                                             "was saved.") % {"division": case.division})
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        case = self.queryset.get(pk=case.pk)
        context = {**self.get_serializer_context(), "code": code,
                   "clear_pks": {case.pk} if sees_personal(request, case) else set()}
        return Response(s.CreatedCaseSerializer(case, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.StepSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="steps", url_name="steps", filter_backends=[],
            pagination_class=None)
    def steps(self, request, pk=None, format=None):
        """The steps the user may take on the case now, with the fields each takes."""
        case = self.get_object()
        names = services.available_steps(case, request.user) if sees_personal(request, case) else []
        return Response([{"name": n, "label": str(STEPS[n].label), "fields": list(STEPS[n].form.base_fields)}
                         for n in names if n in STEPS])

    @extend_schema(parameters=[OpenApiParameter("step", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                pattern=f"^{STEP}$", enum=sorted(STEPS))],
                   request=OpenApiTypes.OBJECT, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"], url_path=f"steps/(?P<step>{STEP})", url_name="step",
            permission_classes=[ChangePermission], filter_backends=[], pagination_class=None)
    def step(self, request, pk=None, step=None, format=None):
        """Take one step (``accept``, ``reject``, ``mediate``, ``close_agreement``, ...)."""
        case = self.get_object()
        if step not in STEPS:
            raise Http404(_("Unknown step."))
        data = request.data
        if not isinstance(data, dict) and not hasattr(data, "getlist"):
            raise serializers.ValidationError({"non_field_errors": [_("Send the step's data as an object.")]})
        form = step_form(step, case, request.user, data, prefix=False)
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        try:
            with transaction.atomic():
                run_step(step, case, request.user, form)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_form_errors(form)) from exc
        case = self.queryset.get(pk=case.pk)
        self._clear_pks = {case.pk} if sees_personal(request, case) else set()
        return Response(self.get_serializer(case).data)
