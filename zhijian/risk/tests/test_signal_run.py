"""Signal runs over the platform's records: counts by one Ibis definition (DuckDB; Spark equal),
alarms stored with their series; CUSUM / EWMA / PRR on hand-built weekly histories."""
import datetime as dt

import pytest

from zhijian.analytics import signal_counts
from zhijian.complaints.models import Case
from zhijian.registry.models import Division, ProductCategory
from zhijian.risk import signal_run
from zhijian.risk.models import Signal, SignalDefinition

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 10)  # a Wednesday: the evaluated week is Monday 2026-06-01 .. Sunday 06-07
WEEK = dt.date(2026, 6, 1)


_TICKETS = iter(range(10 ** 7))


def add_cases(category, division, day, n, hazard=""):
    Case.objects.bulk_create([
        Case(ticket=f"TS{day:%Y%m%d}{next(_TICKETS):08d}", kind="complaint", channel="phone", received_on=day,
             division_id=division, category=category, hazard=hazard, respondent_name="某店", facts="x",
             request="退货") for _i in range(n)])


@pytest.fixture
def history():
    """Two categories in 苏州 (城市 320500 via 姑苏区 320508): A has 2 complaints every week for 30
    weeks, then 9 in the evaluated week; B stays at 2 a week. PRR: A's complaints are fire."""
    a, b = ProductCategory.objects.filter(key_supervised=True).order_by("code")[:2]
    for w in range(30):
        monday = WEEK - dt.timedelta(weeks=30 - w)
        add_cases(a, "320508", monday + dt.timedelta(days=1), 2, hazard="none")
        add_cases(b, "320508", monday + dt.timedelta(days=2), 2, hazard="none")
    add_cases(a, "320508", WEEK + dt.timedelta(days=3), 9, hazard="fire")
    add_cases(b, "320508", WEEK + dt.timedelta(days=3), 2, hazard="none")
    add_cases(b, "320102", WEEK + dt.timedelta(days=3), 40, hazard="electric_shock")  # 南京, other hazard
    return a, b


def test_evaluation_week_is_the_last_complete_one():
    assert signal_run.evaluation_week(AS_OF) == WEEK
    assert signal_run.evaluation_week(dt.date(2026, 6, 8)) == WEEK  # Monday of the next week
    assert signal_run.evaluation_week(dt.date(2026, 6, 7)) == WEEK - dt.timedelta(weeks=1)
    assert signal_counts.monday(signal_counts.day_number(dt.date(2026, 6, 4))) == signal_counts.day_number(WEEK)


def test_weekly_counts_by_city(history, tmp_path):
    a, b = history
    signal_counts.export(tmp_path)
    weekly, hazards = signal_counts.run(tmp_path, "city", WEEK - dt.timedelta(weeks=3), WEEK + dt.timedelta(days=6))
    rows = {(r["category"], r["unit"], signal_counts.week_date(r["week"])): r["n"] for r in weekly.to_pylist()
            if r["source"] == "complaints"}
    assert rows[(a.code, "320500", WEEK)] == 9 and rows[(b.code, "320500", WEEK)] == 2
    assert rows[(a.code, "320500", WEEK - dt.timedelta(weeks=1))] == 2
    assert rows[(b.code, "320100", WEEK)] == 40
    h = {(r["category"], r["unit"], r["hazard"]): r["n"] for r in hazards.to_pylist()}
    assert h[(a.code, "320500", "fire")] == 9 and h[(a.code, "320500", "none")] == 6  # 3 earlier weeks in window


def test_run_stores_cusum_ewma_and_prr_alarms_with_their_series(history):
    a, b = history
    result = signal_run.run_signals(AS_OF)
    # A's jump in 苏州, and B's 40 in 南京 where it had none before
    assert result["complaints_cusum_city"] == 2 and result["complaints_prr_province"] >= 1
    assert set(Signal.objects.filter(definition__code="complaints_cusum_city")
               .values_list("category", "division_id")) == {(a.pk, "320500"), (b.pk, "320100")}
    cusum = Signal.objects.get(definition__code="complaints_cusum_city", category=a)
    assert (cusum.category, cusum.division_id, cusum.week) == (a, "320500", WEEK)
    # baseline 26 weeks of 2: mean 2, sd 0 -> sigma = max(0, sqrt 2, 1) = 1.414; the guard week is 2,
    # so S = max(0, 0 - 0.5) = 0, then (9 - 2)/1.414 - 0.5 = 4.45 > 4
    assert cusum.observed == 9 and cusum.threshold == 4 and cusum.statistic == pytest.approx(7 / 2 ** 0.5 - 0.5)
    s = cusum.series
    assert len(s["weeks"]) == 28 and s["weeks"][-1] == WEEK.isoformat() and s["values"][-1] == 9
    assert s["statistic"][:26] == [None] * 26 and s["threshold"][-1] == 4
    prr = Signal.objects.get(definition__code="complaints_prr_province", category=a)
    assert prr.hazard == "fire" and prr.division_id == "320000"
    # B at its usual level raises nothing; a second run updates instead of adding
    assert not Signal.objects.filter(definition__code="complaints_cusum_city", category=b, division_id="320500").exists()
    n = Signal.objects.count()
    signal_run.run_signals(AS_OF)
    assert Signal.objects.count() == n


