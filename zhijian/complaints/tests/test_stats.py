"""Statistics (scoped, aggregated in the database), daily counts, the stats page and the open data."""
import csv
import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from zhijian.complaints import opendata, stats
from zhijian.complaints import services as svc
from zhijian.complaints.models import Case
from zhijian.core import scope as S
from zhijian.deadlines.services import WorkdayCalendar
from zhijian.registry.models import Division, ProductCategory

pytestmark = pytest.mark.django_db

KUNSHAN, GUSU, XUANWU = "320583", "320508", "320102"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make(division, received, *, kind="complaint", category=None, hazard="", respondent="某店", uscc="",
         phone="13912345678"):
    data = {"kind": kind, "channel": "phone", "complainant_name": "王小明", "complainant_phone": phone,
            "respondent_name": respondent, "respondent_uscc": uscc, "facts": f"投诉内容，电话{phone}",
            "received_on": received.isoformat()}
    case, _code = svc.receive(data, division=Division.objects.get(pk=division))
    Case.objects.filter(pk=case.pk).update(category=category, hazard=hazard, labels_confirmed=True)
    case.refresh_from_db()
    return case


@pytest.fixture
def world(make_user, enterprise_factory):
    """Cases in 昆山 (2 closed), 姑苏 and 南京; categories and hazards set."""
    ks_officer = make_user(S.ROLE_OFFICER, KUNSHAN)
    nj_officer = make_user(S.ROLE_OFFICER, XUANWU)
    heater, bike = ProductCategory.objects.order_by("code")[:2]
    ent = enterprise_factory(division=KUNSHAN, name="昆山电器有限公司")
    c1 = make(KUNSHAN, dt.date(2025, 3, 3), category=heater, hazard="fire", uscc=ent.uscc)
    c2 = make(KUNSHAN, dt.date(2025, 3, 5), category=heater, hazard="fire", uscc=ent.uscc)
    c3 = make(KUNSHAN, dt.date(2025, 4, 1), kind="report", category=bike, hazard="electric_shock",
              respondent="路边小店")
    c4 = make(GUSU, dt.date(2025, 4, 2), category=bike, hazard="fire")
    c5 = make(XUANWU, dt.date(2025, 4, 2), category=heater, hazard="burn")
    # c1: accepted on time, closed with an agreement; c2: accepted late (after its 7 wd), closed
    svc.accept(c1, ks_officer, on=dt.date(2025, 3, 4))
    svc.close_with_agreement(c1, ks_officer, on=dt.date(2025, 3, 20), refunded="300", upheld=True)
    svc.accept(c2, ks_officer, on=dt.date(2025, 3, 20))
    svc.close_with_agreement(c2, ks_officer, on=dt.date(2025, 5, 6), upheld=False)
    svc.accept(c5, nj_officer, on=dt.date(2025, 4, 3))
    for c in (c1, c2, c3, c4, c5):
        c.refresh_from_db()
    return {"ks": ks_officer, "cases": (c1, c2, c3, c4, c5), "heater": heater, "bike": bike, "ent": ent}


def test_counts_are_scoped_to_the_users_region(world, make_user):
    ks = Case.objects.restrict(world["ks"], "view")
    assert {r["key"]: r["n"] for r in stats.by_division(ks)} == {KUNSHAN: 3}
    suzhou = Case.objects.restrict(make_user(S.ROLE_OFFICER, "320500"), "view")
    assert {r["key"]: r["n"] for r in stats.by_division(suzhou)} == {KUNSHAN: 3, GUSU: 1}
    assert {r["key"]: r["n"] for r in stats.by_division(suzhou, "city")} == {"320500": 4}
    everything = Case.objects.all()
    assert {r["key"]: r["n"] for r in stats.by_division(everything, "city")} == {"320500": 4, "320100": 1}
    assert {r["key"]: r["n"] for r in stats.by_category(ks)} == {world["heater"].code: 2, world["bike"].code: 1}
    assert {r["key"]: r["n"] for r in stats.by_hazard(ks)} == {"fire": 2, "electric_shock": 1}
    assert {r["key"]: r["n"] for r in stats.by_kind(ks)} == {"complaint": 2, "report": 1}
    assert {r["key"]: r["n"] for r in stats.by_channel(ks)} == {"phone": 3}
    assert stats.by_month(ks) == [{"month": "2025-03", "complaint": 2, "report": 0, "n": 2},
                                  {"month": "2025-04", "complaint": 0, "report": 1, "n": 1}]
    top = stats.top_respondents(ks)
    assert [(r["label"], r["n"], r["upheld"], r["registered"]) for r in top] == [
        ("昆山电器有限公司", 2, 1, True), ("路边小店", 1, 0, False)]
    assert stats.in_period(ks, dt.date(2025, 4, 1), dt.date(2025, 4, 30)).count() == 1


