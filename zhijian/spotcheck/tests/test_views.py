"""The spot-check staff pages, declaratively (``zhijian.core.testing.views``).

Writer: a 苏州 (320500) city officer; read-only: a 苏州 inspector; out of scope:
南京 (320100) plans, tasks and conflicts.
"""
import datetime

from zhijian.core.scope import ROLE_INSPECTOR, ROLE_OFFICER
from zhijian.core.testing.dates import running_plan_dates
from zhijian.core.testing.views import ViewTestCases, next_n
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise, Inspector, Lab, ProductCategory
from zhijian.spotcheck.models import InspectorConflict, Plan, PlanLab, Task

IN, IN2, OUT = "320500", "320505", "320100"
D = datetime.date


def category(i=0):
    return ProductCategory.objects.filter(key_supervised=True).order_by("code")[i]


def make_plan(division=IN, **kw):
    n = next_n()
    plan = Plan.objects.create(title=f"视图测试抽查计划{n}", kind="routine", **running_plan_dates(),
                               division_id=division, quota_mode="count", quota_count=2, **kw)
    plan.categories.add(category())
    return plan


def make_enterprise(division=IN2):
    n = next_n()
    return Enterprise.objects.create(uscc=make_uscc(division, 600000 + n), name=f"抽查视图企业{n}有限公司",
                                     division_id=division)


def make_lab():
    n = next_n()
    return Lab.objects.create(name=f"视图测试检验院{n}", accreditation_number=f"CMA-V-{n}",
                              division_id=IN, level="city")


def labs_management(total=0, initial=0):
    return {"labs-TOTAL_FORMS": total, "labs-INITIAL_FORMS": initial, "labs-MIN_NUM_FORMS": 0,
            "labs-MAX_NUM_FORMS": 1000}


