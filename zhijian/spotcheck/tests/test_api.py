"""The spot-check API: one declarative test class per model, then the workflow actions."""
import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from zhijian.core import scope as S
from zhijian.core.testing.api import APIViewTestCases, api_client_for, list_all_ids, snapshot, unique
from zhijian.registry.models import Inspector, Lab, ProductCategory
from zhijian.registry.tests.factories import make_enterprise
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck.models import Draw, InspectorConflict, Plan, PlanLab, Task, TestItem

SUZHOU, GUSU, NANJING, NANJING_XUANWU = "320500", "320505", "320100", "320102"
D = dt.date
NS = "spotcheck-api"


def category(n=0):
    return ProductCategory.objects.order_by("code")[n]


def make_plan(division=SUZHOU, status=Plan.Status.DRAFT, **kw):
    plan = Plan.objects.create(title=kw.pop("title", unique("抽查计划")), kind="routine", year=2026,
                               period="2026", starts_on=D(2026, 3, 1), ends_on=D(2026, 11, 30),
                               division_id=division, quota_mode="count", quota_count=2, status=status, **kw)
    plan.categories.add(category(0), category(1))
    return plan


def make_lab(division=SUZHOU):
    return Lab.objects.create(name=unique("检测所"), accreditation_number=unique("CMA-API-"),
                              division_id=division, level="city")


def make_task(division=GUSU, published=True, plan=None):
    plan = plan or make_plan(division[:4] + "00", status=Plan.Status.PUBLISHED)
    return Task.objects.create(plan=plan, enterprise=make_enterprise(division), category=category(0),
                               division_id=division, stratum=f"{division}/x",
                               published_on=D(2026, 4, 1) if published else None,
                               verdict="qualified", status=Task.Status.CLOSED)


class _OfficerCase(APIViewTestCases.ScopedAPITestCase):
    namespace = NS
    user_role, user_division = S.ROLE_OFFICER, SUZHOU


class _ReadOnly(_OfficerCase):
    """Read-only endpoints: every write is refused (403 or 405) and writes nothing."""

    def create_data(self):
        return {"id": 1}

    def update_data(self):
        return {"id": 1}

    def _refused(self, response):
        assert response.status_code in (403, 405), response.content[:300]

    def test_create(self):
        before = self.model._base_manager.count()
        self._refused(self.client.post(self.list_url(), {}, format="json"))
        assert self.model._base_manager.count() == before

    def test_update(self):
        obj = self.make_in_scope(0)
        before = snapshot(obj)
        self._refused(self.client.patch(self.detail_url(obj), {}, format="json"))
        self._refused(self.client.put(self.detail_url(obj), {}, format="json"))
        assert snapshot(obj) == before

    def test_delete(self):
        obj = self.make_in_scope(0)
        self._refused(self.client.delete(self.detail_url(obj)))
        assert snapshot(obj) is not None

    test_create_without_permission = test_create

    def test_update_without_permission(self):
        self.test_update()

    def test_delete_without_permission(self):
        self.test_delete()

    def test_update_out_of_scope(self):
        other = self.make_out_of_scope(0)
        before = snapshot(other)
        self._refused(self.client.patch(self.detail_url(other), {}, format="json"))
        assert snapshot(other) == before

    def test_delete_out_of_scope(self):
        other = self.make_out_of_scope(0)
        self._refused(self.client.delete(self.detail_url(other)))
        assert snapshot(other) is not None


