"""Serious-violation and abnormal-operation lists: entry, removal, promotion, the flag in lists,
and the award block (DESIGN §6.3, §6.8, §7; SAMR order 44)."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from zhijian.core import scope as S
from zhijian.credit import services_listing as svc
from zhijian.credit.models import CreditEvent, EnterpriseListing
from zhijian.credit.publication import is_blacklisted
from zhijian.registry.importers import AwardImporter
from zhijian.registry.models import Award, ProductCategory
from zhijian.spotcheck.models import Plan, Task

D = dt.date
BASIS = "市场监督管理严重违法失信名单管理办法 第二条"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def listed(ent, start=D(2025, 5, 6), **kw):
    return svc.enter_listing(ent, "serious_violation", start, "吊销许可证", BASIS, **kw)


# --------------------------------------------------------------------------- entry and removal


def test_entry_runs_3_years_and_records_the_blacklisting_event(enterprise_factory):
    ent = enterprise_factory()
    listing = listed(ent)
    assert listing.planned_end == D(2028, 5, 6)
    (event,) = CreditEvent.objects.filter(enterprise=ent)
    assert (event.type.code, event.date, event.source_id) == ("blacklisting", D(2025, 5, 6), str(listing.pk))
    abnormal = svc.enter_listing(ent, "abnormal_operation", D(2025, 1, 2), "未按时公示年报")
    assert abnormal.planned_end is None
    assert CreditEvent.objects.filter(enterprise=ent).count() == 1  # no event for the abnormal list


def test_entry_errors_name_the_fields(enterprise_factory):
    ent = enterprise_factory()
    with pytest.raises(ValidationError) as exc:
        svc.enter_listing(ent, "serious_violation", D(2025, 5, 6), " ", "", planned_end=D(2025, 5, 1))
    assert set(exc.value.message_dict) == {"reason", "legal_basis", "planned_end"}
    listed(ent)
    with pytest.raises(ValidationError) as exc:
        listed(ent, D(2026, 1, 1))
    assert "already on the serious-violation list" in exc.value.message_dict["kind"][0]
    assert EnterpriseListing.objects.filter(enterprise=ent).count() == 1


def test_early_exit_needs_a_reason_and_expiry_needs_the_end(enterprise_factory):
    ent = enterprise_factory()
    listing = listed(ent)
    with pytest.raises(ValidationError) as exc:
        svc.remove_listing(listing, D(2026, 1, 5), "early_exit", "")
    assert "removal_note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.remove_listing(listing, D(2026, 1, 5), "expired")
    assert "has not ended (listed until 2028-05-06)" in exc.value.message_dict["removal"][0]
    with pytest.raises(ValidationError) as exc:
        svc.remove_listing(listing, D(2025, 5, 1), "early_exit", "x")
    assert "end" in exc.value.message_dict
    listing.refresh_from_db()
    assert listing.end is None and is_blacklisted(ent.pk, D(2026, 1, 5))
    svc.remove_listing(listing, D(2026, 1, 5), "early_exit", "行政复议撤销部分事实")
    listing.refresh_from_db()
    assert (listing.end, listing.removal) == (D(2026, 1, 5), "early_exit")
    assert is_blacklisted(ent.pk, D(2026, 1, 4)) and not is_blacklisted(ent.pk, D(2026, 1, 5))
    with pytest.raises(ValidationError) as exc:
        svc.remove_listing(listing, D(2026, 2, 1), "early_exit", "again")
    assert "Already removed" in exc.value.message_dict["end"][0]
    # at the end of the period no note is needed
    other = listed(enterprise_factory(), D(2022, 3, 1))
    svc.remove_listing(other, D(2025, 3, 1), "expired")


def test_three_years_on_the_abnormal_list_moves_an_enterprise_to_the_serious_list(enterprise_factory):
    old, young, removed = enterprise_factory(), enterprise_factory(), enterprise_factory()
    a_old = svc.enter_listing(old, "abnormal_operation", D(2022, 4, 15), "通过登记的住所无法联系")
    svc.enter_listing(young, "abnormal_operation", D(2023, 6, 1), "未按时公示年报")
    a_removed = svc.enter_listing(removed, "abnormal_operation", D(2021, 1, 4), "未按时公示年报")
    svc.remove_listing(a_removed, D(2022, 1, 4), "early_exit", "补报年报")
    assert svc.promote_long_abnormal(D(2025, 4, 14)) == []
    (promoted,) = svc.promote_long_abnormal(D(2026, 5, 1))
    assert promoted.enterprise_id == old.pk and promoted.kind == "serious_violation"
    assert promoted.start == D(2025, 4, 15) and promoted.planned_end == D(2028, 4, 15)
    assert (promoted.source_type, promoted.source_id) == ("credit.enterpriselisting", str(a_old.pk))
    assert CreditEvent.objects.filter(enterprise=old, type__code="blacklisting").count() == 1
    assert svc.promote_long_abnormal(D(2026, 5, 2)) == []  # idempotent
    (second,) = svc.promote_long_abnormal(D(2026, 6, 1))
    assert second.enterprise_id == young.pk and second.start == D(2026, 6, 1)
    assert not EnterpriseListing.objects.filter(enterprise=removed, kind="serious_violation").exists()


# --------------------------------------------------------------------------- the flag in lists


@pytest.fixture
def flagged_world(make_user, enterprise_factory):
    today = timezone.localdate()
    ents = [enterprise_factory("320505", name=f"苏州列表{i}有限公司") for i in range(6)]
    bad = ents[0]
    listed(bad, today - dt.timedelta(days=30))
    gone = ents[1]
    svc.remove_listing(listed(gone, today - dt.timedelta(days=60)), today - dt.timedelta(days=1),
                       "early_exit", "复议撤销")
    return {"bad": bad, "gone": gone, "ents": ents, "officer": make_user(S.ROLE_OFFICER, "320500")}


def flag_rows(html):
    """Enterprise names in rows that carry the blacklisted flag."""
    import re

    return {m for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S) if 'data-flag="blacklisted"' in row
            for m in re.findall(r"苏州列表\d有限公司", row)}


def test_enterprise_list_flags_the_blacklisted_with_one_query_per_page(flagged_world):
    c = Client()
    c.force_login(flagged_world["officer"])
    html = c.get("/registry/enterprises/", {"q": "苏州列表"}).content.decode()
    assert flag_rows(html) == {"苏州列表0有限公司"}
    with CaptureQueriesContext(connection) as few:
        c.get("/registry/enterprises/", {"q": "苏州列表", "per_page": 2})
    with CaptureQueriesContext(connection) as many:
        c.get("/registry/enterprises/", {"q": "苏州列表", "per_page": 6})
    assert len(many) == len(few)


def test_spotcheck_task_list_flags_the_blacklisted(flagged_world):
    category = ProductCategory.objects.filter(key_supervised=True).first()
    plan = Plan.objects.create(title="2026 专项", kind="seasonal", year=2026, period="2026",
                               starts_on=D(2026, 1, 5), ends_on=D(2026, 12, 31), division_id="320500")
    for ent in flagged_world["ents"][:3]:
        Task.objects.create(plan=plan, enterprise=ent, category=category, division_id="320505", stratum="s")
    c = Client()
    c.force_login(flagged_world["officer"])
    html = c.get("/spotcheck/tasks/").content.decode()
    assert flag_rows(html) == {"苏州列表0有限公司"}


def test_grade_list_flags_the_blacklisted(flagged_world, settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("credit_grade", "--no-progress", stdout=io.StringIO())
    c = Client()
    c.force_login(flagged_world["officer"])
    html = c.get("/credit/grades/", {"q": "苏州列表"}).content.decode()
    assert flag_rows(html) == {"苏州列表0有限公司"}


# --------------------------------------------------------------------------- award block


@pytest.fixture
def award_world(make_user, enterprise_factory):
    bad = enterprise_factory("320505", name="苏州失信有限公司")
    good = enterprise_factory("320505", name="苏州守信有限公司")
    listing = listed(bad, D(2025, 5, 6))
    return {"bad": bad, "good": good, "listing": listing, "officer": make_user(S.ROLE_OFFICER, "320500")}


def test_award_form_refuses_a_listed_enterprise(award_world):
    c = Client()
    c.force_login(award_world["officer"])
    bad, good = award_world["bad"], award_world["good"]
    data = {"kind": "provincial_quality", "title": "江苏省质量奖", "year": 2025, "awarded_by": "江苏省人民政府"}
    response = c.post("/registry/awards/add/", {**data, "enterprise": bad.uscc}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "was on the serious-violation list in 2025" in html and bad.uscc in html
    assert not Award.objects.filter(enterprise=bad).exists()
    # a year before the listing is fine, and so is another enterprise
    assert c.post("/registry/awards/add/", {**data, "enterprise": bad.uscc, "year": 2024}).status_code == 302
    assert c.post("/registry/awards/add/", {**data, "enterprise": good.uscc}).status_code == 302
    # after removal the block lasts until the end of that year
    svc.remove_listing(award_world["listing"], D(2025, 9, 1), "early_exit", "信用修复")
    assert c.post("/registry/awards/add/", {**data, "enterprise": bad.uscc}).status_code == 200
    assert c.post("/registry/awards/add/", {**data, "enterprise": bad.uscc, "year": 2026}).status_code == 302
    assert sorted(Award.objects.filter(enterprise=bad).values_list("year", flat=True)) == [2024, 2026]


def test_award_api_refuses_a_listed_enterprise(award_world):
    c = APIClient()
    c.force_authenticate(award_world["officer"])
    response = c.post("/api/registry/awards/", {"enterprise": award_world["bad"].pk, "kind": "provincial_quality",
                                                 "year": 2026}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "serious-violation list" in response.json()["enterprise"][0]
    assert not Award.objects.exists()


@pytest.mark.parametrize("year", [9223471, 0, 1899, 2101])
def test_an_impossible_award_year_is_a_field_error_not_a_crash(award_world, year):
    """Found by the API fuzzer: a year beyond the calendar made the eligibility check fail with 500."""
    c = APIClient()
    c.force_authenticate(award_world["officer"])
    response = c.post("/api/registry/awards/", {"enterprise": award_world["bad"].pk, "kind": "provincial_quality",
                                                 "year": year}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "year" in response.json(), response.content
    assert not Award.objects.exists()


def test_award_import_refuses_listed_rows_and_writes_nothing(award_world, tmp_path):
    bad, good = award_world["bad"], award_world["good"]
    path = tmp_path / "awards.csv"
    path.write_text("企业统一社会信用代码,奖项类型,奖项名称,年度,授予单位\n"
                    f"{good.uscc},provincial_quality,江苏省质量奖,2025,江苏省人民政府\n"
                    f"{bad.uscc},provincial_quality,江苏省质量奖,2026,江苏省人民政府\n"
                    f"{bad.uscc},luban,鲁班奖,2024,中国建筑业协会\n", encoding="utf-8")
    result = AwardImporter(user=award_world["officer"]).run(path)
    assert not result.ok
    (error,) = result.errors
    assert (error.row, error.field, error.value, error.code) == (3, "enterprise", bad.uscc, "ineligible")
    assert "serious-violation list in 2026" in error.reason
    assert not Award.objects.exists()  # all rows or none
    path.write_text("企业统一社会信用代码,奖项类型,奖项名称,年度,授予单位\n"
                    f"{good.uscc},provincial_quality,江苏省质量奖,2025,江苏省人民政府\n"
                    f"{bad.uscc},luban,鲁班奖,2024,中国建筑业协会\n", encoding="utf-8")
    assert AwardImporter(user=award_world["officer"]).run(path).ok
    assert Award.objects.count() == 2
