"""Declarative test cases for the generic object views (after NetBox's ``utilities/testing/views.py``).

A model's test declares *what* the model is and *who* may write it; the base
classes check the rules of ``zhijian.core.views`` for every list, detail,
create, edit and delete page::

    class EnterpriseViewTests(ViewTestCases.PrimaryObjectViewTestCase):
        model = Enterprise
        user_role, user_division = ROLE_OFFICER, "320500"    # may write in 3205xx
        readonly_role = ROLE_INSPECTOR                        # may read, not write
        max_queries = 12
        max_detail_queries = 20

        @classmethod
        def create_object(cls, in_scope=True): ...           # a saved row, in or out of scope

        def form_data(self): ...                              # valid POST data for add
        def edit_data(self): ...                              # valid POST data for edit
        def out_of_scope_form_data(self): ...                 # add data pointing outside

Each kind checks: anonymous visitors (public rows, or the login page); a
signed-in user without a role or without the permission (403, or public rows);
a user with the permission (200, object created / changed / deleted, audit
entry written); an object outside the user's scope (404, nothing changed); and
the number of queries of a page, which must stay under the pin and must not
grow with the number of rows (no N+1).

Query counts include the session, user, profile and permission look-ups of the
request, so a pin is the whole cost of the page.
"""
from __future__ import annotations

import itertools
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from zhijian.accounts.models import AuditEntry
from zhijian.accounts.services import create_user
from zhijian.core.scope import ROLE_INSPECTOR, ROLE_OFFICER

__all__ = ("ModelViewTestCase", "ViewTestCases")

_seq = itertools.count(1)


def next_n() -> int:
    """A process-wide sequence number for unique test values."""
    return next(_seq)


def post_data(data: dict) -> dict:
    """Form data as a browser posts it: model instances as pks, lists kept, None as ''."""
    result = {}
    for key, value in data.items():
        if value is None:
            result[key] = ""
        elif hasattr(value, "pk"):
            result[key] = value.pk
        elif isinstance(value, (list, tuple)):
            result[key] = [getattr(v, "pk", v) for v in value]
        else:
            result[key] = value
    return result


