"""Agency credit lookup API: ``GET /api/credit/agency/enterprises/<uscc>/`` (or ``?uscc=``).

Read-only, for token clients of the agency role and for staff; every lookup,
found or not, is logged (``AgencyQuery`` + an audit entry); the answer's body
bytes are signed (Ed25519, ``X-Zhijian-Signature``); rate-limited per token by
the ``credit_agency`` throttle scope (falling back to the ``token`` rate).
See ``docs/credit-exchange.md`` for the answer's fields and how to verify it.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, throttling
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from zhijian.core.context import current
from zhijian.core.permissions import is_token_request
from zhijian.core.scope import ROLE_AGENCY, STAFF_ROLES, scope_for

from .. import agency

LOOKUP_ROLES = {ROLE_AGENCY, *STAFF_ROLES}


class AgencyLookupThrottle(throttling.SimpleRateThrottle):
    """Per token (per account for signed-in staff): ``DEFAULT_THROTTLE_RATES["credit_agency"]``,
    else the ``token`` rate; read on every request so that a deployment can change it."""

    scope = "credit_agency"

    def __init__(self):  # the rate is read per request, not once
        pass

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope) or rates.get("token")

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if is_token_request(request):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IsAgencyOrStaff(permissions.BasePermission):
    message = _("The credit lookup is for agency clients and supervision staff.")

    def has_permission(self, request, view):
        if request.method not in ("GET", "OPTIONS"):
            return False
        scope = scope_for(request.user)
        return scope.unrestricted or scope.role in LOOKUP_ROLES


def _signed(body: bytes, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response[agency.SIGNATURE_HEADER] = agency.sign(body)
    response[agency.KEY_ID_HEADER] = agency.key_id()
    response[agency.ALGORITHM_HEADER] = agency.ALGORITHM
    response["Cache-Control"] = "no-store"
    return response


class AgencyLookupView(APIView):
    """One enterprise's credit standing, signed; every lookup is logged."""

    permission_classes = [IsAgencyOrStaff]
    # One per-token limit (the DB cache costs ~6 queries a throttle); anonymous requests are
    # refused (401) before throttling.
    throttle_classes = [AgencyLookupThrottle]
    http_method_names = ["get", "options"]

    @extend_schema(
        operation_id="credit_agency_lookup",
        summary="Credit lookup by USCC (agencies)",
        parameters=[
            OpenApiParameter("uscc", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="USCC, when it is not in the path"),
            OpenApiParameter("purpose", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="why the agency asks (kept in the query log)"),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="found; body signed"),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="not a valid USCC"),
                   404: OpenApiResponse(OpenApiTypes.OBJECT, description="no such enterprise; body signed")},
    )
    def get(self, request, uscc: str | None = None):
        raw = uscc if uscc is not None else request.query_params.get("uscc", "")
        purpose = request.query_params.get("purpose", "")
        request_id = current().request_id
        token = request.auth if is_token_request(request) else None
        try:
            code = agency.clean_uscc(raw)
        except ValidationError as exc:
            answer = {"format_version": agency.FORMAT_VERSION, "request_id": request_id,
                      "uscc": raw[:64], "found": False, "error": exc.messages[0]}
            body = agency.render(answer)
            agency.record_query(user=request.user, token=token, uscc=raw, found=False, purpose=purpose,
                                remote_addr=request.META.get("REMOTE_ADDR"), body=body,
                                request_id=request_id)
            return _signed(body, 400)
        answer, found = agency.build_answer(code, request.user, request_id=request_id)
        body = agency.render(answer)
        agency.record_query(user=request.user, token=token, uscc=code, found=found, purpose=purpose,
                            remote_addr=request.META.get("REMOTE_ADDR"), body=body, request_id=request_id)
        return _signed(body, 200 if found else 404)


class AgencyLookupByQueryView(AgencyLookupView):
    """The same lookup with the USCC as ``?uscc=``."""

    @extend_schema(operation_id="credit_agency_lookup_query", summary="Credit lookup, ?uscc= (agencies)",
                   parameters=[OpenApiParameter("uscc", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True),
                               OpenApiParameter("purpose", OpenApiTypes.STR, OpenApiParameter.QUERY,
                                                required=False)],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: OpenApiResponse(OpenApiTypes.OBJECT),
                              404: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request, uscc: str | None = None):
        return super().get(request, uscc)


class PublicKeyView(APIView):
    """The public key that checks the lookup signatures (public)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    http_method_names = ["get", "options"]

    @extend_schema(summary="Public key of the credit lookup signatures",
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request):
        from rest_framework.response import Response

        return Response(agency.public_key_info())
