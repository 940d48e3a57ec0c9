"""No clear phone or ID number of a complainant leaves the handling scope (DESIGN §10, issue 5 (6)).

Cases are created with a known name, phone and ID number (also written into the
facts, as citizens do). Then every route of the complaints staff pages and API
and every complaints page of the public portal (found at run time from the URL
configuration, so that a page added later is covered too; statistics and open
data included), the list exports (CSV and Excel) and the status lookup are
fetched as every role, as an API-token client and anonymously. The clear values
may appear only on a case's own page or API detail, and only for staff who may
change the case (the handling bureau and the levels above it); the test also
checks that they do appear there for the handling officer.
"""
from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from zhijian.complaints import services as svc
from zhijian.complaints.masking import mask_id, mask_phone
from zhijian.core import scope as S
from zhijian.core.testing.api import token_client_for
from zhijian.registry.tests.factories import make_enterprise

from .test_views import ID_NUMBER, KUNSHAN, NAME, PHONE, make_case

pytestmark = pytest.mark.django_db

# Where the clear values may be shown, to the handling scope only.
CLEAR_ALLOWED = {"complaints:case_detail", "complaints-api:case-detail"}
# Values for URL arguments; a route with an argument not listed here fails the test.
SAMPLE_KWARGS = {"year": 2026, "month": 11, "period": "2026-11", "fmt": "csv", "format": "json",
                 "step": "accept"}
NAMESPACES = ("complaints", "complaints-api")
HANDLING = ("province_admin", "suzhou_officer", "kunshan_officer", "superuser")


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace, p


def routes() -> list[tuple[str, tuple[str, ...]]]:
    """(URL name, argument names) of every complaints page and endpoint, and the portal's."""
    found = {}
    for namespace, pattern in _walk(get_resolver().url_patterns):
        if not namespace:
            continue
        top = namespace.split(":")[-1]
        if top in NAMESPACES or (top == "portal" and "complaint" in pattern.name):
            name = f"{top}:{pattern.name}"
            found[name] = tuple(sorted(pattern.pattern.regex.groupindex))
    return sorted(found.items())


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw[:2] == b"PK":  # an Excel file
        wb = load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(" ".join(str(c) for c in row if c is not None)
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    return raw.decode("utf-8", "replace")


@pytest.fixture
def world(make_user, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "portal": "100000/minute",
        "complaint_lookup": "100000/minute", "anon": "100000/minute"}}
    from django.contrib.auth import get_user_model

    ent = make_enterprise(KUNSHAN, name="昆山暖风电器有限公司")
    received = make_case(KUNSHAN, respondent_uscc=ent.uscc)
    code = received.code
    accepted = make_case(KUNSHAN, respondent_name="昆山某商店")
    officer = make_user(S.ROLE_OFFICER, KUNSHAN, username="ks-officer")
    svc.accept(accepted, officer)
    svc.record_mediation(accepted, officer, method="phone", mediator="调解员",
                         summary=f"投诉人电话 {PHONE}，身份证 {ID_NUMBER}")
    report = make_case(KUNSHAN, kind="report", respondent_name="昆山某食品店")
    users = {
        "province_admin": make_user(S.ROLE_PROVINCE_ADMIN, "320000"),
        "suzhou_officer": make_user(S.ROLE_OFFICER, "320500"),
        "kunshan_officer": officer,
        "nanjing_officer": make_user(S.ROLE_OFFICER, "320100"),
        "kunshan_inspector": make_user(S.ROLE_INSPECTOR, KUNSHAN),
        "lab_user": make_user(S.ROLE_LAB, lab=_lab()),
        "enterprise_user": make_user(S.ROLE_ENTERPRISE, enterprise=ent),
        "agency_session": make_user(S.ROLE_AGENCY, "320000"),
        "superuser": get_user_model().objects.create_superuser("mask-root", "r@example.org", "pw"),
        "anonymous": None,
    }
    return {"cases": [received, accepted, report], "code": code, "received": received, "users": users}


def _lab():
    from zhijian.registry.models import Lab

    return Lab.objects.create(name="昆山检测所", accreditation_number="CMA-MASK", division_id=KUNSHAN, level="county")


def clients(world):
    for key, user in world["users"].items():
        client = Client()
        if user is not None:
            client.force_login(user)
        yield key, client
    yield "agency_token", token_client_for(world["users"]["agency_session"])
    yield "admin_token", token_client_for(world["users"]["province_admin"])