def test_ewma_definition_on_the_same_history(history):
    definition = SignalDefinition(code="t", name="t", source="complaints", method="ewma", level="city",
                                  parameters={"lam": 0.3, "L": 3.0, "baseline_weeks": 26, "guard_weeks": 1,
                                              "min_observed": 3})
    rows = [{"category": "X", "unit": "320500", "week": signal_counts.day_number(WEEK) - 7 * (27 - i),
             "n": 2 if i < 27 else 9} for i in range(28)]
    (alarm,) = signal_run.evaluate(definition, rows, [], WEEK)
    # z: mu0 = 2 for the guard week, then 0.3·9 + 0.7·2 = 4.1; limit 2 + 3·1.414·sqrt(0.3/1.7·(1 − 0.7^4))
    limit = 2 + 3 * 2 ** 0.5 * (0.3 / 1.7 * (1 - 0.7 ** 4)) ** 0.5
    assert alarm["statistic"] == pytest.approx(4.1) and alarm["threshold"] == pytest.approx(limit)
    quiet = [dict(r, n=2) for r in rows]
    assert signal_run.evaluate(definition, quiet, [], WEEK) == []


def test_counts_are_the_same_on_spark(history, tmp_path):
    signal_counts.export(tmp_path)
    first, last = WEEK - dt.timedelta(weeks=30), WEEK + dt.timedelta(days=6)
    duck = [t.to_pylist() for t in signal_counts.run(tmp_path, "city", first, last, "duckdb")]
    spark = [t.to_pylist() for t in signal_counts.run(tmp_path, "city", first, last, "spark")]
    assert duck == spark and len(duck[0]) > 60


def test_signal_page_chart_alert_and_dismiss(history, make_user):
    from django.test import Client
    from django.urls import reverse

    from zhijian.core import scope as S

    signal_run.run_signals(AS_OF)
    officer, nanjing = make_user(S.ROLE_OFFICER, "320500"), make_user(S.ROLE_OFFICER, "320100")
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(officer)
    signal = Signal.objects.get(definition__code="complaints_cusum_city", division_id="320500")
    page = c.get(signal.get_absolute_url())
    assert page.status_code == 200 and b'id="signal-chart"' in page.content and b'"values"' in page.content
    other = Client()
    other.force_login(nanjing)
    assert other.get(signal.get_absolute_url()).status_code == 404
    response = c.post(reverse("risk:signal_step", args=[signal.pk, "alert"]))
    signal.refresh_from_db()
    assert signal.status == "alerted" and signal.alert.source == "signal"
    assert response["Location"] == signal.alert.get_absolute_url()
    c.post(reverse("risk:signal_step", args=[signal.pk, "alert"]))  # twice: refused, one alert
    assert signal.alert.__class__.objects.filter(source="signal").count() == 1
    prr = Signal.objects.filter(definition__code="complaints_prr_province").first()
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    c.force_login(admin)
    c.post(reverse("risk:signal_step", args=[prr.pk, "dismiss"]), {"reason": ""})
    prr.refresh_from_db()
    assert prr.status == "new"
    c.post(reverse("risk:signal_step", args=[prr.pk, "dismiss"]), {"reason": "同一批次的重复投诉"})
    prr.refresh_from_db()
    assert prr.status == "dismissed" and prr.series["dismissed"] == "同一批次的重复投诉"


def test_scheduler_runs_each_week_once(history):
    from zhijian.risk.models import SignalRun

    first = signal_run.run_if_due(AS_OF)
    assert first is not None and first.week == WEEK and first.alarms["complaints_cusum_city"] == 2
    assert signal_run.run_if_due(AS_OF + dt.timedelta(days=1)) is None
    assert SignalRun.objects.count() == 1


def test_farrington_definition_through_the_run_equals_the_reference_function():
    """A Farrington definition (complaints, city) run by ``run_signals`` on four years of seasonal
    weekly counts with a surge in the evaluated week: one signal, and its threshold is the upper
    bound that ``zhijian.analytics.signals.farrington_flexible`` computes on the same series."""
    import numpy as np

    from zhijian.analytics import signals

    (cat,) = ProductCategory.objects.filter(key_supervised=True).order_by("-code")[:1]
    params = {"b": 3, "w": 3, "alpha": 0.05, "no_periods": 10, "past_weeks_not_included": 26}
    SignalDefinition.objects.create(code="complaints_farrington_city", name="Farrington test", source="complaints",
                                    method="farrington", level="city", parameters=params)
    n_weeks = 52 * 4 + 3 + 1  # the definition's window: b + 1 years and w + 1 weeks
    rng = np.random.default_rng(20260610)
    weeks = [WEEK - dt.timedelta(weeks=n_weeks - 1 - i) for i in range(n_weeks)]
    counts = [int(rng.poisson(3 + 2 * (w.isocalendar()[1] in range(1, 10)))) for w in weeks[:-1]] + [16]
    for monday, n in zip(weeks, counts):
        if n:
            add_cases(cat, "320508", monday + dt.timedelta(days=2), n)

    signal_run.run_signals(AS_OF)
    signal = Signal.objects.get(definition__code="complaints_farrington_city")
    assert (signal.category, signal.division_id, signal.week, signal.observed) == (cat, "320500", WEEK, 16)
    assert signal.series["values"] == counts and signal.series["weeks"][-1] == WEEK.isoformat()

    reference = signals.farrington_flexible(counts, weeks, b=3, w=3, alpha=0.05, no_periods=10,
                                            past_weeks_not_included=26, positions=[n_weeks - 1])
    assert bool(reference.alarm[-1])
    assert signal.threshold == pytest.approx(float(reference.upperbound[-1]), rel=1e-9)
    assert signal.series["expected"] == pytest.approx(float(reference.expected[-1]), rel=1e-9)
    # the same series one week earlier (no surge) raises nothing, in both
    quiet = signals.farrington_flexible(counts[:-1], weeks[:-1], b=3, w=3, alpha=0.05, no_periods=10,
                                        past_weeks_not_included=26, positions=[n_weeks - 2])
    assert not quiet.alarm[-1]
    assert Signal.objects.filter(definition__code="complaints_farrington_city").count() == 1
