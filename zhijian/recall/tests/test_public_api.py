"""The public recall API (``GET /api/recall/recalls/``): openFDA query syntax over published
records, counts, sort, paging caps, bad queries as 400 naming the problem, the JSON Schema."""
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from zhijian.core import scope as S
from zhijian.recall.models import RecallRecord
from zhijian.recall.public_api import SCHEMA_FILE, record_schema
from zhijian.registry.tests.factories import make_enterprise

URL = "/api/recall/recalls/"


def record(number, **kw):
    values = dict(recall_number=number, classification="II", status="ongoing", product_description="产品",
                  reason_for_recall="原因", recalling_firm="Firm", voluntary_mandated="voluntary",
                  published=True, division_id="320505")
    values.update(kw)
    return RecallRecord.objects.create(**values)


@pytest.fixture
def recs(db):
    heater = make_enterprise("320505", name="苏州电暖器有限公司")
    return {
        "heater": record("ZJ-2026-0001", classification="I", product_description="Oil-filled electric heater EH-2000",
                         reason_for_recall="Thermostat overheating may cause a fire", hazard="fire",
                         recalling_firm="Suzhou Heater Works", enterprise=heater, city="苏州", state="江苏",
                         report_date=dt.date(2026, 1, 21), recall_initiation_date=dt.date(2026, 1, 5),
                         code_info="Lots 250901-250930"),
        "kettle": record("ZJ-2026-0002", classification="III", status="terminated",
                         product_description="Electric kettle EK-17", reason_for_recall="Label lacks rated voltage",
                         recalling_firm="Suzhou Heater Works", voluntary_mandated="ordered",
                         report_date=dt.date(2025, 12, 24), termination_date=dt.date(2026, 1, 10)),
        "yoghurt": record("ZJ-2026-0003", product_description="Strawberry yoghurt 200 g",
                          reason_for_recall="Undeclared milk allergen", recalling_firm="Nanjing Dairy",
                          division_id="320102", report_date=dt.date(2026, 2, 18), status="completed"),
        "lamp": record("ZJ-2026-0004", product_description="Children's night lamp",
                       reason_for_recall="Small parts: choking hazard", hazard="choking",
                       recalling_firm="Lamp Makers", report_date=dt.date(2026, 3, 18)),
        "draft": record("ZJ-2026-0099", product_description="Electric heater, unpublished draft",
                        reason_for_recall="Thermostat", recalling_firm="Suzhou Heater Works", published=False,
                        report_date=dt.date(2026, 1, 30)),
    }


def get(client=None, **params):
    return (client or APIClient()).get(URL, params)


def numbers(response):
    assert response.status_code == 200, response.content
    return sorted(r["recall_number"] for r in response.json()["results"])


