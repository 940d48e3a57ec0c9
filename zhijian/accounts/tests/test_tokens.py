"""Agency API tokens: issuing, authentication, revocation, expiry, read-only use, admin."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from zhijian.accounts.audit import verify_chain
from zhijian.accounts.models import APIToken, AuditEntry, hash_token
from zhijian.core import scope as S
from zhijian.registry.models import Enterprise
from zhijian.registry.tests.factories import make_enterprise


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agency(make_user):
    return make_user(S.ROLE_AGENCY, "320000", username="bank")


def issue(username, name, *extra):
    out, err = StringIO(), StringIO()
    call_command("issue_token", username, name, *extra, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1], out.getvalue(), err.getvalue()


def client_with(key, keyword="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


ENTERPRISES = "/api/registry/enterprises/"


def test_issue_prints_key_once_and_stores_only_its_hash(agency):
    key, out, err = issue("bank", "credit checks", "--days", "30")
    token = APIToken.objects.get(user=agency)
    assert token.key_hash == hash_token(key) and key not in token.key_hash
    assert token.prefix == key[:8] and token.name == "credit checks"
    assert timedelta(days=29) < token.expires - timezone.now() <= timedelta(days=30)
    assert out.count(key) == 1 and err == ""
    # the audit log records the issue without key or hash
    entry = AuditEntry.objects.get(object_type="accounts.apitoken", action="create")
    assert entry.source == "cli" and key not in str(entry.postchange)
    assert token.key_hash not in str(entry.postchange) and entry.postchange["prefix"] == key[:8]
    assert verify_chain().ok


def test_valid_token_reads(agency):
    e = make_enterprise("320505")
    key, *_ = issue("bank", "credit checks")
    for keyword in ("Token", "Bearer"):
        response = client_with(key, keyword).get(ENTERPRISES, {"q": e.uscc})
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["results"]] == [e.pk]
    assert APIToken.objects.get().last_used is not None


def test_agency_reads_its_province_only(agency):
    inside, outside = make_enterprise("320102"), make_enterprise("110101")
    key, *_ = issue("bank", "credit checks")
    client = client_with(key)
    assert client.get(f"{ENTERPRISES}{inside.pk}/").status_code == 200
    assert client.get(f"{ENTERPRISES}{outside.pk}/").status_code == 404


@pytest.mark.parametrize("header", ["Token wrong-key", "Token", "Token a b", "Bearer nope"])
def test_wrong_token_is_refused(agency, header):
    issue("bank", "credit checks")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ENTERPRISES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_is_refused(agency):
    key, *_ = issue("bank", "credit checks")
    client = client_with(key)
    assert client.get(ENTERPRISES).status_code == 200
    out = StringIO()
    call_command("revoke_token", key[:8], stdout=out)
    assert "revoked 1" in out.getvalue()
    assert client.get(ENTERPRISES).status_code == 401
    entry = AuditEntry.objects.filter(object_type="accounts.apitoken", action="update").get()
    assert entry.prechange["revoked"] is False and entry.postchange["revoked"] is True


def test_revoke_all_of_a_user(agency, make_user):
    keys = [issue("bank", f"t{i}")[0] for i in range(3)]
    other = make_user(S.ROLE_AGENCY, "320000", username="insurer")
    other_key, *_ = issue("insurer", "claims")
    call_command("revoke_token", "--user", "bank", "--all", stdout=StringIO())
    assert all(client_with(k).get(ENTERPRISES).status_code == 401 for k in keys)
    assert client_with(other_key).get(ENTERPRISES).status_code == 200
    assert other.api_tokens.get().revoked is False


def test_revoke_errors(agency):
    with pytest.raises(CommandError, match="no token"):
        call_command("revoke_token", "zzzzzzzz", stdout=StringIO())
    with pytest.raises(CommandError, match="--all needs --user"):
        call_command("revoke_token", "--all", stdout=StringIO())


def test_expired_token_is_refused(agency):
    key, *_ = issue("bank", "credit checks", "--days", "1")
    client = client_with(key)
    assert client.get(ENTERPRISES).status_code == 200
    APIToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert client.get(ENTERPRISES).status_code == 401


def test_inactive_user_token_is_refused(agency):
    key, *_ = issue("bank", "credit checks")
    agency.is_active = False
    agency.save()
    assert client_with(key).get(ENTERPRISES).status_code == 401


def test_token_is_read_only_even_for_staff(make_user):
    """A token of an officer who may write through the browser still only reads."""
    officer = make_user(S.ROLE_OFFICER, "320500", username="officer-with-token")
    e = make_enterprise("320505")
    key, out, err = issue("officer-with-token", "script")
    assert "not an agency client" in err
    client = client_with(key)
    assert client.get(f"{ENTERPRISES}{e.pk}/").status_code == 200
    assert client.patch(f"{ENTERPRISES}{e.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"{ENTERPRISES}{e.pk}/").status_code == 403
    assert client.post(ENTERPRISES, {"uscc": "x", "name": "x", "division": "320505"},
                       format="json").status_code == 403
    e.refresh_from_db()
    assert e.name != "x" and Enterprise.objects.filter(pk=e.pk).exists()
    # the same user through the session may write
    browser = APIClient()
    browser.force_login(officer)
    assert browser.patch(f"{ENTERPRISES}{e.pk}/", {"name": "x"}, format="json").status_code == 200


def test_issue_errors(agency):
    with pytest.raises(CommandError, match="no user"):
        call_command("issue_token", "nobody", "x", stdout=StringIO())
    with pytest.raises(CommandError, match="positive"):
        call_command("issue_token", "bank", "x", "--days", "0", stdout=StringIO())
    assert not APIToken.objects.exists()


def test_admin_lists_tokens_without_hash_and_audit_is_read_only(agency, django_user_model):
    key, *_ = issue("bank", "credit checks")
    token = APIToken.objects.get()
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client = APIClient()
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert token.prefix in html and token.key_hash not in html and key not in html
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    # revoke through the admin action
    response = client.post(reverse("admin:accounts_apitoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    # the audit log: listed and viewable, never added, changed or deleted
    entry = AuditEntry.objects.first()
    assert client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditentry_delete", args=[entry.pk]),
                       {"post": "yes"}).status_code == 403
    before = AuditEntry.objects.get(pk=entry.pk).object_repr
    client.post(reverse("admin:accounts_auditentry_change", args=[entry.pk]),
                {"object_repr": "forged"})
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == before
    assert verify_chain().ok
    assert client.get(reverse("admin:accounts_profile_changelist")).status_code == 200


def test_issued_keys_never_start_with_a_dash(db, make_user):
    """A prefix like "-LQBUXy8" would be read as an option by ``revoke_token``."""
    from zhijian.accounts.models import APIToken

    user = make_user("agency", "320000")
    assert not any(APIToken.issue(user, f"t{i}")[1].startswith("-") for i in range(300))
