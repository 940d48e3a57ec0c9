"""The public recall API, openFDA enforcement-style: ``GET /api/recall/recalls/``.

Published ``RecallRecord`` rows only (``restrict`` for the public, whoever asks), for
anyone, rate-limited like every public API (the ``anon`` rate per address, the ``token``
rate per API token). The query parameters are openFDA's — ``search``, ``count``, ``sort``,
``limit`` (at most 1,000; one record unless asked), ``skip`` (at most 25,000) — see
``zhijian.core.fdaquery`` and ``docs/recall-api.md``; the record's JSON Schema is served at
``/api/recall/recalls/schema.json``.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from zhijian.core import fdaquery as fq

from .models import RecallRecord
from .openfda import CLASSIFICATION_OUT, STATUS_OUT, VOLUNTARY_MANDATED_OUT

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "recall-record.schema.json"


def _choices(name):
    return fq.choices_of(RecallRecord._meta.get_field(name))


def _inverse(table):
    return {spelling: value for value, spelling in table.items()}


FIELDS = fq.FieldMap({
    "recall_number": fq.Field("recall_number", fq.KEYWORD),
    "event_id": fq.Field("event_id", fq.KEYWORD),
    "classification": fq.Field("classification", fq.CHOICE, choices=_choices("classification"),
                               aliases=_inverse(CLASSIFICATION_OUT), present=CLASSIFICATION_OUT.get),
    "status": fq.Field("status", fq.CHOICE, choices=_choices("status"), present=STATUS_OUT.get),
    "product_description": fq.Field("product_description", countable=False, sortable=False),
    "product_code": fq.Field("product_code", fq.KEYWORD),
    "product_quantity": fq.Field("product_quantity", countable=False, sortable=False),
    "code_info": fq.Field("code_info", countable=False, sortable=False),
    "reason_for_recall": fq.Field("reason_for_recall", countable=False, sortable=False),
    "hazard": fq.Field("hazard", fq.CHOICE, choices=_choices("hazard")),
    "distribution_pattern": fq.Field("distribution_pattern", countable=False, sortable=False),
    "recalling_firm": fq.Field("recalling_firm"),
    "city": fq.Field("city"),
    "state": fq.Field("state"),
    "country": fq.Field("country"),
    "voluntary_mandated": fq.Field("voluntary_mandated", fq.CHOICE, choices=_choices("voluntary_mandated"),
                                   aliases={**_inverse(VOLUNTARY_MANDATED_OUT),
                                            "Voluntary: FDA Requested": "voluntary", "FDA Mandated": "ordered"},
                                   present=VOLUNTARY_MANDATED_OUT.get),
    "initial_firm_notification": fq.Field("initial_firm_notification"),
    "recall_initiation_date": fq.Field("recall_initiation_date", fq.DATE),
    "center_classification_date": fq.Field("center_classification_date", fq.DATE),
    "termination_date": fq.Field("termination_date", fq.DATE),
    "report_date": fq.Field("report_date", fq.DATE),
    "source": fq.Field("source", fq.CHOICE, choices=_choices("source")),
    "uscc": fq.Field("enterprise__uscc", fq.KEYWORD),
    "division": fq.Field("division__code", fq.KEYWORD),
})
DATES = ("recall_initiation_date", "center_classification_date", "termination_date", "report_date")
TEXTS = ("recall_number", "event_id", "product_description", "product_code", "product_quantity", "code_info",
         "reason_for_recall", "distribution_pattern", "recalling_firm", "city", "state", "country",
         "initial_firm_notification")


def as_openfda(record: RecallRecord) -> dict:
    """A record as openFDA writes it: strings, dates ``YYYYMMDD`` (absent when unknown),
    classification / status / voluntary_mandated in openFDA's spelling, each with its label."""
    out = {name: getattr(record, name) or "" for name in TEXTS}
    out.update(
        classification=CLASSIFICATION_OUT.get(record.classification, record.classification),
        classification_display=str(record.get_classification_display()),
        status=STATUS_OUT.get(record.status, record.status),
        status_display=str(record.get_status_display()),
        voluntary_mandated=VOLUNTARY_MANDATED_OUT.get(record.voluntary_mandated, record.voluntary_mandated),
        voluntary_mandated_display=str(record.get_voluntary_mandated_display()),
        hazard=record.hazard,
        hazard_display=str(record.get_hazard_display()) if record.hazard else "",
        source=record.source,
        uscc=record.enterprise.uscc if record.enterprise_id else "",
        division=record.division_id or "",
    )
    for name in DATES:
        value = getattr(record, name)
        if value is not None:
            out[name] = fq.format_date(value)
    return {key: out[key] for key in sorted(out)}


@cache
def record_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def public_records():
    """What the public may read: ``restrict`` for an anonymous user (published records)."""
    return RecallRecord.objects.restrict(AnonymousUser(), "view").select_related("enterprise")