def error(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["error"]


# --------------------------------------------------------------------------- search


def test_field_search_word_phrase_and_exact(recs):
    assert numbers(get(search="product_description:heater", limit=10)) == ["ZJ-2026-0001"]
    assert numbers(get(search='reason_for_recall:"milk allergen"', limit=10)) == ["ZJ-2026-0003"]
    assert numbers(get(search='recalling_firm.exact:"Suzhou Heater Works"', limit=10)) == [
        "ZJ-2026-0001", "ZJ-2026-0002"]
    assert numbers(get(search="recall_number:zj-2026-0004")) == ["ZJ-2026-0004"]
    assert numbers(get(search=f"uscc:{recs['heater'].enterprise.uscc}")) == ["ZJ-2026-0001"]
    assert numbers(get(search="division:320102")) == ["ZJ-2026-0003"]
    assert numbers(get(search="state:江苏")) == ["ZJ-2026-0001"]


def test_and_or_not_and_parentheses(recs):
    assert numbers(get(search="recalling_firm:suzhou AND classification:I", limit=10)) == ["ZJ-2026-0001"]
    assert numbers(get(search="hazard:fire OR hazard:choking", limit=10)) == ["ZJ-2026-0001", "ZJ-2026-0004"]
    assert numbers(get(search="hazard:fire hazard:choking", limit=10)) == ["ZJ-2026-0001", "ZJ-2026-0004"]
    assert numbers(get(search="(hazard:fire OR status:completed) AND division:320505", limit=10)) == [
        "ZJ-2026-0001"]
    assert numbers(get(search="recalling_firm:suzhou AND NOT classification:I", limit=10)) == ["ZJ-2026-0002"]


def test_choices_in_openfda_spelling_labels_and_values(recs):
    assert numbers(get(search='classification:"Class III"')) == ["ZJ-2026-0002"]
    assert numbers(get(search="classification:III")) == ["ZJ-2026-0002"]
    assert numbers(get(search="voluntary_mandated:Mandated")) == ["ZJ-2026-0002"]
    assert numbers(get(search='voluntary_mandated:"FDA Mandated"')) == ["ZJ-2026-0002"]
    assert numbers(get(search="status:Terminated")) == ["ZJ-2026-0002"]
    with translation.override("zh-hans"):
        fire = str(dict(RecallRecord._meta.get_field("hazard").flatchoices)["fire"])
    assert numbers(get(search=f"hazard:{fire}")) == ["ZJ-2026-0001"]


def test_date_ranges_and_exists(recs):
    assert numbers(get(search="report_date:[20260101 TO 20260228]", limit=10)) == ["ZJ-2026-0001", "ZJ-2026-0003"]
    assert numbers(get(search="report_date:[2025-12-01 TO 2025-12-31]")) == ["ZJ-2026-0002"]
    assert numbers(get(search="_exists_:termination_date")) == ["ZJ-2026-0002"]
    assert numbers(get(search="_missing_:hazard", limit=10)) == ["ZJ-2026-0002", "ZJ-2026-0003"]


def test_record_shape_and_meta(recs):
    body = get(search="recall_number:ZJ-2026-0001").json()
    assert body["meta"]["results"] == {"skip": 0, "limit": 1, "total": 1}
    assert body["meta"]["schema"].endswith("/api/recall/recalls/schema.json")
    assert body["meta"]["last_updated"] is not None and body["meta"]["disclaimer"]
    r = body["results"][0]
    assert (r["classification"], r["status"], r["voluntary_mandated"]) == ("Class I", "Ongoing",
                                                                          "Voluntary: Firm initiated")
    assert (r["report_date"], r["recall_initiation_date"]) == ("20260121", "20260105")
    assert "termination_date" not in r
    assert (r["uscc"], r["division"], r["source"], r["hazard"]) == (recs["heater"].enterprise.uscc, "320505",
                                                                    "case", "fire")


def test_every_record_validates_against_the_published_schema(recs, client):
    schema = client.get(reverse("recall-public-api:recall-schema")).json()
    assert schema == record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for r in get(limit=1000).json()["results"]:
        jsonschema.validate(r, schema)
    docs = Path(__file__).resolve().parents[3] / "docs" / "schemas" / "recall-record.schema.json"
    assert json.loads(docs.read_text()) == json.loads(SCHEMA_FILE.read_text())


# --------------------------------------------------------------------------- publication and access


def test_unpublished_records_are_invisible_to_everyone(recs, make_user):
    staff = APIClient()
    staff.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    for client in (APIClient(), staff):
        assert "ZJ-2026-0099" not in numbers(get(client, limit=1000))
        assert error(get(client, search="recall_number:ZJ-2026-0099"), 404)["code"] == "NOT_FOUND"
        counted = get(client, search="recalling_firm:suzhou", count="recalling_firm.exact").json()["results"]
        assert counted == [{"term": "Suzhou Heater Works", "count": 2}]


def test_anonymous_clients_are_throttled_like_the_other_public_apis(recs):
    from django.conf import settings

    cache.clear()
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "token": "4/minute"}}
    with override_settings(REST_FRAMEWORK=rates):
        client = APIClient()
        codes = [get(client).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert "Retry-After" in get(client)
    cache.clear()


# --------------------------------------------------------------------------- count, sort, paging


def test_counts(recs):
    body = get(count="classification").json()
    assert body["results"] == [{"term": "Class II", "count": 2}, {"term": "Class I", "count": 1},
                               {"term": "Class III", "count": 1}]
    assert "results" not in body["meta"]
    assert get(search="division:320505", count="hazard").json()["results"] == [
        {"term": "choking", "count": 1}, {"term": "fire", "count": 1}]
    assert get(count="report_date", limit=2).json()["results"] == [
        {"time": "20251224", "count": 1}, {"time": "20260121", "count": 1}]


def test_sort_and_paging(recs):
    def page(**params):
        return [r["recall_number"] for r in get(**params).json()["results"]]

    assert page(sort="report_date:desc", limit=10) == ["ZJ-2026-0004", "ZJ-2026-0003", "ZJ-2026-0001",
                                                       "ZJ-2026-0002"]
    assert page(sort="report_date:asc", limit=2, skip=1) == ["ZJ-2026-0001", "ZJ-2026-0003"]
    assert page(sort="report_date:asc", limit=2, skip=3) == ["ZJ-2026-0004"]
    assert get(sort="report_date:asc", limit=2, skip=3).json()["meta"]["results"] == {
        "skip": 3, "limit": 2, "total": 4}
    assert len(page()) == 1  # openFDA's default page
    past_the_end = get(limit=1000, skip=25000).json()  # allowed; nothing left
    assert past_the_end["results"] == [] and past_the_end["meta"]["results"]["total"] == 4


@pytest.mark.parametrize("params,parameter,fragment", [
    ({"limit": "1001"}, "limit", "cannot exceed 1000"),
    ({"skip": "25001"}, "skip", "cannot exceed 25000"),
    ({"limit": "-5"}, "limit", "whole number"),
    ({"search": "colour:red"}, "search", "Unknown field “colour” at position 1"),
    ({"search": "report_date:[20260101 TO 2026-13-01]"}, "search", "“2026-13-01” is not a date"),
    ({"search": 'product_description:"heater'}, "search", "Unbalanced quote"),
    ({"search": "(hazard:fire OR hazard:cut"}, "search", "Unbalanced parenthesis"),
    ({"search": "classification:IV"}, "search", "“IV” is not a value of “classification”"),
    ({"count": "reason_for_recall"}, "count", "Cannot count “reason_for_recall”"),
    ({"sort": "product_description:asc"}, "sort", "Cannot sort by “product_description”"),
    ({"sort": "report_date:sideways"}, "sort", "asc or desc"),
])
def test_bad_queries_are_400_naming_the_problem(recs, params, parameter, fragment):
    with translation.override("en"):
        body = error(APIClient().get(URL, params, HTTP_ACCEPT_LANGUAGE="en"))
    assert body["code"] == "BAD_REQUEST" and body["parameter"] == parameter
    assert fragment in body["message"], body["message"]


def test_errors_are_in_chinese_for_chinese_clients(recs):
    body = error(APIClient().get(URL, {"search": "colour:red"}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "未知字段" in body["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("search", ['product_description:电暖器', 'reason_for_recall:overheating',
                                    'recalling_firm:"Suzhou Heater Works"', 'code_info:250901'])
def test_text_search_is_served_by_the_trigram_index_on_postgresql(search):
    """The index expression must be the one Django's icontains / iexact writes
    (``UPPER(col::text)``), or the planner can never use it."""
    from django.db import connection

    from zhijian.core import fdaquery as fq
    from zhijian.recall.public_api import FIELDS

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its choice
    # The search's own condition (the API adds ``published``, whose index a tiny table prefers).
    plan = RecallRecord.objects.filter(fq.search_q(search, FIELDS)).explain()
    field = search.split(":")[0]
    assert f"recall_rec_{field[:24]}_trgm" in plan, plan