def test_handling_time_in_working_days_and_overdue_rate(world):
    c1, c2, c3, _c4, _c5 = world["cases"]
    cal = WorkdayCalendar.load()
    ks = Case.objects.restrict(world["ks"], "view")
    h = stats.handling_time(ks)
    d1 = cal.workdays_between(c1.received_on, c1.closed_on)
    d2 = cal.workdays_between(c2.received_on, c2.closed_on)
    assert h["n"] == 2 and h["mean"] == pytest.approx((d1 + d2) / 2)
    expected = [0] * (len(stats.BUCKETS) + 1)
    for d in (d1, d2):
        expected[next((i for i, b in enumerate(stats.BUCKETS) if d <= b), len(stats.BUCKETS))] += 1
    assert h["counts"] == expected and sum(h["counts"]) == 2
    index = stats.WorkdayIndex(dt.date(2024, 9, 1), dt.date(2025, 11, 1), cal)
    for a, b in ((dt.date(2024, 9, 27), dt.date(2024, 10, 12)), (dt.date(2025, 1, 20), dt.date(2025, 2, 10))):
        assert index.between(a, b) == cal.workdays_between(a, b)  # across National Day and Spring Festival
    o = stats.overdue(ks, on=dt.date(2025, 4, 3))
    # c2 accepted after accept_due; c3 (report) open, clue due later than 2025-04-03: not yet overdue
    assert c2.decided_on > c2.accept_due and c1.decided_on <= c1.accept_due
    assert (o["with_clock"], o["late_steps"], o["open_overdue"], o["overdue"]) == (3, 1, 0, 1)
    later = stats.overdue(ks, on=c3.clue_due + dt.timedelta(days=1))
    assert (later["open_overdue"], later["overdue"]) == (1, 2) and later["rate"] == pytest.approx(2 / 3)


