"""Grading runs: the command line (``zhijian credit grade``), the runs pages with a background task
and progress, the one-run-at-a-time rule, the monthly schedule, and the benchmark at tiny scale."""
import datetime as dt
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from zhijian import cli
from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.credit import jobs, services
from zhijian.credit.models import Grade, GradingRun

AS_OF = dt.date(2026, 1, 1)
ROOT = Path(__file__).resolve().parents[3]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def world(db, enterprise_factory, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.TASKS = IMMEDIATE
    suzhou = enterprise_factory("320505", name="苏州甲公司")
    nanjing = enterprise_factory("320102", name="南京乙公司")
    services.record_event(suzhou, "spotcheck_unqualified", dt.date(2025, 7, 5))
    services.record_event(nanjing, "award", dt.date(2025, 3, 1))
    return {"suzhou": suzhou, "nanjing": nanjing}


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def start_form(client, as_of=AS_OF, engine="duckdb"):
    return client.post("/credit/runs/start/", {"engine": engine, "as_of": as_of.isoformat()},
                       HTTP_ACCEPT_LANGUAGE="en")


# ------------------------------------------------------------------------------------------ CLI
def zhijian(*argv):
    """``zhijian <argv>``: the console script's name mapping, then the command (in this process:
    the console script's ``execute_from_command_line`` would close the test's database connection)."""
    words = list(argv)
    words[0] = words[0].replace("-", "_")
    words = cli._join_app_verb(words)
    out, err = io.StringIO(), io.StringIO()
    call_command(*words, stdout=out, stderr=err)
    return words[0], out.getvalue(), err.getvalue()


def test_cli_credit_grade_records_a_cli_run_with_a_progress_bar(world):
    command, out, err = zhijian("credit", "grade", "--engine", "duckdb", "--as-of", AS_OF.isoformat())
    assert command == "credit_grade"
    run = GradingRun.objects.get()
    assert (run.status, run.trigger, run.engine, run.as_of, run.user) == ("done", "cli", "duckdb", AS_OF, None)
    assert run.grade_count == run.progress_done == run.progress_total == Grade.objects.count() >= 2
    assert f"run {run.pk}:" in out and f"{run.grade_count} grades" in out
    assert "loading grades" in err and f"{run.grade_count}/{run.grade_count}" in err  # tqdm's last state


def test_cli_dashed_name_is_an_alias(world):
    command, out, _err = zhijian("credit-grade", "--as-of", AS_OF.isoformat(), "--no-progress")
    assert command == "credit_grade" and "run " in out
    assert GradingRun.objects.get().trigger == "cli"
    assert zhijian("credit", "schedule", "--today", "2026-01-20")[0] == "credit_schedule"
    assert cli._join_app_verb(["import_data", "enterprises", "x.csv"]) == ["import_data", "enterprises", "x.csv"]


def test_cli_refuses_a_second_run_while_one_is_queued(world):
    queued = jobs.start_run(as_of=AS_OF, trigger="web")
    with translation.override("en"), pytest.raises(CommandError,
                                                   match=f"Grading run {queued.pk} .* is still queued"):
        call_command("credit_grade", "--as-of", AS_OF.isoformat(), "--no-progress")
    assert GradingRun.objects.count() == 1 and not Grade.objects.exists()


# ------------------------------------------------------------------------------------------ UI
def test_admin_starts_a_run_from_the_page_and_sees_the_result(world, make_user):
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    c = client_for(admin)
    page = c.get("/credit/runs/").content.decode()
    assert 'id="start-run"' in page
    assert 'name="engine"' in c.get("/credit/runs/start/").content.decode()

    response = start_form(c)  # the immediate backend runs the task at once
    run = GradingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/credit/runs/{run.pk}/"
    assert (run.status, run.trigger, run.user, run.as_of) == ("done", "web", admin, AS_OF)
    assert Grade.objects.filter(run=run).count() == run.grade_count == run.enterprise_count >= 2

    text = c.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' not in text and 'data-status="done"' in text
    assert run.snapshot_sha256 in text and f"/credit/grades/?run={run.pk}" in text
    assert f"Graded {run.grade_count} enterprises." in text
    listed = c.get(f"/credit/grades/?run={run.pk}").content.decode()
    assert "苏州甲公司" in listed and "南京乙公司" in listed

    # audited: the run row (created by the admin on the web) and the bulk-loaded grades
    created = AuditEntry.objects.filter(object_type="credit.gradingrun", object_id=str(run.pk))
    assert created.filter(user_id=admin.pk, source="web").exists()
    assert AuditEntry.objects.filter(object_type="credit.grade", action="bulk_create",
                                     object_id=str(run.pk)).count() == 1


def test_a_bad_date_is_refused_with_the_field_named(world, make_user):
    c = client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    response = start_form(c, as_of=timezone.localdate() + dt.timedelta(days=2))
    assert response.status_code == 400
    assert "The grading date cannot be in the future." in response.content.decode()
    response = c.post("/credit/runs/start/", {"engine": "oracle", "as_of": "2026-01-01"})
    assert response.status_code == 400 and "oracle" in response.content.decode()
    assert not GradingRun.objects.exists()


def test_officer_sees_runs_but_cannot_start_one_and_enterprises_see_none(world, make_user):
    call_command("credit_grade", "--as-of", AS_OF.isoformat(), "--no-progress", stdout=io.StringIO())
    run = GradingRun.objects.get()
    officer = client_for(make_user(S.ROLE_OFFICER, "320500"))
    page = officer.get("/credit/runs/")
    assert page.status_code == 200 and f"/credit/runs/{run.pk}/" in page.content.decode()
    assert 'id="start-run"' not in page.content.decode()
    assert officer.get(f"/credit/runs/{run.pk}/").status_code == 200
    assert officer.get("/credit/runs/start/").status_code == 403
    assert start_form(officer).status_code == 403
    assert GradingRun.objects.count() == 1

    own = client_for(make_user(S.ROLE_ENTERPRISE, enterprise=world["suzhou"]))
    assert own.get("/credit/runs/").status_code == 403
    assert own.get(f"/credit/runs/{run.pk}/").status_code in (403, 404)


@pytest.mark.django_db(transaction=True)
def test_page_queues_the_run_the_worker_runs_it_and_a_second_start_is_refused(
        enterprise_factory, make_user, settings, tmp_path):
    """The production path: the page enqueues on the database backend, ``db_worker`` runs it."""
    settings.VAR_DIR = tmp_path
    settings.TASKS = DB_QUEUE
    ent = enterprise_factory("320505", name="苏州丙公司")
    services.record_event(ent, "award", dt.date(2025, 3, 1))
    c = client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    response = start_form(c)
    run = GradingRun.objects.get()
    assert run.status == "pending" and not Grade.objects.exists()
    text = c.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in text and "Waiting for the worker" in text
    partial = c.get(f"/credit/runs/{run.pk}/?partial=1", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<section id="run-status"') and 'data-status="pending"' in partial

    again = start_form(c)
    assert again.status_code == 409
    assert f"Grading run {run.pk} (as of 2026-01-01) is still queued" in again.content.decode()
    assert GradingRun.objects.count() == 1
    assert f"Run {run.pk} (as of 2026-01-01) is queued." in c.get("/credit/runs/").content.decode()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    run.refresh_from_db()
    assert run.status == "done" and run.progress_done == run.progress_total == run.grade_count >= 1
    partial = c.get(f"/credit/runs/{run.pk}/?partial=1", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in partial and "hx-trigger" not in partial
    assert start_form(c, as_of=dt.date(2026, 2, 1)).status_code == 302  # free again


def test_progress_is_reported_while_loading(world, tmp_path):
    seen = []
    run = jobs.start_run(as_of=AS_OF, trigger="web")

    def progress(done, total):
        seen.append((done, total, jobs.read_progress(GradingRun.objects.get(pk=run.pk))))

    jobs.execute_run(run.pk, progress=progress)
    total = GradingRun.objects.get(pk=run.pk).grade_count
    assert seen[-1][:2] == (total, total)
    assert seen[-1][2] == {"phase": "load", "done": total, "total": total}  # what the page polls
    run.refresh_from_db()
    assert jobs.read_progress(run) == {"phase": "finished", "done": total, "total": total}
    assert not jobs.progress_path(run).exists()


def test_a_failed_run_says_why_and_does_not_block_the_next(world, make_user, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(Exception):
        jobs.run_grading(as_of=AS_OF, snapshot_dir=blocker / "snap")
    failed = GradingRun.objects.get()
    assert failed.status == "failed" and failed.message and not Grade.objects.exists()
    c = client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    text = c.get(f"/credit/runs/{failed.pk}/").content.decode()
    assert "The run failed; no grades were loaded." in text and 'id="run-message"' in text
    assert jobs.run_grading(as_of=AS_OF).status == "done"


def test_a_run_whose_worker_died_is_abandoned_after_the_stale_delay(world):
    dead = jobs.start_run(as_of=AS_OF, trigger="web")
    GradingRun.objects.filter(pk=dead.pk).update(status="running",
                                                 started=timezone.now() - jobs.STALE_AFTER - dt.timedelta(minutes=1))
    with translation.override("en"):
        run = jobs.run_grading(as_of=AS_OF)
    dead.refresh_from_db()
    assert dead.status == "failed" and "Abandoned" in dead.message
    assert run.status == "done"


def test_execute_run_runs_a_queued_run_once(world):
    run = jobs.start_run(as_of=AS_OF, trigger="web")
    jobs.execute_run(run.pk)
    again = jobs.execute_run(run.pk)  # a worker picking the task up a second time
    assert again.status == "done" and Grade.objects.filter(run=run).count() == again.grade_count


# ------------------------------------------------------------------------------------- schedule
def test_monthly_schedule_is_idempotent(world):
    out = io.StringIO()
    call_command("credit_schedule", "--today", "2026-01-15", stdout=out)
    run = GradingRun.objects.get()
    assert (run.trigger, run.status, run.as_of) == ("schedule", "done", dt.date(2026, 1, 15))
    assert f"2026-01: run {run.pk} (done)" in out.getvalue()

    out = io.StringIO()
    call_command("credit_schedule", "--today", "2026-01-31", stdout=out)
    assert GradingRun.objects.count() == 1
    assert f"nothing to do, run {run.pk} graded this month" in out.getvalue()

    call_command("credit_schedule", "--today", "2026-02-01", stdout=io.StringIO())
    assert list(GradingRun.objects.order_by("as_of").values_list("as_of", "trigger")) == [
        (dt.date(2026, 1, 15), "schedule"), (dt.date(2026, 2, 1), "schedule")]


def test_schedule_counts_any_finished_run_of_the_month_and_retries_after_a_failure(world):
    jobs.run_grading(as_of=dt.date(2026, 3, 2))  # a run from the command line
    assert jobs.start_monthly_run(dt.date(2026, 3, 20)) is None
    failed = jobs.start_run(as_of=dt.date(2026, 4, 1), trigger="schedule")
    GradingRun.objects.filter(pk=failed.pk).update(status="failed")
    retry = jobs.start_monthly_run(dt.date(2026, 4, 2))
    assert retry is not None and retry.status == "pending" and retry.trigger == "schedule"
    assert jobs.start_monthly_run(dt.date(2026, 4, 3)) is None  # one is queued


@pytest.mark.django_db(transaction=True)
def test_schedulers_in_parallel_start_one_run(enterprise_factory, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("threads share one in-memory SQLite test database; PostgreSQL has real connections")
    settings.VAR_DIR = tmp_path
    enterprise_factory("320505")
    barrier = threading.Barrier(4)
    started, errors = [], []

    def scheduler():
        from django.db import connection as conn

        try:
            barrier.wait()
            run = jobs.start_monthly_run(dt.date(2026, 5, 10))
            if run is not None:
                started.append(run.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(started) == 1
    assert GradingRun.objects.filter(trigger="schedule").count() == 1


def test_schedule_rejects_bad_input(world):
    with pytest.raises(CommandError, match="--today"):
        call_command("credit_schedule", "--today", "2026-02-30")
    with pytest.raises(CommandError, match="--every"):
        call_command("credit_schedule", "--every", "5")


def test_start_run_rejects_an_unknown_engine(world):
    with translation.override("en"), pytest.raises(ValidationError, match="Unknown engine"):
        jobs.start_run(as_of=AS_OF, engine="oracle")


# ------------------------------------------------------------------------------------ benchmark
@pytest.mark.no_faketime
def test_benchmark_runs_at_tiny_scale(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIJIAN_", "PG"))}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "credit_grade.py"), "--enterprises", "3000", "--events", "20000",
         "--sample", "2000", "--spark-events", "0", "--data", str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "engines agree on the slice: yes" in out
    assert "contributions in (enterprise, event) order: yes" in out
    assert "RESULT credit grading 3,000 enterprises / 20,000 events on DuckDB:" in out
    assert "events/s" in out and "ratio naive / DuckDB:" in out


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_benchmarked_parquet_output_is_the_jobs_result(world, tmp_path, engine):
    """``grading.run_to_parquet`` (what the benchmark times and a run loads) writes what
    ``grading.run`` returns: the same grades with the same explanation text, and the same
    contributions in (enterprise, event) order."""
    import pyarrow.parquet as pq

    from zhijian.analytics import grading, snapshot

    more = world["suzhou"]
    for day in (dt.date(2025, 1, 3), dt.date(2024, 5, 6), dt.date(2026, 2, 1)):  # the last is after AS_OF
        services.record_event(more, "complaint_upheld", day)
    snapshot.export(tmp_path / "snap")
    params = jobs.method_params(services.current_method(AS_OF))
    g, c = grading.run(tmp_path / "snap", params, AS_OF, "duckdb")
    paths = grading.run_to_parquet(tmp_path / "snap", tmp_path / "out", params, AS_OF, engine, explain=True)
    got = pq.read_table(paths["grades"]).to_pylist()
    assert len(got) == g.num_rows >= 2
    for mine, ref in zip(got, g.to_pylist()):  # event sums may differ in the last bit between engines
        assert mine == {**ref, **{k: pytest.approx(v, abs=1e-9) for k, v in ref.items() if k.endswith("_events")
                                  and k != "event_count"}}
    got = pq.read_table(paths["contributions"]).to_pydict()
    ref = c.select(["event_id", "enterprise_id", "age_days", "contribution"]).to_pydict()
    assert {k: v for k, v in got.items() if k != "contribution"} == {k: v for k, v in ref.items() if k != "contribution"}
    assert got["contribution"] == pytest.approx(ref["contribution"], abs=1e-9)
    assert c.num_rows == 4
