"""The API fuzzed from its OpenAPI schema (DESIGN §10), as every role.

Schemathesis reads ``/api/schema/`` (drf-spectacular) from the WSGI application
and sends generated requests — bodies, query strings and path values — to every
operation, as each role of the access matrix (``tests/test_access_matrix.py``):
province admin, 苏州 city officer, 昆山 county officer, inspector, lab, enterprise
user, agency token, sentinel-hospital user and token, anonymous public. Each
response must pass three checks:

* ``not_a_server_error``: no 5xx;
* ``response_schema_conformance``: a response the schema documents matches its
  documented body (except the operations of ``SCHEMA_GAPS``, each with its reason,
  listed in ``docs/testing.md`` as known gaps; the other checks still run on them);
* ``bad_input_names_a_field`` (here): a 400 to a request with a body is a JSON
  object keyed by the request's fields (DRF's validation errors), or
  ``non_field_errors`` / ``detail`` when no single field is at fault.

Everything runs inside the module's transaction and is rolled back.

The budget is bounded for CI: each operation is one test whose generated examples
all go to the 苏州 city officer (``ZHIJIAN_FUZZ_EXAMPLES``, default 8; this role may
write regional data, so bodies reach the serializers and the database), and the first
``ZHIJIAN_FUZZ_ROLE_EXAMPLES`` of them (default 2) also to every other role of
``ZHIJIAN_FUZZ_ROLES`` (comma-separated keys, default all; ``officer`` for the officer
alone). A deeper run is the same test with bigger numbers.
"""
import copy
import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig

from zhijian.registry.tests.factories import make_enterprise

EXAMPLES = int(os.environ.get("ZHIJIAN_FUZZ_EXAMPLES", "8"))
ROLE_EXAMPLES = int(os.environ.get("ZHIJIAN_FUZZ_ROLE_EXAMPLES", "2"))
CSRF = "fuzzcsrf" * 4  # a well-formed CSRF secret, sent as cookie and header

DEFAULT_ROLE = "suzhou_officer"
# key -> (role, division, bound to, token); the roles of the access matrix
ROLE_SPECS = {
    "province_admin": ("province_admin", "320000", None, False),
    "suzhou_officer": ("officer", "320500", None, False),
    "kunshan_officer": ("officer", "320583", None, False),
    "suzhou_inspector": ("inspector", "320500", "inspector", False),
    "lab_user": ("lab", None, "lab", False),
    "enterprise_user": ("enterprise", None, "enterprise", False),
    "agency_token": ("agency", "320000", None, True),
    "hospital_user": ("hospital", None, "hospital", False),
    "hospital_token": ("hospital", None, "hospital", True),
    "anonymous": (None, None, None, False),
}


def _roles() -> list[str]:
    wanted = os.environ.get("ZHIJIAN_FUZZ_ROLES", "all").strip()
    if wanted in ("", "all"):
        keys = list(ROLE_SPECS)
    elif wanted == "officer":
        keys = [DEFAULT_ROLE]
    else:
        keys = [k.strip() for k in wanted.split(",") if k.strip()]
        unknown = sorted(set(keys) - set(ROLE_SPECS))
        if unknown:
            raise ValueError(f"ZHIJIAN_FUZZ_ROLES: unknown role(s) {unknown}; known: {sorted(ROLE_SPECS)}")
    return [DEFAULT_ROLE] + [k for k in keys if k != DEFAULT_ROLE]


ROLES = _roles()

# Operations whose documented response bodies do not match what they return yet: the
# schema-conformance check is skipped for them (the other checks are not), each with its
# reason; docs/testing.md lists them as known gaps. Remove an entry when its schema is fixed.
SCHEMA_GAPS: dict[str, str] = {}


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


def _deref(node):
    if isinstance(node, dict) and "$ref" in node:
        target = DOCUMENT
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _deref(target)
    return node


def body_fields(path: str, method: str) -> set[str]:
    """The property names of an operation's request bodies (every media type, allOf parts)."""
    operation = DOCUMENT["paths"].get(path, {}).get(method.lower(), {})
    fields: set[str] = set()
    todo = [media.get("schema", {}) for media in operation.get("requestBody", {}).get("content", {}).values()]
    while todo:
        node = _deref(todo.pop())
        if not isinstance(node, dict):
            continue
        fields.update(node.get("properties", {}))
        for key in ("allOf", "oneOf", "anyOf"):
            todo.extend(node.get(key, []))
    return fields


NOT_A_FIELD = {"non_field_errors", "detail"}