def test_daily_counts(world, make_user):
    rows = stats.daily_counts(dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    heater, bike = world["heater"].code, world["bike"].code
    assert [(r["date"], r["division"], r["category"], r["n"]) for r in rows] == [
        (dt.date(2025, 4, 1), KUNSHAN, bike, 1), (dt.date(2025, 4, 2), XUANWU, heater, 1),
        (dt.date(2025, 4, 2), GUSU, bike, 1)]
    Case.objects.filter(pk=world["cases"][3].pk).update(category=None)
    scoped = stats.daily_counts(dt.date(2025, 1, 1), dt.date(2025, 12, 31),
                                Case.objects.restrict(make_user(S.ROLE_OFFICER, "320500"), "view"))
    assert [(r["date"].isoformat(), r["division"], r["category"], r["n"]) for r in scoped] == [
        ("2025-03-03", KUNSHAN, heater, 1), ("2025-03-05", KUNSHAN, heater, 1),
        ("2025-04-01", KUNSHAN, bike, 1), ("2025-04-02", GUSU, "", 1)]


def test_stats_page_scope_queries_and_refusals(world, client, make_user):
    url = reverse("complaints:stats") + "?from=2025-01-01&to=2025-12-31"
    client.force_login(world["ks"])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "vendor/echarts" in html and "cdn" not in html.lower()
    data = page.context["chart"]
    assert sum(data["division"]["values"]) == 3 and "南京" not in html and "玄武" not in html
    assert page.context["summary"]["total"] == 3
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(15):
        make(KUNSHAN, dt.date(2025, 6, 1) + dt.timedelta(days=i), category=world["bike"], hazard="cut",
             respondent=f"店{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)  # aggregated in the database, not per case
    csv_page = client.get(reverse("complaints:daily_counts") + "?from=2025-01-01&to=2025-12-31")
    body = b"".join(csv_page.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == ["date", "division", "category", "n"] and {ln[1] for ln in lines[1:]} == {KUNSHAN}
    js = client.get(reverse("complaints:daily_counts") + "?from=2025-01-01&to=2025-12-31&format=json").json()
    assert js["columns"] == stats.DAILY_FIELDS and len(js["rows"]) == len(lines) - 1
    client.force_login(make_user(S.ROLE_ENTERPRISE, None, enterprise=world["ent"]))
    assert client.get(url).status_code == 403
    assert client.get(reverse("complaints:daily_counts")).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_stats_command(world):
    out = io.StringIO()
    call_command("complaints", "stats", "--user", world["ks"].username, stdout=out)
    text = out.getvalue()
    assert "cases: 3 (open 1, closed 2)" in text and "昆山电器有限公司 2" in text and "玄武" not in text
    out = io.StringIO()
    call_command("complaints", "daily-counts", "--from", "2025-04-01", "--to", "2025-04-30", stdout=out)
    assert out.getvalue().splitlines()[0] == "date,division,category,n" and len(out.getvalue().splitlines()) == 4


# ------------------------------------------------------------------ open data


def test_open_data_rows_have_no_personal_data(world):
    heater = world["heater"].code
    rows = opendata.monthly("2025-01", "2025-12", on=dt.date(2025, 6, 10))
    assert {r["month"] for r in rows} == {"2025-03", "2025-04"}
    march = [r for r in rows if r["month"] == "2025-03"]
    assert len(march) == 1
    m = march[0]
    assert (m["city"], m["category_code"], m["hazard"], m["cases"], m["complaints"], m["closed"],
            m["agreements"], m["upheld"], m["refunded"]) == ("320500", heater, "fire", 2, 2, 2, 2, 1, "300.00")
    c1, c2 = world["cases"][:2]
    cal = WorkdayCalendar.load()
    mean = (cal.workdays_between(c1.received_on, c1.closed_on) + cal.workdays_between(c2.received_on, c2.closed_on)) / 2
    assert m["avg_handling_days"] == round(mean, 1)
    text = json.dumps(rows, ensure_ascii=False)
    for secret in ("13912345678", "王小明", "昆山电器有限公司", "路边小店", world["ent"].uscc, c1.ticket):
        assert secret not in text
    assert set(rows[0]) == set(opendata.FIELDS)
    # the month in progress is never published
    march_only = opendata.monthly("2025-03", "2025-12", on=dt.date(2025, 4, 20))
    assert march_only == [r for r in rows if r["month"] == "2025-03"]


def test_open_data_page_downloads_and_throttle(world, client, settings):
    url = reverse("complaints:opendata")
    page = client.get(url + "?from=2025-01&to=2025-12")
    assert page.status_code == 200 and "vendor/echarts" in page.content.decode()
    body = b"".join(client.get(url + "?from=2025-01&to=2025-12&format=csv").streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == opendata.FIELDS and len(lines) == 1 + 4  # 2025-03: 1 row; 2025-04: 3 (hazards, cities)
    assert "13912345678" not in body and "王小明" not in body
    data = client.get(url + "?from=2025-01&to=2025-12&format=json").json()
    assert data["columns"] == opendata.FIELDS and len(data["rows"]) == 4
    assert client.get(url + "?format=xml").status_code == 400
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "portal": "2/minute"}}
    codes = [client.get(url + "?format=json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    cache.clear()


def test_last_complete_month():
    assert opendata.last_complete_month(dt.date(2025, 1, 15)) == dt.date(2024, 12, 1)
    assert opendata.last_complete_month(timezone.localdate()) < timezone.localdate().replace(day=1)


def test_evaluate_and_train_delegate_to_the_classifier_commands(tmp_path):
    from django.core.management import get_commands

    if "complaints_evaluate" not in get_commands():
        pytest.skip("the classifier commands are not installed")
    path = tmp_path / "labelled.csv"
    path.write_bytes("text,category,hazard\n电瓶车充电时自燃起火,KP134,fire\n电热水壶底座漏电电到手,KP010,electric_shock\n"
                     .encode("gbk"))
    out = io.StringIO()
    call_command("complaints", "evaluate", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    # the classifier command's own report, its options passed through (--json)
    assert report["n_rows"] == 2 and {c["label"] for c in report["category"]["classes"]} == {"KP010", "KP134"}