class PlanViewTests(ViewTestCases.PrimaryObjectViewTestCase):
    model = Plan
    url_namespace = "spotcheck"
    user_role, user_division = ROLE_OFFICER, IN
    readonly_role, readonly_division = ROLE_INSPECTOR, IN
    max_queries = 11
    max_detail_queries = 16

    @classmethod
    def create_object(cls, in_scope=True):
        return make_plan(IN if in_scope else OUT)

    def base_data(self, **kw):
        return {"title": "2026 年苏州市电风扇抽查", "kind": "routine", "year": 2026, "period": "2026H2",
                "starts_on": "2026-07-01", "ends_on": "2026-09-30", "division": IN2,
                "categories": [category(0).pk, category(1).pk], "scope_divisions": [],
                "strata_level": "county", "quota_mode": "count", "quota_count": 3, "quota_ratio": "",
                "risk_weighting": "on", "class_ratios": '{"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}',
                "inspectors_per_task": 2, "notes": "", **labs_management(), **kw}

    def form_data(self):
        lab = make_lab()
        return {**self.base_data(), **labs_management(total=1),
                "labs-0-category": category(0).pk, "labs-0-lab": lab.pk}

    def edit_data(self):
        return self.base_data(title="改名的抽查计划", quota_count=5, division=IN)

    def out_of_scope_form_data(self):
        return self.base_data(division=OUT)

    def out_of_scope_edit_data(self):
        return self.base_data(division=OUT)

    # class_ratios is posted as JSON text; compared below as a dict
    validation_excluded_fields = ("class_ratios", "risk_weighting")

    def test_created_plan_has_its_lab(self):
        self.login(self.user)
        data = self.form_data()
        response = self.client.post(self.url("add"), data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        plan = Plan.objects.get(title=data["title"], period="2026H2")
        self.assertEqual(list(PlanLab.objects.filter(plan=plan).values_list("category", "lab")),
                         [(category(0).pk, data["labs-0-lab"])])
        self.assertEqual(plan.class_ratios, {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
        self.assertEqual(plan.level, Plan.Level.COUNTY)

    def test_lab_for_a_category_outside_the_plan_is_refused(self):
        self.login(self.user)
        lab = make_lab()
        data = {**self.base_data(categories=[category(0).pk]), **labs_management(total=1),
                "labs-0-category": category(2).pk, "labs-0-lab": lab.pk}
        before = Plan.objects.count()
        response = self.client.post(self.url("add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertEqual(Plan.objects.count(), before)

    def test_only_draft_plans_can_be_edited_or_deleted(self):
        plan = make_plan(IN, status=Plan.Status.COMMITTED)
        self.login(self.user)
        self.assertEqual(self.client.get(self.url("edit", plan)).status_code, 403)
        self.assertEqual(self.client.post(self.url("edit", plan), self.edit_data()).status_code, 403)
        self.assertEqual(self.client.post(self.url("delete", plan), {"confirm": "true"}).status_code, 403)
        plan.refresh_from_db()
        self.assertTrue(plan.title.startswith("视图测试抽查计划"))
        detail = self.client.get(plan.get_absolute_url())
        self.assertNotContains(detail, self.url("edit", plan))

    def test_seasonal_plan_offers_and_preselects_categories_in_season(self):
        winter = ProductCategory.objects.create(code="T-WINTER", name="测试电热毯", seasonal_months=[10, 11, 12, 1, 2])
        autumn = ProductCategory.objects.create(code="T-AUTUMN", name="测试月饼", seasonal_months=[8, 9, 10])
        summer = ProductCategory.objects.create(code="T-SUMMER", name="测试电风扇", seasonal_months=[5, 6, 7, 8])
        self.login(self.user)
        response = self.client.get(self.url("add"), {"kind": "seasonal", "starts_on": "2026-11-01",
                                                      "ends_on": "2027-01-31"})
        form = response.context["form"]
        offered = set(form.fields["categories"].queryset)
        self.assertIn(winter, offered)
        self.assertNotIn(summer, offered)
        self.assertNotIn(autumn, offered)  # October is not one of the plan's months
        self.assertIn(winter.pk, form.initial["categories"])
        # A category out of season is refused for a seasonal plan.
        data = self.base_data(kind="seasonal", starts_on="2026-11-01", ends_on="2027-01-31",
                              categories=[winter.pk, summer.pk])
        response = self.client.post(self.url("add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors["categories"])


class TaskViewTests(ViewTestCases.GetObjectViewTestCase, ViewTestCases.ListObjectsViewTestCase):
    model = Task
    url_namespace = "spotcheck"
    user_role, user_division = ROLE_OFFICER, IN
    readonly_role = None
    max_queries = 11
    max_detail_queries = 22

    @classmethod
    def create_object(cls, in_scope=True):
        plan = make_plan(IN if in_scope else OUT)
        enterprise = make_enterprise(IN2 if in_scope else "320102")
        return Task.objects.create(plan=plan, enterprise=enterprise, category=category(),
                                   division=enterprise.division, stratum="x", lab=make_lab())

    def test_overdue_filter(self):
        self.login(self.user)
        late = self.create_object(True)
        Plan.objects.filter(pk=late.plan_id).update(ends_on=D(2020, 1, 31))
        response = self.client.get(self.url("list"), {"overdue": "true"})
        self.assertContains(response, self.link(late))
        self.assertNotContains(response, self.link(self.obj))
        response = self.client.get(self.url("list"), {"overdue": "false"})
        self.assertNotContains(response, self.link(late))
        self.assertContains(response, self.link(self.obj))

    def test_status_and_plan_filters(self):
        self.login(self.user)
        response = self.client.get(self.url("list"), {"plan": self.obj.plan_id, "status": "assigned"})
        self.assertContains(response, self.link(self.obj))
        response = self.client.get(self.url("list"), {"status": "tested"})
        self.assertNotContains(response, self.link(self.obj))


class InspectorConflictViewTests(ViewTestCases.PrimaryObjectViewTestCase):
    model = InspectorConflict
    url_namespace = "spotcheck"
    user_role, user_division = ROLE_OFFICER, IN
    readonly_role, readonly_division = ROLE_INSPECTOR, IN
    max_queries = 11
    max_detail_queries = 10

    @classmethod
    def make_inspector(cls, division=IN):
        n = next_n()
        return Inspector.objects.create(name=f"回避检查员{n}", badge_number=f"HB{n:05d}", division_id=division)

    @classmethod
    def create_object(cls, in_scope=True):
        return InspectorConflict.objects.create(
            inspector=cls.make_inspector(IN if in_scope else OUT),
            enterprise=make_enterprise(IN2 if in_scope else "320102"), reason="亲属关系")

    def form_data(self):
        return {"inspector": self.make_inspector().pk, "enterprise": make_enterprise().uscc,
                "reason": "曾在该企业任职"}

    def edit_data(self):
        return {"inspector": self.obj.inspector.pk, "enterprise": self.obj.enterprise.uscc,
                "reason": "亲属在该企业任高管"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "inspector": self.make_inspector(OUT).pk}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "inspector": self.make_inspector(OUT).pk}
