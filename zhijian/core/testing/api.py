"""Declarative API test cases (NetBox's ``utilities/testing/api.py`` idea, for pytest).

A test module declares one class per model::

    class TestEnterpriseAPI(APIViewTestCases.ScopedAPITestCase):
        model = Enterprise
        user_role, user_division = "officer", "320500"
        max_queries = 12

        def make_in_scope(self, n): ...          # an object the user may see and change
        def make_out_of_scope(self, n): ...      # an object outside the user's region (or None)
        def create_data(self): ...               # POST body inside the scope
        def foreign_create_data(self): ...       # POST body into another division (or None)
        def update_data(self): ...               # PATCH body

and inherits the tests: list / detail / create / update / delete without
permission (403, nothing written), with permission (2xx, an audit entry with the
user and source ``api``), with an out-of-scope object (404, excluded from
lists, creation into a foreign division 403 and nothing written), as anonymous
(published rows only, no writes), as an agency token client (reads, no
writes), and the list's query count (the same for 1 and 20 rows, at most
``max_queries``).

"Without permission" means the acting user's role group lacks the model
permission: the tests remove it from the group inside the test transaction.
"""
from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from zhijian.core.models import audit_value
from zhijian.core.querysets import scope_q

__all__ = ["APIViewTestCases", "api_client_for", "list_all_ids", "token_client_for", "unique"]

_serial = itertools.count(1)
# Test users get throw-away passwords: a fast hasher keeps per-test set-up cheap.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def unique(prefix: str = "") -> str:
    """A process-wide unique suffix for names and codes in test data."""
    return f"{prefix}{next(_serial)}"


def api_client_for(user=None) -> APIClient:
    """A client logged in through the session (the browser path); anonymous if ``user`` is None."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def token_client_for(user, name: str = "test token") -> APIClient:
    """A client authenticating with a freshly issued API token."""
    from zhijian.accounts.models import APIToken

    _token, key = APIToken.issue(user, name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _perm_codename(model, action):
    return f"{action}_{model._meta.model_name}"


def revoke_role_permission(role: str, model, action: str) -> None:
    """Remove ``action`` on ``model`` from the role's group (rolled back with the test)."""
    from zhijian.accounts.roles import group_name

    perm = Permission.objects.get(content_type__app_label=model._meta.app_label,
                                  codename=_perm_codename(model, action))
    Group.objects.get(name=group_name(role)).permissions.remove(perm)


def snapshot(obj):
    """A comparable snapshot of a row as stored (None when it no longer exists)."""
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    if hasattr(fresh, "snapshot"):
        return fresh.snapshot()
    return {f.attname: audit_value(f.value_from_object(fresh)) for f in fresh._meta.concrete_fields}


def _ids(response):
    data = response.json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return [row.get("id", row.get("code")) for row in rows]


def list_all_ids(client, url, **params) -> set[str]:
    """Every row id of a paginated API list (following ``next``)."""
    params.setdefault("limit", 1000)
    ids: set[str] = set()
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, (url, response.status_code, response.content[:500])
        ids.update(str(i) for i in _ids(response))
        nxt = response.json().get("next") if isinstance(response.json(), dict) else None
        if not nxt:
            return ids
        response = client.get(nxt)