def meta(request) -> dict:
    last = RecallRecord.objects.restrict(AnonymousUser(), "view").aggregate(last=Max("last_updated"))["last"]
    return {
        "disclaimer": _("Recall records published by the market regulation bureaus. They inform the public; "
                        "check the notice of the recall before relying on a record."),
        "schema": request.build_absolute_uri(reverse("recall-public-api:recall-schema")),
        "last_updated": timezone.localtime(last).date().isoformat() if last else None,
    }


# --------------------------------------------------------------------------- OpenAPI description


class OpenFdaRecallRecordSerializer(serializers.Serializer):
    """The record, for the OpenAPI document (the JSON Schema file is the full description)."""

    recall_number = serializers.CharField()
    event_id = serializers.CharField()
    classification = serializers.CharField(help_text="Class I, Class II or Class III")
    classification_display = serializers.CharField()
    status = serializers.CharField(help_text="Ongoing, Completed, Terminated or Pending")
    status_display = serializers.CharField()
    product_description = serializers.CharField()
    product_code = serializers.CharField()
    product_quantity = serializers.CharField()
    code_info = serializers.CharField(help_text="lot or batch codes")
    reason_for_recall = serializers.CharField()
    hazard = serializers.CharField()
    hazard_display = serializers.CharField()
    distribution_pattern = serializers.CharField()
    recalling_firm = serializers.CharField()
    uscc = serializers.CharField(help_text="the recalling firm's unified social credit code, when registered")
    city = serializers.CharField()
    state = serializers.CharField(help_text="province")
    country = serializers.CharField()
    division = serializers.CharField(help_text="GB/T 2260 code of the bureau's division")
    voluntary_mandated = serializers.CharField(help_text="Voluntary: Firm initiated, or Mandated (ordered)")
    voluntary_mandated_display = serializers.CharField()
    initial_firm_notification = serializers.CharField()
    recall_initiation_date = serializers.CharField(required=False, help_text="YYYYMMDD")
    center_classification_date = serializers.CharField(required=False, help_text="YYYYMMDD")
    termination_date = serializers.CharField(required=False, help_text="YYYYMMDD")
    report_date = serializers.CharField(required=False, help_text="YYYYMMDD")
    source = serializers.CharField(help_text="case or imported")


_RESULTS_META = inline_serializer("OpenFdaResultsMeta", {
    "skip": serializers.IntegerField(), "limit": serializers.IntegerField(), "total": serializers.IntegerField()})
_ANSWER = inline_serializer("OpenFdaRecallAnswer", {
    "meta": inline_serializer("OpenFdaRecallMeta", {
        "disclaimer": serializers.CharField(), "schema": serializers.CharField(),
        "last_updated": serializers.CharField(allow_null=True),
        "results": _RESULTS_META}),
    "results": OpenFdaRecallRecordSerializer(
        many=True, help_text="the records; with count= the counts instead: [{term, count}] "
                             "([{time, count}] for a date field)"),
})
_ERROR = inline_serializer("OpenFdaError", {"error": inline_serializer("OpenFdaErrorBody", {
    "code": serializers.CharField(help_text="BAD_REQUEST or NOT_FOUND"), "message": serializers.CharField(),
    "parameter": serializers.CharField(), "position": serializers.IntegerField(required=False)})})


class RecallViewSet(viewsets.GenericViewSet):
    """Published recall records, openFDA-style."""

    queryset = RecallRecord.objects.none()  # the model, for the tooling; rows come from public_records()
    permission_classes = [permissions.AllowAny]
    audience = "public"  # every caller sees what the public sees (tests/test_access_matrix.py)
    lookup_field = "recall_number"  # how a result names its row
    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="recall_public_search",
        summary="Recall records, openFDA enforcement-style (public)",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="openFDA syntax: field:term, AND / OR / NOT, \"phrases\", "
                                         "field.exact, field:[20260101 TO 20261231], _exists_:field"),
            OpenApiParameter("count", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="count the records by a field's values"),
            OpenApiParameter("sort", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="field:asc or field:desc"),
            OpenApiParameter("limit", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False,
                             description="records per answer, at most 1000 (default 1; counts 100)"),
            OpenApiParameter("skip", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False,
                             description="records to skip, at most 25000"),
        ],
        responses={200: OpenApiResponse(_ANSWER), 400: OpenApiResponse(_ERROR, description="a bad query"),
                   404: OpenApiResponse(_ERROR, description="no matches")},
    )
    def list(self, request):
        status, body = fq.run(public_records(), request.query_params, FIELDS, as_openfda, lambda: meta(request))
        return Response(body, status=status)


class RecallSchemaView(APIView):
    """The JSON Schema of one record."""

    permission_classes = [permissions.AllowAny]
    http_method_names = ["get", "options"]

    @extend_schema(operation_id="recall_public_record_schema", summary="JSON Schema of a recall record",
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request):
        return Response(record_schema(), content_type="application/schema+json")


app_name = "recall-public-api"
urlpatterns = [
    path("recalls/", RecallViewSet.as_view({"get": "list"}), name="recall-list"),
    path("recalls/schema.json", RecallSchemaView.as_view(), name="recall-schema"),
]
