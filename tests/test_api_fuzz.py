"""The API fuzzed from its OpenAPI schema (DESIGN §10): no request may end in a 5xx.

Schemathesis reads ``/api/schema/`` (drf-spectacular) from the WSGI application
and sends generated requests — valid and invalid bodies, query strings and path
values — to every operation, as a signed-in 苏州 city officer (who may write
regional data, so create / update / delete bodies reach the serializers and the
database), and checks only ``not_a_server_error``. Everything runs inside the
test's transaction and is rolled back.

The number of examples per operation is small and bounded for CI time
(``ZHIJIAN_FUZZ_EXAMPLES``, default 8); a deeper run is the same test with a
bigger number.
"""
import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from zhijian.core import scope as S
from zhijian.registry.tests.factories import make_enterprise

EXAMPLES = int(os.environ.get("ZHIJIAN_FUZZ_EXAMPLES", "8"))
CSRF = "fuzzcsrf" * 4  # a well-formed CSRF secret, sent as cookie and header


@pytest.fixture
def _wsgi_in_transaction():
    """Serve WSGI requests on the test's connection (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _load_schema():
    """The schema ``/api/schema/`` serves, generated in-process (no request, no database)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    config = SchemathesisConfig.from_dict({
        "generation": {"max-examples": EXAMPLES},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    })
    loaded = schemathesis.openapi.from_dict(document, config=config)
    loaded.app = WSGIHandler()
    return loaded, document


schema, DOCUMENT = _load_schema()


@pytest.mark.django_db
def test_fuzzed_schema_is_the_served_one():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == DOCUMENT
    assert any(path.startswith("/api/registry/") for path in DOCUMENT["paths"])


@pytest.fixture
def world(db):
    """A row of every registry model, in the officer's region and outside it, so that
    generated requests reach existing objects (see ``existing``)."""
    from zhijian.registry import models as m

    category = m.ProductCategory.objects.order_by("code").first()
    standard = m.Standard.objects.create(code="GB/T FUZZ-2026", title="fuzz", kind="national_recommended")
    for division in ("320505", "320583", "320102"):
        e = make_enterprise(division)
        m.Product.objects.create(enterprise=e, category=category, name="fuzz product")
        m.StandardDeclaration.objects.create(enterprise=e, product_name="fuzz", standard=standard,
                                             published_on="2026-01-01")
        m.Certification.objects.create(enterprise=e, kind="ccc", number=f"FUZZ-{division}")
        m.Award.objects.create(enterprise=e, kind="other", year=2025)
        m.Brand.objects.create(enterprise=e, kind="other", name="fuzz", year=2025)
        lab = m.Lab.objects.create(name="fuzz lab", accreditation_number=f"FUZZ-{division}",
                                   division_id=division, level="city")
        lab.categories.set([category])
        m.Inspector.objects.create(name="fuzz", badge_number=f"FUZZ-{division}", division_id=division)


def existing(case, user):
    """Point most generated path values at rows the user may change (else nearly every update
    or delete would be a 404 and never reach the serializers); one in four stays as generated."""
    from django.urls import Resolver404, resolve

    params = case.path_parameters or {}
    if not params:
        return
    try:
        match = resolve(case.path.split("{")[0])
    except Resolver404:
        return
    model = getattr(getattr(getattr(match.func, "cls", None), "queryset", None), "model", None)
    if model is None:
        return
    for name, value in list(params.items()):
        field = model._meta.pk.name if name in ("id", "pk") else name
        if field not in {f.name for f in model._meta.concrete_fields}:
            continue
        rows = model.objects.restrict(user, "change") if hasattr(model.objects, "restrict") \
            else model._base_manager.all()
        pool = list(rows.order_by("pk").values_list(field, flat=True)[:50])
        digest = sum(str(value).encode())
        if pool and digest % 4:
            params[name] = pool[digest % len(pool)]


@pytest.fixture
def officer(db, make_user):
    return make_user(S.ROLE_OFFICER, "320500", username="fuzz-officer")


@pytest.fixture
def officer_session(officer):
    client = Client()
    client.force_login(officer)
    return client.cookies["sessionid"].value


@schema.parametrize()
@settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors(case, world, officer, officer_session, _wsgi_in_transaction):
    existing(case, officer)
    case.call_and_validate(
        cookies={"sessionid": officer_session, "csrftoken": CSRF},
        headers={"X-CSRFToken": CSRF},
        checks=[not_a_server_error],
    )


def test_schema_generation_has_no_warnings():
    """drf-spectacular warnings (e.g. two choice sets named alike) fail ``check --deploy``;
    catch them here, on every engine, not only in the production test."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