@schemathesis.check
def bad_input_names_a_field(ctx, response, case):
    """A 400 to a request with a body names the fields at fault (DRF: errors keyed by field)."""
    if response.status_code != 400 or case.method.upper() not in ("POST", "PUT", "PATCH"):
        return None
    fields = body_fields(case.operation.path, case.method)
    if not fields:
        return None
    try:
        errors = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"400 with a body that is not JSON: {response.content[:200]!r}") from None
    if not isinstance(errors, dict) or not errors:
        raise AssertionError(f"400 whose body is not an object keyed by field: {errors!r}"[:500])
    unknown = sorted(set(errors) - fields - NOT_A_FIELD)
    if unknown:
        raise AssertionError(f"400 names {unknown}, which are not fields of the request body "
                             f"({sorted(fields)}): {errors!r}"[:800])
    return True


@pytest.fixture(scope="module")
def actors(django_db_setup, django_db_blocker):
    """A row of every registry model in the officers' region and outside it (so that generated
    requests reach existing objects, see ``existing``), and a user of every role with its
    session cookie or API token; built once, rolled back at the end."""
    from django.test import override_settings

    from zhijian.accounts.models import APIToken
    from zhijian.accounts.services import create_user
    from zhijian.registry import models as m
    from zhijian.risk import models as rk

    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        with transaction.atomic():
            category = m.ProductCategory.objects.order_by("code").first()
            standard = m.Standard.objects.create(code="GB/T FUZZ-2026", title="fuzz",
                                                 kind="national_recommended")
            bound = {}
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
                inspector = m.Inspector.objects.create(name="fuzz", badge_number=f"FUZZ-{division}",
                                                       division_id=division)
                hospital = rk.SentinelHospital.objects.create(code=f"FUZZ-H-{division}", name="fuzz hospital",
                                                              division_id=division, stratum="M", weight=10)
                bound.setdefault("enterprise", e)
                bound.setdefault("lab", lab)
                bound.setdefault("inspector", inspector)
                bound.setdefault("hospital", hospital)
            found = {}
            for key in ROLES:
                role, division, bound_to, token = ROLE_SPECS[key]
                if role is None:
                    found[key] = (None, {}, {})
                    continue
                kwargs = {}
                if bound_to:
                    kwargs["sentinel_hospital" if bound_to == "hospital" else bound_to] = bound[bound_to]
                user = create_user(f"fuzz-{key}", "pw-fuzz", role,
                                   division=m.Division.objects.get(pk=division) if division else None, **kwargs)
                if token:
                    _token, secret = APIToken.issue(user, "fuzz")
                    found[key] = (user, {}, {"Authorization": f"Token {secret}"})
                else:
                    client = Client()
                    client.force_login(user)
                    found[key] = (user, {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF},
                                  {"X-CSRFToken": CSRF})
            yield found
            transaction.set_rollback(True)


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
        if hasattr(model.objects, "restrict"):
            from django.contrib.auth.models import AnonymousUser

            rows = model.objects.restrict(user or AnonymousUser(), "change" if user else "view")
        else:
            rows = model._base_manager.all()
        pool = list(rows.order_by("pk").values_list(field, flat=True)[:50])
        digest = sum(str(value).encode())
        if pool and digest % 4:
            params[name] = pool[digest % len(pool)]


@pytest.fixture
def examples_seen():
    """How many generated examples this operation's test has run (shared by its examples)."""
    return {"n": 0}


@schema.parametrize()
@settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_as_every_role(case, actors, db, examples_seen, _wsgi_in_transaction):
    label = f"{case.method.upper()} {case.operation.path}"
    checks = [not_a_server_error, bad_input_names_a_field]
    if label not in SCHEMA_GAPS:
        checks.append(response_schema_conformance)
    roles = ROLES if examples_seen["n"] < ROLE_EXAMPLES else ROLES[:1]
    examples_seen["n"] += 1
    generated = copy.deepcopy(case.path_parameters)
    for key in roles:
        user, cookies, headers = actors[key]
        case.path_parameters = copy.deepcopy(generated)
        existing(case, user)
        try:
            with transaction.atomic():  # each role's request on its own savepoint
                case.call_and_validate(cookies=cookies, headers=headers, checks=checks)
                transaction.set_rollback(True)
        except BaseException as exc:
            exc.add_note(f"as role {key} ({label})")
            raise


def test_schema_generation_has_no_warnings():
    """drf-spectacular warnings (e.g. two choice sets named alike) fail ``check --deploy``;
    catch them here, on every engine, not only in the production test."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