class TestPlanAPI(_OfficerCase):
    model = Plan
    max_queries = 12

    def make_in_scope(self, n):
        return make_plan(SUZHOU)

    def make_out_of_scope(self, n):
        return make_plan(NANJING)

    def make_private(self):
        return make_plan(SUZHOU)  # a draft

    def create_data(self):
        return {"title": unique("2026 年苏州市抽查"), "kind": "routine", "year": 2026, "period": "2026",
                "starts_on": "2026-03-01", "ends_on": "2026-11-30", "division": SUZHOU,
                "categories": [category(0).pk], "quota_mode": "count", "quota_count": 3,
                "inspectors_per_task": 2}

    def foreign_create_data(self):
        return {**self.create_data(), "division": NANJING}

    def update_data(self):
        return {"title": "已更名的计划", "quota_count": 5}

    def test_anonymous_reads_public_rows_only(self):
        published = make_plan(SUZHOU, status=Plan.Status.PUBLISHED)
        draft = self.make_private()
        anon = api_client_for(None)
        ids = list_all_ids(anon, self.list_url())
        assert str(published.pk) in ids and str(draft.pk) not in ids
        assert anon.get(self.detail_url(draft)).status_code == 404

    def test_only_a_draft_can_change(self):
        plan = make_plan(SUZHOU, status=Plan.Status.COMMITTED)
        before = snapshot(plan)
        assert self.client.patch(self.detail_url(plan), self.update_data(), format="json").status_code == 409
        assert self.client.delete(self.detail_url(plan)).status_code == 409
        assert snapshot(plan) == before

    def test_model_rules_are_field_errors(self):
        data = {**self.create_data(), "ends_on": "2026-01-01", "inspectors_per_task": 1}
        response = self.client.post(self.list_url(), data, format="json")
        assert response.status_code == 400
        assert set(response.json()) >= {"ends_on", "inspectors_per_task"}


class TestPlanLabAPI(_OfficerCase):
    model = PlanLab
    reader_role = S.ROLE_PROVINCE_ADMIN  # agencies do not read lab assignments

    def make_in_scope(self, n):
        return PlanLab.objects.create(plan=make_plan(SUZHOU), category=category(0), lab=make_lab())

    def make_out_of_scope(self, n):
        return PlanLab.objects.create(plan=make_plan(NANJING), category=category(0), lab=make_lab(NANJING))

    def create_data(self):
        return {"plan": make_plan(SUZHOU).pk, "category": category(1).pk, "lab": make_lab().pk}

    def foreign_create_data(self):
        return {"plan": make_plan(NANJING).pk, "category": category(1).pk, "lab": make_lab().pk}

    def update_data(self):
        return {"category": category(1).pk}

    def test_category_must_be_the_plans(self):
        data = {**self.create_data(), "category": category(5).pk}
        response = self.client.post(self.list_url(), data, format="json")
        assert response.status_code == 400 and "category" in response.json()


class TestInspectorConflictAPI(_OfficerCase):
    model = InspectorConflict
    reader_role = S.ROLE_PROVINCE_ADMIN

    def inspector(self, division=SUZHOU):
        return Inspector.objects.create(name="检查员", badge_number=unique("API-B"), division_id=division)

    def make_in_scope(self, n):
        return InspectorConflict.objects.create(inspector=self.inspector(), enterprise=make_enterprise(GUSU),
                                                reason="亲属关系")

    def make_out_of_scope(self, n):
        return InspectorConflict.objects.create(inspector=self.inspector(NANJING),
                                                enterprise=make_enterprise(NANJING_XUANWU), reason="亲属关系")

    def create_data(self):
        return {"inspector": self.inspector().pk, "enterprise": make_enterprise(GUSU).pk, "reason": "曾任职"}

    def foreign_create_data(self):
        return {"inspector": self.inspector(NANJING).pk, "enterprise": make_enterprise(GUSU).pk,
                "reason": "曾任职"}

    def update_data(self):
        return {"reason": "同学关系"}


class TestTaskAPI(_ReadOnly):
    model = Task
    max_queries = 14

    def make_in_scope(self, n):
        return make_task(GUSU)

    def make_out_of_scope(self, n):
        return make_task(NANJING_XUANWU)

    def make_private(self):
        return make_task(GUSU, published=False)

    def test_public_readers_do_not_see_inspectors(self):
        task = make_task(GUSU)
        task.inspectors.add(Inspector.objects.create(name="某检查员", badge_number=unique("PB"),
                                                     division_id=SUZHOU))
        anon = api_client_for(None).get(self.detail_url(task)).json()
        assert "inspectors" not in anon and "case_reference" not in anon
        assert self.client.get(self.detail_url(task)).json()["inspectors"]