class APIViewTestCases:
    """Namespace of the declarative base classes (not collected: no ``Test`` prefix)."""

    @pytest.mark.django_db
    class ScopedAPITestCase:
        model = None
        namespace = "registry-api"
        basename: str | None = None  # router basename; default: the model name
        user_role = "officer"
        user_division = "320500"
        reader_role = "agency"  # role of the token client
        max_queries = 12
        ok_denied = (401, 403)  # statuses that mean "refused" for unauthenticated/forbidden

        # ---- declarations (override) ---------------------------------------------------
        def make_in_scope(self, n: int):
            raise NotImplementedError

        def make_out_of_scope(self, n: int):
            return None

        def make_private(self):
            """An in-scope object the public must not see (None when every row is public)."""
            return None

        def create_data(self) -> dict:
            raise NotImplementedError

        def foreign_create_data(self) -> dict | None:
            return None

        def update_data(self) -> dict:
            raise NotImplementedError

        # ---- plumbing ----------------------------------------------------------------
        @pytest.fixture(autouse=True)
        def _setup(self, db, make_user, settings):
            from django.core.cache import cache

            settings.PASSWORD_HASHERS = FAST_HASHERS
            cache.clear()  # throttle history of earlier tests
            self.make_user = make_user
            self.user = make_user(self.user_role, self.user_division)
            self.client = api_client_for(self.user)

        @property
        def _basename(self):
            return self.basename or self.model._meta.model_name

        def list_url(self):
            return reverse(f"{self.namespace}:{self._basename}-list")

        def detail_url(self, obj):
            return reverse(f"{self.namespace}:{self._basename}-detail", args=[obj.pk])

        def pk_of(self, response):
            data = response.json()
            pk_name = self.model._meta.pk.name
            return data.get(pk_name, data.get("id"))

        def all_ids(self, client, **params):
            return list_all_ids(client, self.list_url(), **params)

        def audit_entries(self, obj_pk, action):
            from zhijian.accounts.models import AuditEntry

            opts = self.model._meta
            return AuditEntry.objects.filter(object_type=f"{opts.app_label}.{opts.model_name}",
                                             object_id=str(obj_pk), action=action)

        def assert_audited(self, obj_pk, action, user):
            entries = list(self.audit_entries(obj_pk, action))
            assert entries, f"no {action} audit entry for {self.model.__name__} {obj_pk}"
            entry = entries[-1]
            assert entry.user_id == user.pk and entry.username == user.get_username()
            assert entry.source == "api"

        def assert_matches(self, obj, data):
            obj.refresh_from_db()
            for name, value in data.items():
                field = self.model._meta.get_field(name)
                if field.many_to_many:
                    stored = sorted(str(o.pk) for o in getattr(obj, name).all())
                    assert stored == sorted(str(v) for v in value), name
                elif field.is_relation:
                    assert str(getattr(obj, field.attname)) == str(value), name
                else:
                    assert str(audit_value(getattr(obj, name))) == str(value), name

        # ---- without permission ------------------------------------------------------
        def test_list_without_permission(self):
            self.make_in_scope(0)
            revoke_role_permission(self.user_role, self.model, "view")
            assert self.client.get(self.list_url()).status_code == 403

        def test_get_without_permission(self):
            obj = self.make_in_scope(0)
            revoke_role_permission(self.user_role, self.model, "view")
            assert self.client.get(self.detail_url(obj)).status_code == 403

        def test_create_without_permission(self):
            revoke_role_permission(self.user_role, self.model, "add")
            before = self.model._base_manager.count()
            response = self.client.post(self.list_url(), self.create_data(), format="json")
            assert response.status_code == 403, response.content[:500]
            assert self.model._base_manager.count() == before

        def test_update_without_permission(self):
            obj = self.make_in_scope(0)
            before = snapshot(obj)
            revoke_role_permission(self.user_role, self.model, "change")
            response = self.client.patch(self.detail_url(obj), self.update_data(), format="json")
            assert response.status_code == 403
            assert snapshot(obj) == before

        def test_delete_without_permission(self):
            obj = self.make_in_scope(0)
            revoke_role_permission(self.user_role, self.model, "delete")
            assert self.client.delete(self.detail_url(obj)).status_code == 403
            assert snapshot(obj) is not None

        # ---- with permission ---------------------------------------------------------
        def test_list(self):
            mine = self.make_in_scope(0)
            other = self.make_out_of_scope(0)
            ids = self.all_ids(self.client)
            assert str(mine.pk) in ids
            if other is not None:
                assert str(other.pk) not in ids

        def test_get(self):
            obj = self.make_in_scope(0)
            response = self.client.get(self.detail_url(obj))
            assert response.status_code == 200
            assert str(self.pk_of(response)) == str(obj.pk)

        def test_create(self):
            data = self.create_data()
            before = self.model._base_manager.count()
            response = self.client.post(self.list_url(), data, format="json")
            assert response.status_code == 201, response.content[:1000]
            assert self.model._base_manager.count() == before + 1
            obj = self.model._base_manager.get(pk=self.pk_of(response))
            self.assert_matches(obj, data)
            self.assert_audited(obj.pk, "create", self.user)

        def test_update(self):
            obj = self.make_in_scope(0)
            data = self.update_data()
            response = self.client.patch(self.detail_url(obj), data, format="json")
            assert response.status_code == 200, response.content[:1000]
            self.assert_matches(obj, data)
            self.assert_audited(obj.pk, "update", self.user)

        def test_delete(self):
            obj = self.make_in_scope(0)
            response = self.client.delete(self.detail_url(obj))
            assert response.status_code == 204, response.content[:500]
            assert snapshot(obj) is None
            self.assert_audited(obj.pk, "delete", self.user)

        # ---- out of scope ------------------------------------------------------------
        def test_get_out_of_scope(self):
            other = self.make_out_of_scope(0)
            if other is None:
                pytest.skip(f"{self.model.__name__} has no region: nothing is out of scope")
            assert self.client.get(self.detail_url(other)).status_code == 404

        def test_update_out_of_scope(self):
            other = self.make_out_of_scope(0)
            if other is None:
                pytest.skip(f"{self.model.__name__} has no region: nothing is out of scope")
            before = snapshot(other)
            for method in (self.client.patch, self.client.put):
                response = method(self.detail_url(other), self.update_data(), format="json")
                assert response.status_code == 404
            assert snapshot(other) == before

        def test_delete_out_of_scope(self):
            other = self.make_out_of_scope(0)
            if other is None:
                pytest.skip(f"{self.model.__name__} has no region: nothing is out of scope")
            assert self.client.delete(self.detail_url(other)).status_code == 404
            assert snapshot(other) is not None

        def test_create_in_foreign_division(self):
            data = self.foreign_create_data()
            if data is None:
                pytest.skip(f"{self.model.__name__} has no region: nothing is out of scope")
            from zhijian.accounts.models import AuditEntry

            before, audited = self.model._base_manager.count(), AuditEntry.objects.count()
            response = self.client.post(self.list_url(), data, format="json")
            assert response.status_code == 403, response.content[:500]
            assert self.model._base_manager.count() == before
            assert AuditEntry.objects.count() == audited

        def test_move_out_of_scope(self):
            """Changing an in-scope object so that it would leave the scope is refused."""
            data = self.foreign_create_data()
            if data is None:
                pytest.skip(f"{self.model.__name__} has no region: nothing is out of scope")
            obj = self.make_in_scope(0)
            before = snapshot(obj)
            response = self.client.put(self.detail_url(obj), data, format="json")
            assert response.status_code == 403, response.content[:500]
            assert snapshot(obj) == before

        # ---- anonymous and token clients ---------------------------------------------
        def test_anonymous_reads_public_rows_only(self):
            mine = self.make_in_scope(0)
            private = self.make_private()
            anon = api_client_for(None)
            public_q = scope_q(self.model, AnonymousUser(), "view")
            response = anon.get(self.list_url(), {"limit": 1000})
            if public_q is None:
                assert response.status_code in self.ok_denied
                assert anon.get(self.detail_url(mine)).status_code in self.ok_denied
                return
            assert response.status_code == 200
            ids = list_all_ids(anon, self.list_url())
            if private is not None:
                assert str(private.pk) not in ids
                assert anon.get(self.detail_url(private)).status_code == 404
            assert str(mine.pk) in ids  # this model's test rows are public unless declared private

        def test_anonymous_cannot_write(self):
            obj = self.make_in_scope(0)
            before_count, before = self.model._base_manager.count(), snapshot(obj)
            anon = api_client_for(None)
            assert anon.post(self.list_url(), self.create_data(),
                             format="json").status_code in self.ok_denied
            assert anon.patch(self.detail_url(obj), self.update_data(),
                              format="json").status_code in self.ok_denied
            assert anon.delete(self.detail_url(obj)).status_code in self.ok_denied
            assert self.model._base_manager.count() == before_count
            assert snapshot(obj) == before

        def test_token_client_reads_but_never_writes(self):
            obj = self.make_in_scope(0)
            reader = self.make_user(self.reader_role, "320000")
            client = token_client_for(reader)
            assert client.get(self.list_url()).status_code == 200
            assert client.get(self.detail_url(obj)).status_code == 200
            before_count, before = self.model._base_manager.count(), snapshot(obj)
            assert client.post(self.list_url(), self.create_data(),
                               format="json").status_code == 403
            assert client.patch(self.detail_url(obj), self.update_data(),
                                format="json").status_code == 403
            assert client.delete(self.detail_url(obj)).status_code == 403
            assert self.model._base_manager.count() == before_count
            assert snapshot(obj) == before

        # ---- query count -------------------------------------------------------------
        def count_list_queries(self):
            client = api_client_for(self.user)
            client.get(self.list_url())  # warm-up: session, content types, permission caches
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(self.list_url())
            assert response.status_code == 200
            return len(ctx.captured_queries), ctx

        def test_list_query_count(self):
            self.make_in_scope(0)
            one, _ = self.count_list_queries()
            for n in range(1, 20):
                self.make_in_scope(n)
            twenty, ctx = self.count_list_queries()
            queries = "\n".join(q["sql"][:200] for q in ctx.captured_queries)
            assert twenty == one, f"N+1: {one} queries for 1 row, {twenty} for 20\n{queries}"
            assert twenty <= self.max_queries, f"{twenty} queries > {self.max_queries}\n{queries}"
