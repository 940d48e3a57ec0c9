"""The agency credit lookup: content, signature, query log + audit, scope, rate limit, query count."""
import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.testing.api import api_client_for, token_client_for
from zhijian.credit import agency
from zhijian.credit.models import AgencyQuery, EnterpriseListing, Grade, Method, PenaltyPublication

TODAY = dt.date.today()


def lookup_url(uscc):
    return reverse("credit-api:agency-lookup", args=[uscc])


@pytest.fixture(autouse=True)
def _key(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ZHIJIAN_SIGNING_KEY = ""
    settings.ZHIJIAN_SIGNING_KEY_FILE = str(tmp_path / "keys" / "signing.pem")
    cache.clear()  # throttle history of earlier tests


@pytest.fixture
def world(make_user, enterprise_factory):
    ent = enterprise_factory("320505", name="苏州信用测试有限公司")
    other = enterprise_factory("320102", name="南京另一家公司")
    method = Method.objects.create(version="T-1", valid_from=dt.date(2025, 1, 1), published=True)
    Grade.objects.create(enterprise=ent, method=method, as_of=dt.date(2025, 12, 1), score=Decimal("65.50"),
                         grade="B", risk_class="C", computed_at=timezone.now() - dt.timedelta(days=40))
    Grade.objects.create(enterprise=ent, method=method, as_of=dt.date(2026, 1, 1), score=Decimal("55.00"),
                         grade="C", risk_class="D", computed_at=timezone.now() - dt.timedelta(days=5))
    EnterpriseListing.objects.create(
        enterprise=ent, kind="serious_violation", start=TODAY - dt.timedelta(days=30),
        planned_end=TODAY + dt.timedelta(days=3 * 365), reason="吊销许可证", legal_basis="市场监管总局令第44号 第二条")
    EnterpriseListing.objects.create(  # removed: not in force
        enterprise=ent, kind="abnormal_operation", start=TODAY - dt.timedelta(days=400),
        end=TODAY - dt.timedelta(days=10), reason="未按期公示年报", removal="early_exit")
    PenaltyPublication.objects.create(
        enterprise=ent, decision_number="苏市监罚〔2026〕1号", decision_date=TODAY - dt.timedelta(days=60),
        authority="苏州市市场监督管理局", severity="heavy", violation="生产不合格产品", penalty="吊销许可证",
        published_on=TODAY - dt.timedelta(days=50), publish_until=TODAY + dt.timedelta(days=1000))
    PenaltyPublication.objects.create(  # withdrawn: not published
        enterprise=ent, decision_number="苏市监罚〔2025〕9号", decision_date=TODAY - dt.timedelta(days=300),
        authority="苏州市市场监督管理局", severity="ordinary", violation="标签不规范", penalty="罚款",
        published_on=TODAY - dt.timedelta(days=290), publish_until=TODAY + dt.timedelta(days=700),
        withdrawn_on=TODAY - dt.timedelta(days=20), withdrawal_reason="revoked")
    agency_user = make_user(S.ROLE_AGENCY, "320000", full_name="省公共资源交易中心")
    return {"ent": ent, "other": other, "agency": agency_user}


def test_answer_content_and_signature_verified_with_the_published_key(world):
    client = token_client_for(world["agency"], "bidding")
    r = client.get(lookup_url(world["ent"].uscc), {"purpose": "招标资格审查"})
    assert r.status_code == 200
    data = json.loads(r.content)
    assert data["found"] is True and data["uscc"] == world["ent"].uscc
    assert data["name"] == "苏州信用测试有限公司"
    assert data["grade"]["grade"] == "C" and data["grade"]["score"] == "55.00"
    assert data["grade"]["method_version"] == "T-1" and data["grade"]["as_of"] == "2026-01-01"
    assert data["risk_class"] == "D"
    assert data["serious_violation_list"]["listed"] is True
    [entry] = data["serious_violation_list"]["entries"]
    assert entry["reason"] == "吊销许可证" and entry["legal_basis"].startswith("市场监管总局令")
    assert data["abnormal_operation_list"] == {"listed": False, "entries": []}
    assert [p["decision_number"] for p in data["penalties"]] == ["苏市监罚〔2026〕1号"]
    assert data["penalties"][0]["severity"] == "heavy"
    assert data["request_id"] and data["generated_at"]

    # The agency fetches the public key (no login) and checks the signature of the exact body.
    key = api_client_for(None).get(reverse("credit-api:agency-public-key")).json()
    assert key["algorithm"] == "Ed25519" and r["X-Zhijian-Key-Id"] == key["key_id"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    signature = base64.b64decode(r["X-Zhijian-Signature"])
    public.verify(signature, r.content)  # raises if wrong
    pem_key = serialization.load_pem_public_key(key["public_key_pem"].encode())
    pem_key.verify(signature, r.content)
    # One byte changed anywhere: the signature no longer holds.
    for pos in (0, len(r.content) // 2, len(r.content) - 1):
        tampered = bytearray(r.content)
        tampered[pos] ^= 0x01
        with pytest.raises(InvalidSignature):
            public.verify(signature, bytes(tampered))
    assert agency.verify(r.content, r["X-Zhijian-Signature"], key["public_key"])
    assert not agency.verify(r.content.replace(b'"C"', b'"A"'), r["X-Zhijian-Signature"], key["public_key"])


def test_every_lookup_is_logged_with_who_asked(world):
    client = token_client_for(world["agency"], "bidding")
    before = AuditEntry.objects.count()
    r1 = client.get(lookup_url(world["ent"].uscc), {"purpose": "招标资格审查"},
                    REMOTE_ADDR="10.1.2.3")
    from zhijian.registry.identifiers import make_uscc

    missing = make_uscc("320505", body="MA1XXXXX")  # valid, not registered
    r2 = client.get(reverse("credit-api:agency-lookup-query"), {"uscc": missing})
    assert (r1.status_code, r2.status_code) == (200, 404)
    assert json.loads(r2.content) | {} and json.loads(r2.content)["found"] is False
    assert r2["X-Zhijian-Signature"]  # a "not found" answer is signed too
    q1, q2 = AgencyQuery.objects.order_by("id")
    assert (q1.uscc, q1.found, q1.purpose, q1.remote_addr) == (world["ent"].uscc, True, "招标资格审查", "10.1.2.3")
    assert q1.user == world["agency"] and q1.token.name == "bidding"
    assert q1.agency == "省公共资源交易中心 / bidding"
    assert q1.response_sha256 == __import__("hashlib").sha256(r1.content).hexdigest()
    assert (q2.uscc, q2.found) == (missing, False)
    # the audit entries are recorded without the chain's lock and chained in batches
    from zhijian.accounts.audit import flush_all, verify_chain

    assert AuditEntry.objects.count() == before and verify_chain().pending == 2
    assert flush_all() == 2 and verify_chain().ok and verify_chain().pending == 0
    entries = list(AuditEntry.objects.filter(object_type="credit.agencyquery").order_by("seq"))
    assert AuditEntry.objects.count() == before + 2
    assert [e.object_id for e in entries] == [str(q1.pk), str(q2.pk)]
    assert entries[0].username == world["agency"].username and entries[0].source == "api"
    assert entries[0].postchange["purpose"] == "招标资格审查" and entries[0].postchange["found"] is True
    assert entries[0].remote_addr == "10.1.2.3"


def test_invalid_uscc_is_a_clear_error_and_is_logged(world):
    client = token_client_for(world["agency"])
    bad = world["ent"].uscc[:17] + ("0" if world["ent"].uscc[17] != "0" else "1")
    with override_settings(LANGUAGE_CODE="en"):
        r = client.get(lookup_url(bad), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert "check character" in json.loads(r.content)["error"]
    assert AgencyQuery.objects.get().found is False
    # control characters from the client are not stored (PostgreSQL refuses NUL in text)
    r = client.get(reverse("credit-api:agency-lookup-query"), {"uscc": "91\x00", "purpose": "a\x00b"})
    assert r.status_code == 400
    q = AgencyQuery.objects.latest("id")
    assert (q.uscc, q.purpose) == ("91", "ab")
    # spaces, hyphens and lower case are normalised before the lookup
    spaced = world["ent"].uscc.lower()
    spaced = f"{spaced[:6]}-{spaced[6:]} "
    assert client.get(reverse("credit-api:agency-lookup-query"), {"uscc": spaced}).status_code == 200


def test_who_may_ask(world, make_user):
    url = lookup_url(world["ent"].uscc)
    assert api_client_for(None).get(url).status_code == 401
    own = make_user(S.ROLE_ENTERPRISE, enterprise=world["ent"])
    assert token_client_for(own).get(url).status_code == 403
    assert api_client_for(own).get(url).status_code == 403
    # Staff ask within their region: a Nanjing enterprise is "not found" for a Suzhou officer.
    officer = make_user(S.ROLE_OFFICER, "320500")
    assert api_client_for(officer).get(url).status_code == 200
    assert api_client_for(officer).get(lookup_url(world["other"].uscc)).status_code == 404
    assert api_client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000")).get(
        lookup_url(world["other"].uscc)).status_code == 200
    assert AgencyQuery.objects.filter(found=False, uscc=world["other"].uscc).count() == 1
    assert AgencyQuery.objects.count() == 3  # refused requests are not lookups


def test_read_only(world):
    client = token_client_for(world["agency"])
    url = lookup_url(world["ent"].uscc)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url, {}).status_code in (403, 405)
    assert api_client_for(world["agency"]).post(url, {}).status_code in (403, 405)
    assert not AgencyQuery.objects.exists()


def test_rate_limited_per_token(world):
    from django.conf import settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "credit_agency": "3/minute"}
    url = lookup_url(world["ent"].uscc)
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        first = token_client_for(world["agency"], "bank")
        second = token_client_for(world["agency"], "bidding")
        codes = [first.get(url).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert int(first.get(url)["Retry-After"]) >= 1
        assert second.get(url).status_code == 200  # per token
    assert AgencyQuery.objects.count() == 4  # throttled requests are not lookups


def test_query_count_does_not_grow_with_history(world, django_assert_max_num_queries):
    client = token_client_for(world["agency"])
    url = lookup_url(world["ent"].uscc)
    client.get(url)  # warm: token last_used, role permissions
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    ent = world["ent"]
    for i in range(20):
        PenaltyPublication.objects.create(
            enterprise=ent, decision_number=f"苏市监罚〔2026〕{100 + i}号", decision_date=TODAY,
            authority="苏州市市场监督管理局", severity="minor", violation="v", penalty="警告",
            published_on=TODAY, publish_until=TODAY + dt.timedelta(days=90))
        EnterpriseListing.objects.create(enterprise=ent, kind="abnormal_operation",
                                         start=TODAY - dt.timedelta(days=i + 1), reason=f"r{i}")
    with CaptureQueriesContext(connection) as big:
        r = client.get(url)
    assert r.status_code == 200 and len(json.loads(r.content)["penalties"]) == 21
    assert len(big.captured_queries) == len(small.captured_queries)
    # The pinned budget: token and profile (2), role permissions (2), throttle history in the
    # database cache (6), enterprise, grade, listings, penalties (4), the query row and its
    # audit entry with their savepoints (8).
    with django_assert_max_num_queries(22):
        client.get(url)


def test_key_from_the_environment_and_key_file_created_once(settings, tmp_path):
    seed = Ed25519PrivateKey.generate()
    raw = seed.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    settings.ZHIJIAN_SIGNING_KEY = base64.b64encode(raw).decode()
    assert agency.key_id() == agency.key_id(seed)
    assert agency.verify(b"x", agency.sign(b"x"), agency.public_key_info()["public_key"])
    settings.ZHIJIAN_SIGNING_KEY = ""
    path = tmp_path / "keys" / "signing.pem"
    assert not path.exists()
    first = agency.key_id()
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    agency._signing_key.cache_clear()
    assert agency.key_id() == first  # read back, not regenerated