class TestTestItemAPI(_ReadOnly):
    model = TestItem
    basename = "testitem"

    def make_in_scope(self, n):
        return TestItem.objects.create(task=make_task(GUSU), name="标志", verdict="qualified")

    def make_out_of_scope(self, n):
        return TestItem.objects.create(task=make_task(NANJING_XUANWU), name="标志", verdict="qualified")

    def make_private(self):
        return TestItem.objects.create(task=make_task(GUSU, published=False), name="标志", verdict="qualified")


def make_draw(division=SUZHOU, published=True):
    plan = make_plan(division, status=Plan.Status.PUBLISHED if published else Plan.Status.COMMITTED)
    return Draw.objects.create(plan=plan, commitment="0" * 64, committed_at=timezone.now(),
                               published_at=timezone.now() if published else None)


class TestDrawAPI(_ReadOnly):
    model = Draw

    def make_in_scope(self, n):
        return make_draw(SUZHOU)

    def make_out_of_scope(self, n):
        return make_draw(NANJING)

    def make_private(self):
        return make_draw(SUZHOU, published=False)


# --------------------------------------------------------------------------- workflow


@pytest.fixture
def flow(make_user, enterprise_factory):
    cache.clear()
    from zhijian.portal.tests.spotcheck_world import build

    return build(make_user, enterprise_factory)


def url(name, *args):
    return reverse(f"{NS}:{name}", args=args)