def urls_for(name, args, world):
    """Concrete URLs for a route: one per case for ``pk``; list pages also with their exports."""
    if not args:
        url = reverse(name)
        out = [url]
        if name == "complaints:case_list":
            out += [f"{url}?export=csv", f"{url}?export=xlsx"]
        if name.startswith("complaints-api:") and name.endswith("-list"):
            out += [f"{url}?limit=1000"]
        elif not name.startswith("complaints-api:"):
            # the data pages' downloads (open data, daily counts): every format, the whole year
            out += [f"{url}?format={fmt}&from=2026-01-01&to=2026-12-31" for fmt in ("csv", "json")]
        return out
    missing = [a for a in args if a != "pk" and a not in SAMPLE_KWARGS]
    assert not missing, f"{name}: add a sample value for {missing} to SAMPLE_KWARGS"
    if "pk" in args:
        return [reverse(name, kwargs={**{a: SAMPLE_KWARGS[a] for a in args if a != "pk"}, "pk": c.pk})
                for c in world["cases"]]
    return [reverse(name, kwargs={a: SAMPLE_KWARGS[a] for a in args})]


def test_routes_are_found():
    names = dict(routes())
    for expected in ("complaints:case_list", "complaints:case_detail", "complaints:dashboard",
                     "complaints-api:case-list", "complaints-api:case-detail", "portal:complaint_status",
                     "complaints:opendata", "complaints:stats", "complaints:daily_counts"):
        assert expected in names


def test_no_clear_phone_or_id_outside_the_handling_scope(world):
    leaks, seen_clear, fetched, answered = [], set(), 0, set()
    for role, client in clients(world):
        for name, args in routes():
            for url in urls_for(name, args, world):
                response = client.get(url, HTTP_ACCEPT="text/html,application/json")
                fetched += 1
                assert response.status_code < 500, (role, url, response.status_code)
                if response.status_code != 200:
                    continue
                answered.add((role, name))
                body = body_text(response)
                clear = PHONE in body or ID_NUMBER in body
                if clear and (name in CLEAR_ALLOWED and role in HANDLING):
                    seen_clear.add((role, name))
                elif clear:
                    leaks.append(f"[{role}] GET {url}")
                if name in ("complaints:case_list", "complaints-api:case-list") or "export=" in url:
                    assert NAME not in body, (role, url)
    assert not leaks, "clear personal data outside the handling scope:\n" + "\n".join(leaks)
    assert fetched > 100
    # the public data pages were really read (not skipped)
    assert {("anonymous", "complaints:opendata"), ("anonymous", "portal:complaint_status")} <= answered
    assert ("kunshan_officer", "complaints:stats") in answered
    # the handling officer does see them where the case is handled
    for role in ("kunshan_officer", "suzhou_officer", "province_admin"):
        assert (role, "complaints:case_detail") in seen_clear, role
        assert (role, "complaints-api:case-detail") in seen_clear, role


def test_the_handling_officer_sees_clear_values_masked_elsewhere(world):
    client = Client()
    client.force_login(world["users"]["kunshan_officer"])
    case = world["received"]
    detail = body_text(client.get(reverse("complaints:case_detail", args=[case.pk])))
    assert PHONE in detail and ID_NUMBER in detail and NAME in detail
    listing = body_text(client.get(reverse("complaints:case_list")))
    assert PHONE not in listing and "王**" in listing
    exported = body_text(client.get(reverse("complaints:case_list"), {"export": "csv"}))
    assert mask_phone(PHONE) in exported and PHONE not in exported and ID_NUMBER not in exported
    inspector = Client()
    inspector.force_login(world["users"]["kunshan_inspector"])
    masked = body_text(inspector.get(reverse("complaints:case_detail", args=[case.pk])))
    assert mask_id(ID_NUMBER) in masked and mask_phone(PHONE) in masked


def test_status_lookup_never_shows_personal_data(world):
    case = world["received"]
    for role, client in clients(world):
        response = client.post(reverse("portal:complaint_status"), {"ticket": case.ticket, "code": world["code"]})
        body = body_text(response)
        assert response.status_code == 200 and case.ticket in body, role
        for secret in (PHONE, ID_NUMBER, NAME, mask_phone(PHONE)):
            assert secret not in body, (role, secret)
        assert re.search(r"王\*+", body), role