class ModelViewTestCase(TestCase):
    """Users, objects and URL helpers shared by the view test cases."""

    model = None
    url_namespace: str | None = None  # defaults to the model's app label
    # The user who may do everything the tests try, and where.
    user_role = ROLE_OFFICER
    user_division: str | None = "320500"
    # A user who may read the model but not write it (None: no such role).
    readonly_role: str | None = ROLE_INSPECTOR
    readonly_division: str | None = "320500"
    # Pins: queries of one list page / one detail page, for a signed-in user.
    max_queries = 15
    max_detail_queries = 20
    # Rows added for the "many rows" query count.
    many_rows = 10
    # Posted fields not compared with the stored object (e.g. normalised on save).
    validation_excluded_fields: tuple[str, ...] = ()

    # ------------------------------------------------------------------ declared by subclasses
    @classmethod
    def create_object(cls, in_scope: bool = True):
        """A saved object inside (or outside) the scope of ``user``; None if there is no outside."""
        raise NotImplementedError

    def list_params(self, obj) -> dict:
        """Query parameters that put ``obj`` on the first list page (e.g. a search)."""
        return {}

    # ------------------------------------------------------------------ set-up
    @classmethod
    def setUpTestData(cls):
        from zhijian.accounts.models import Profile

        Division = Profile._meta.get_field("division").related_model

        def division(code):
            return Division.objects.get(pk=code) if code else None

        name = cls.__name__.lower()[:100]
        cls.user = create_user(f"{name}-writer", "pw", cls.user_role, division=division(cls.user_division),
                               **cls.user_extra())
        cls.readonly_user = None
        if cls.readonly_role:
            cls.readonly_user = create_user(f"{name}-reader", "pw", cls.readonly_role,
                                            division=division(cls.readonly_division))
        # Signed in, but no role: sees what the public sees, may write nothing.
        cls.norole_user = get_user_model().objects.create_user(f"{name}-norole", password="pw")
        cls.obj = cls.create_object(True)
        cls.out_obj = cls.create_object(False)

    @classmethod
    def user_extra(cls) -> dict:
        """Extra keyword arguments for the writer (``enterprise=``, ``lab=``)."""
        return {}

    # ------------------------------------------------------------------ helpers
    def url(self, kind: str, obj=None) -> str:
        namespace = self.url_namespace or self.model._meta.app_label
        name = f"{namespace}:{self.model._meta.model_name}_{kind}"
        return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)

    def login(self, user):
        self.client.logout()
        if user is not None:
            self.client.force_login(user)

    def assertLoginRedirect(self, response):
        self.assertEqual(response.status_code, 302, response)
        self.assertIn(reverse("login"), response["Location"])

    def is_public(self, obj=None) -> bool:
        q = self.model.public_q()
        if q is None:
            return False
        if obj is None:
            return True
        return self.model._default_manager.filter(q).filter(pk=obj.pk).exists()

    def object_type(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    def assertAudited(self, pk, action: str, user):
        entries = AuditEntry.objects.filter(object_type=self.object_type(), object_id=str(pk),
                                            action=action)
        self.assertTrue(entries.exists(), f"no audit entry {action} {self.object_type()}:{pk}")
        self.assertTrue(entries.filter(user=user, source="web").exists(),
                        f"the {action} audit entry does not name {user} as the web user")

    def snapshot(self, obj) -> dict:
        """The stored field values of ``obj`` (timestamps left out)."""
        data = self.model._default_manager.get(pk=obj.pk).snapshot()
        for name in ("created", "last_updated"):
            data.pop(name, None)
        return data

    def assertInstanceEqual(self, obj, data: dict, exclude=()):
        """The stored ``obj`` has the values of the posted ``data`` (model fields only)."""
        from django.core.exceptions import FieldDoesNotExist
        from django.db import models

        obj = self.model._default_manager.get(pk=obj.pk)
        for name, expected in data.items():
            if name in exclude:
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            actual = getattr(obj, name)
            if field.many_to_many:
                self.assertEqual(sorted(o.pk for o in actual.all()),
                                 sorted(getattr(v, "pk", v) for v in expected), name)
            elif field.is_relation:
                expected = getattr(expected, "pk", expected)
                if actual is None:
                    self.assertIn(expected, ("", None), name)
                    continue
                keys = {str(actual.pk)} | {str(getattr(actual, f.attname)) for f in
                                           actual._meta.concrete_fields if f.unique}
                self.assertIn(str(expected), keys, name)
            elif isinstance(field, models.BooleanField):
                self.assertEqual(actual, bool(expected) and expected not in ("false", "False", "0"), name)
            elif isinstance(field, models.JSONField):
                self.assertEqual(actual, expected, name)
            elif expected in ("", None):
                self.assertIn(actual, ("", None), name)
            else:
                self.assertEqual(str(actual), str(expected), name)

    def count_queries(self, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def link(self, obj) -> str:
        return f'href="{escape(obj.get_absolute_url())}"'


class ViewTestCases:
    """Container, so that the test runner does not collect the base classes themselves."""

    class ListObjectsViewTestCase(ModelViewTestCase):
        def list_url(self, obj=None) -> str:
            params = self.list_params(obj) if obj is not None else {}
            return self.url("list") + ("?" + urlencode(params) if params else "")

        def test_list_objects_anonymous(self):
            self.login(None)
            response = self.client.get(self.list_url(self.obj))
            if not self.is_public():
                self.assertLoginRedirect(response)
                return
            self.assertEqual(response.status_code, 200)
            if self.is_public(self.obj):
                self.assertContains(response, self.link(self.obj))
            else:
                self.assertNotContains(response, self.link(self.obj))

        def test_list_objects_without_role(self):
            self.login(self.norole_user)
            response = self.client.get(self.list_url(self.obj))
            if not self.is_public():
                self.assertEqual(response.status_code, 403)
                return
            self.assertEqual(response.status_code, 200)
            if not self.is_public(self.obj):
                self.assertNotContains(response, self.link(self.obj))

        def test_list_objects_with_permission(self):
            self.login(self.user)
            response = self.client.get(self.list_url(self.obj))
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, self.link(self.obj))

        def test_list_objects_out_of_scope(self):
            if self.out_obj is None:
                self.skipTest("the model has no rows outside a scope")
            self.login(self.user)
            response = self.client.get(self.list_url(self.out_obj))
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, self.link(self.out_obj))

        def test_list_objects_query_count(self):
            """The page costs at most ``max_queries``, the same for 1 row as for many."""
            self.login(self.user)
            url = self.url("list")
            one = self.count_queries(url)
            for _ in range(self.many_rows):
                self.create_object(True)
            many = self.count_queries(url)
            self.assertLessEqual(many, self.max_queries,
                                 f"list page of {self.object_type()}: {many} queries")
            self.assertEqual(one, many, f"list page of {self.object_type()}: {one} queries for one "
                                        f"row, {many} for {self.many_rows + 1} (N+1?)")

    class GetObjectViewTestCase(ModelViewTestCase):
        def test_get_object_anonymous(self):
            self.login(None)
            response = self.client.get(self.obj.get_absolute_url())
            if not self.is_public():
                self.assertLoginRedirect(response)
            elif self.is_public(self.obj):
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, self.url("edit", self.obj))
                self.assertNotContains(response, self.url("delete", self.obj))
            else:
                self.assertEqual(response.status_code, 404)

        def test_get_object_without_role(self):
            self.login(self.norole_user)
            response = self.client.get(self.obj.get_absolute_url())
            if not self.is_public():
                self.assertEqual(response.status_code, 403)
            else:
                self.assertEqual(response.status_code, 200 if self.is_public(self.obj) else 404)

        def test_get_object_with_permission(self):
            self.login(self.user)
            with CaptureQueriesContext(connection) as ctx:
                response = self.client.get(self.obj.get_absolute_url())
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, escape(str(self.obj)))
            self.assertLessEqual(len(ctx.captured_queries), self.max_detail_queries,
                                 f"detail page of {self.object_type()}: {len(ctx.captured_queries)} queries")

        def test_get_object_out_of_scope(self):
            if self.out_obj is None:
                self.skipTest("the model has no rows outside a scope")
            self.login(self.user)
            self.assertEqual(self.client.get(self.out_obj.get_absolute_url()).status_code, 404)

    class CreateObjectViewTestCase(ModelViewTestCase):
        def form_data(self) -> dict:
            raise NotImplementedError

        def out_of_scope_form_data(self) -> dict | None:
            """Add data whose object would lie outside the user's scope (None: not applicable)."""
            return None

        def created(self, before: set):
            rows = self.model._default_manager.exclude(pk__in=before)
            self.assertEqual(rows.count(), 1)
            return rows.get()

        def pks(self) -> set:
            return set(self.model._default_manager.values_list("pk", flat=True))

        def test_create_object_anonymous(self):
            self.login(None)
            before = self.pks()
            self.assertLoginRedirect(self.client.get(self.url("add")))
            self.assertLoginRedirect(self.client.post(self.url("add"), post_data(self.form_data())))
            self.assertEqual(self.pks(), before)

        def test_create_object_without_permission(self):
            before = self.pks()
            for user in (self.norole_user, self.readonly_user):
                if user is None:
                    continue
                self.login(user)
                self.assertEqual(self.client.get(self.url("add")).status_code, 403)
                self.assertEqual(self.client.post(self.url("add"), post_data(self.form_data())).status_code, 403)
            self.assertEqual(self.pks(), before)

        def test_create_object_with_permission(self):
            self.login(self.user)
            self.assertEqual(self.client.get(self.url("add")).status_code, 200)
            before = self.pks()
            data = self.form_data()
            response = self.client.post(self.url("add"), post_data(data))
            if response.status_code != 302:
                form = response.context.get("form") if response.context else None
                self.fail(f"create {self.object_type()} failed: {response.status_code} "
                          f"{form.errors.as_json() if form is not None else ''}")
            obj = self.created(before)
            self.assertEqual(response["Location"], obj.get_absolute_url())
            self.assertInstanceEqual(obj, data, exclude=self.validation_excluded_fields)
            self.assertTrue(self.model._default_manager.is_allowed(self.user, "view", obj))
            self.assertAudited(obj.pk, "create", self.user)

        def test_create_object_out_of_scope(self):
            data = self.out_of_scope_form_data()
            if data is None:
                self.skipTest("no out-of-scope data for this model")
            self.login(self.user)
            before = self.pks()
            audit_before = AuditEntry.objects.count()
            response = self.client.post(self.url("add"), post_data(data))
            # Refused either by the form (the choice is not offered: 200 with an error)
            # or by the check after the save (403, rolled back).
            self.assertIn(response.status_code, (200, 403))
            if response.status_code == 200:
                self.assertTrue(response.context["form"].errors)
            self.assertEqual(self.pks(), before)
            self.assertEqual(AuditEntry.objects.count(), audit_before)

    class EditObjectViewTestCase(ModelViewTestCase):
        def edit_data(self) -> dict:
            raise NotImplementedError

        def out_of_scope_edit_data(self) -> dict | None:
            """Edit data that would move ``obj`` outside the user's scope (None: not applicable)."""
            return None

        def test_edit_object_anonymous(self):
            self.login(None)
            before = self.snapshot(self.obj)
            self.assertLoginRedirect(self.client.get(self.url("edit", self.obj)))
            self.assertLoginRedirect(self.client.post(self.url("edit", self.obj), post_data(self.edit_data())))
            self.assertEqual(self.snapshot(self.obj), before)

        def test_edit_object_without_permission(self):
            before = self.snapshot(self.obj)
            for user in (self.norole_user, self.readonly_user):
                if user is None:
                    continue
                self.login(user)
                self.assertEqual(self.client.get(self.url("edit", self.obj)).status_code, 403)
                response = self.client.post(self.url("edit", self.obj), post_data(self.edit_data()))
                self.assertEqual(response.status_code, 403)
            self.assertEqual(self.snapshot(self.obj), before)

        def test_edit_object_with_permission(self):
            self.login(self.user)
            self.assertEqual(self.client.get(self.url("edit", self.obj)).status_code, 200)
            before = self.snapshot(self.obj)
            data = self.edit_data()
            response = self.client.post(self.url("edit", self.obj), post_data(data))
            if response.status_code != 302:
                form = response.context.get("form") if response.context else None
                self.fail(f"edit {self.object_type()} failed: {response.status_code} "
                          f"{form.errors.as_json() if form is not None else ''}")
            self.assertNotEqual(self.snapshot(self.obj), before)
            self.assertInstanceEqual(self.obj, data, exclude=self.validation_excluded_fields)
            self.assertAudited(self.obj.pk, "update", self.user)

        def test_edit_object_out_of_scope(self):
            if self.out_obj is None:
                self.skipTest("the model has no rows outside a scope")
            self.login(self.user)
            before = self.snapshot(self.out_obj)
            self.assertEqual(self.client.get(self.url("edit", self.out_obj)).status_code, 404)
            response = self.client.post(self.url("edit", self.out_obj), post_data(self.edit_data()))
            self.assertEqual(response.status_code, 404)
            self.assertEqual(self.snapshot(self.out_obj), before)

        def test_edit_object_moved_out_of_scope(self):
            data = self.out_of_scope_edit_data()
            if data is None:
                self.skipTest("no out-of-scope edit data for this model")
            self.login(self.user)
            before = self.snapshot(self.obj)
            audit_before = AuditEntry.objects.count()
            response = self.client.post(self.url("edit", self.obj), post_data(data))
            self.assertIn(response.status_code, (200, 403))
            self.assertEqual(self.snapshot(self.obj), before)
            self.assertEqual(AuditEntry.objects.count(), audit_before)

    class DeleteObjectViewTestCase(ModelViewTestCase):
        def test_delete_object_anonymous(self):
            self.login(None)
            self.assertLoginRedirect(self.client.get(self.url("delete", self.obj)))
            self.assertLoginRedirect(self.client.post(self.url("delete", self.obj), {"confirm": "true"}))
            self.assertTrue(self.model._default_manager.filter(pk=self.obj.pk).exists())

        def test_delete_object_without_permission(self):
            for user in (self.norole_user, self.readonly_user):
                if user is None:
                    continue
                self.login(user)
                self.assertEqual(self.client.get(self.url("delete", self.obj)).status_code, 403)
                self.assertEqual(self.client.post(self.url("delete", self.obj), {"confirm": "true"}).status_code,
                                 403)
            self.assertTrue(self.model._default_manager.filter(pk=self.obj.pk).exists())

        def test_delete_object_with_permission(self):
            victim = self.create_object(True)
            self.login(self.user)
            self.assertEqual(self.client.get(self.url("delete", victim)).status_code, 200)
            response = self.client.post(self.url("delete", victim), {"confirm": "true"})
            self.assertEqual(response.status_code, 302)
            self.assertFalse(self.model._default_manager.filter(pk=victim.pk).exists())
            self.assertAudited(victim.pk, "delete", self.user)

        def test_delete_object_out_of_scope(self):
            if self.out_obj is None:
                self.skipTest("the model has no rows outside a scope")
            self.login(self.user)
            self.assertEqual(self.client.get(self.url("delete", self.out_obj)).status_code, 404)
            self.assertEqual(self.client.post(self.url("delete", self.out_obj), {"confirm": "true"}).status_code,
                             404)
            self.assertTrue(self.model._default_manager.filter(pk=self.out_obj.pk).exists())

    class PrimaryObjectViewTestCase(
        GetObjectViewTestCase,
        ListObjectsViewTestCase,
        CreateObjectViewTestCase,
        EditObjectViewTestCase,
        DeleteObjectViewTestCase,
    ):
        """All five page kinds of a model."""
