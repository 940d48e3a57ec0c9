"""The Django admin pages of the spot-check models open, scoped, for staff."""
import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from zhijian.core import scope as S
from zhijian.registry.models import ProductCategory
from zhijian.spotcheck.models import Draw, InspectorConflict, PassRateTarget, Plan, Task

MODELS = [Plan, Draw, Task, InspectorConflict, PassRateTarget]


@pytest.fixture
def plan(db):
    plan = Plan.objects.create(title="管理后台测试计划", kind="routine", year=2026, period="2026",
                               starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 11, 30),
                               division_id="320500")
    plan.categories.add(ProductCategory.objects.order_by("code").first())
    return plan


def test_admin_pages_open_for_the_superuser(client, plan, enterprise_factory):
    root = get_user_model().objects.create_superuser("root", "root@example.invalid", "pw")
    client.force_login(root)
    task = Task.objects.create(plan=plan, enterprise=enterprise_factory("320505"),
                               category=plan.categories.get(), division_id="320505", stratum="x")
    for model in MODELS:
        assert admin.site.is_registered(model)
        opts = model._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
    for obj in (plan, task):
        opts = obj._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200, opts.model_name
    assert client.get(reverse("admin:spotcheck_draw_add")).status_code == 403


def test_admin_changelist_is_scoped(client, plan, make_user):
    officer = make_user(S.ROLE_OFFICER, "320100")  # 南京
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    response = client.get(reverse("admin:spotcheck_plan_changelist"))
    assert response.status_code == 200
    assert "管理后台测试计划" not in response.content.decode()