@pytest.mark.django_db
def test_commit_draw_publish_through_the_api(flow, make_user):
    officer = flow.officer
    client = api_client_for(officer)
    plan = make_plan(SUZHOU, title="API 抽查计划")
    plan.categories.set([flow.ind])
    for i in range(6):  # the first plan's inspectors checked these enterprises last time
        Inspector.objects.create(name=f"新检查员{i}", badge_number=f"API-N{i}",
                                 division_id=SUZHOU).categories.add(flow.ind)
    secret = engine.make_secret()
    # drawing before committing is refused with the reason
    response = client.post(url("plan-draw", plan.pk), {"secret": secret}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "committed" in str(response.json())
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT
    announced = timezone.now() + dt.timedelta(hours=2)
    response = client.post(url("plan-commit", plan.pk), {"commitment": "zz", "public_value_source": "beacon",
                                                         "public_value_at": announced.isoformat()}, format="json")
    assert response.status_code == 400 and "commitment" in response.json()
    commit = {"commitment": engine.commitment_of(secret), "public_value_source": "NIST beacon, pulse at the time"}
    response = client.post(url("plan-commit", plan.pk), commit, format="json")
    assert response.status_code == 400 and "public_value_at" in response.json()
    response = client.post(url("plan-commit", plan.pk), {**commit, "public_value_at": announced.isoformat()},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["pool_size"] == 6 and len(response.json()["pool_hash"]) == 64
    witness = api_client_for(make_user(S.ROLE_OFFICER, SUZHOU))
    # before the announced moment the value is refused; the committing officer may never enter it
    response = witness.post(url("plan-public-value", plan.pk), {"public_value": "beacon"}, format="json",
                            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "announced" in str(response.json())
    with time_machine.travel(announced + dt.timedelta(minutes=10)):
        response = client.post(url("plan-public-value", plan.pk), {"public_value": "beacon"}, format="json")
        assert response.status_code == 403
        response = witness.post(url("plan-public-value", plan.pk), {"public_value": "2026-11-25 beacon"},
                                format="json")
        assert response.status_code == 200, response.content
        # a wrong secret: 400 on the field
        response = client.post(url("plan-draw", plan.pk), {"secret": engine.make_secret()}, format="json")
        assert response.status_code == 400 and "secret" in response.json()
        response = client.post(url("plan-draw", plan.pk), {"secret": secret}, format="json")
        assert response.status_code == 200, response.content
    draw_id = response.json()["id"]
    assert Task.objects.filter(plan=plan).count() == 4
    # the draw files through the API verify
    record = b"".join(client.get(url("draw-record", draw_id)).streaming_content)
    pool = b"".join(client.get(url("draw-pool", draw_id)).streaming_content)
    assert engine.verify(record, pool).match
    # not yet public
    anon = api_client_for(None)
    assert anon.get(url("draw-detail", draw_id)).status_code == 404
    assert anon.get(url("draw-record", draw_id)).status_code == 404
    assert client.post(url("plan-publish", plan.pk)).status_code == 200
    assert anon.get(url("draw-detail", draw_id)).status_code == 200
    assert b"".join(anon.get(url("draw-record", draw_id)).streaming_content) == record
    # a Nanjing officer cannot touch the plan; an agency token cannot either
    nanjing = api_client_for(make_user(S.ROLE_OFFICER, NANJING))
    assert nanjing.post(url("plan-publish", plan.pk)).status_code == 404
    assert anon.post(url("plan-publish", plan.pk)).status_code in (401, 403)


@pytest.mark.django_db
def test_task_steps_through_the_api(flow, make_user):
    task = flow.tasks["agr_pending"]  # notified, qualified
    officer = api_client_for(flow.officer)
    steps = officer.get(url("task-steps", task.pk)).json()
    assert "close" in {s["name"] for s in steps}
    # a step the role may not take: 403; a state that does not allow it: 400; unknown: 404
    lab = api_client_for(flow.lab_user)
    assert lab.post(url("task-step", task.pk, "close"), {}, format="json").status_code == 403
    response = officer.post(url("task-step", task.pk, "deliver"), {}, format="json")
    assert response.status_code == 400 and response.json()
    assert officer.post(url("task-step", task.pk, "no_such_step"), {}, format="json").status_code == 404
    response = officer.post(url("task-step", task.pk, "close"), {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert task.events.filter(type="closed").exists()
    # field errors name the field
    other = make_task(GUSU, published=False)
    Task.objects.filter(pk=other.pk).update(status="assigned", verdict="")
    response = officer.post(url("task-step", other.pk, "sample"), {"sample_name": "x"}, format="json")
    assert response.status_code == 400 and "sample_quantity" in response.json()
    assert Task.objects.get(pk=other.pk).status == "assigned"
    # publish through the API; then the public sees it
    response = officer.post(url("task-publish", task.pk))
    assert response.status_code == 200 and response.json()["published_on"]
    assert api_client_for(None).get(url("task-detail", task.pk)).status_code == 200
    # out of scope: 404; token clients never write
    nanjing = api_client_for(make_user(S.ROLE_OFFICER, NANJING))
    assert nanjing.post(url("task-step", task.pk, "close"), {}, format="json").status_code in (403, 404)


@pytest.mark.django_db
def test_api_lists_are_scoped_for_lab_and_enterprise(flow, make_user):
    lab_ids = list_all_ids(api_client_for(flow.lab_user), url("task-list"))
    assert lab_ids == {str(pk) for pk in Task.objects.filter(lab__isnull=False, plan=flow.plan)
                       .values_list("pk", flat=True)} | {str(pk) for pk in Task.objects.filter(
                           published_on__isnull=False).values_list("pk", flat=True)}
    task = flow.tasks["agr_pending"]
    ent = api_client_for(make_user(S.ROLE_ENTERPRISE, enterprise=task.enterprise))
    ids = list_all_ids(ent, url("task-list"))
    assert str(task.pk) in ids
    assert ids <= {str(task.pk)} | {str(pk) for pk in Task.objects.filter(published_on__isnull=False)
                                     .values_list("pk", flat=True)} | {
        str(pk) for pk in Task.objects.filter(enterprise=task.enterprise).values_list("pk", flat=True)}
