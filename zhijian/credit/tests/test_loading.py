"""Loading grades in bulk (``zhijian.credit.loading``): the engine's explanation equals the one
built in Python, every load path writes the same rows, and a load that fails half-way leaves no
grade of its run and a failed run with its reason."""
import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from django.db import connection, transaction
from django.utils import timezone

from zhijian.accounts.models import AuditEntry
from zhijian.analytics import grading, snapshot
from zhijian.credit import jobs, loading, services
from zhijian.credit.models import Grade, GradingRun
from zhijian.credit.tests.test_grading import AS_OF, CASES, ago, listing


def _world(enterprise_factory):
    for name, (events, listings, *_rest) in CASES.items():
        ent = enterprise_factory(name=name)
        for code, age, weight in events:
            services.record_event(ent, code, ago(age), weight=weight,
                                  reason="hand-set weight" if weight else "")
        for kind, start, end in listings:
            listing(ent, kind, ago(start), ago(end) if end is not None else None)


@pytest.fixture
def world(db, enterprise_factory):
    _world(enterprise_factory)


def _rows(run):
    with connection.cursor() as cur:
        cur.execute(f"SELECT enterprise_id, method_id, as_of, computed_at, score, grade, risk_class, "
                    f"CAST(explanation AS TEXT) FROM {Grade._meta.db_table} WHERE run_id = %s "
                    f"ORDER BY enterprise_id", [run.pk])
        return cur.fetchall()


def test_every_load_path_writes_the_same_rows(world, tmp_path):
    """The engine's explanation is byte for byte ``json.dumps`` of the one the previous load built in
    Python row by row; COPY (PostgreSQL), executemany and the previous bulk_create path write the
    same value in every column of every grade row, the explanation included."""
    snapshot.export(tmp_path / "snap")
    method = services.current_method(AS_OF)
    params = jobs.method_params(method)
    result = grading.run_to_parquet(tmp_path / "snap", tmp_path / "out", params, AS_OF, explain=True,
                                    with_contributions=False)
    plain, contrib = grading.run(tmp_path / "snap", params, AS_OF, explain=False)
    reference = loading.python_explanations(method, AS_OF, plain, contrib)
    engine_rows = pq.read_table(result["grades"]).to_pylist()
    assert len(engine_rows) == len(reference) >= len(CASES)
    for row in engine_rows:
        assert row["explanation"] == json.dumps(reference[row["enterprise_id"]]), row["uscc"]
    assert sum(len(json.loads(r["explanation"])["events"]) for r in engine_rows) == contrib.num_rows > 0

    computed_at = timezone.now().replace(microsecond=123456)
    paths = ["executemany"] + (["copy"] if connection.vendor == "postgresql" else [])
    runs, seen = {}, {}
    for how in ["orm", *paths]:
        run = GradingRun.objects.create(method=method, engine="duckdb", as_of=AS_OF, started=computed_at,
                                        status=GradingRun.Status.DONE)
        done = []
        with transaction.atomic():
            if how == "orm":
                n = loading.load_orm(plain, contrib, run=run, method=method, as_of=AS_OF, computed_at=computed_at)
            else:
                n = loading.load(result["grades"], run=run, method=method, as_of=AS_OF, computed_at=computed_at,
                                 how=how, report=done.append)
                assert done[-1] == n
        runs[how], seen[how] = run, _rows(run)
        assert n == len(seen[how]) >= len(CASES)
    for how in paths:
        assert seen[how] == seen["orm"], how
    # and what the models read back is the same
    values = {how: list(Grade.objects.filter(run=run).order_by("enterprise_id").values_list(
        "enterprise_id", "score", "grade", "risk_class", "computed_at", "explanation")) for how, run in runs.items()}
    for how in paths:
        assert values[how] == values["orm"], how


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(loading, "COPY_BATCH", 4)
    monkeypatch.setattr(loading, "EXECUTEMANY_BATCH", 4)


def _bad_third_batch(monkeypatch):
    real = loading.batches

    def batches(path, size):
        for i, batch in enumerate(real(path, size)):
            if i == 2:  # a row the database refuses: the explanation is not JSON
                ex = batch.column("explanation").to_pylist()
                ex[1] = '{"method": "2020.1", "events": ['
                batch = batch.set_column(batch.schema.get_field_index("explanation"), "explanation",
                                         loading.pa.array(ex, loading.pa.string()))
            yield batch

    monkeypatch.setattr(loading, "batches", batches)


def _assert_failed_without_grades(run_id, reason):
    run = GradingRun.objects.get(pk=run_id)
    assert run.status == GradingRun.Status.FAILED and run.finished is not None
    assert reason in run.message
    assert not Grade.objects.filter(run_id=run_id).exists()
    assert not AuditEntry.objects.filter(object_type="credit.grade", object_id=str(run_id)).exists()


@pytest.mark.django_db(transaction=True)
def test_a_bad_row_in_the_middle_of_the_load_leaves_no_grades(enterprise_factory, settings, tmp_path,
                                                              small_batches, monkeypatch):
    """Real transactions (not a test savepoint): batches 1 and 2 were written, batch 3 is refused;
    nothing of the run stays and the run says why. On PostgreSQL this is the COPY path."""
    settings.VAR_DIR = tmp_path
    _world(enterprise_factory)
    _bad_third_batch(monkeypatch)
    seen = []
    run = jobs.start_run(as_of=AS_OF)
    with pytest.raises(Exception):
        jobs.execute_run(run.pk, progress=lambda done, total: seen.append(done))
    assert seen[-1] == 8  # two batches of 4 were in the table when the third failed
    reason = "json" if connection.vendor == "postgresql" else "CHECK constraint failed"
    _assert_failed_without_grades(run.pk, reason)
    if connection.vendor == "postgresql":
        assert "COPY" in GradingRun.objects.get(pk=run.pk).message


def test_a_load_cancelled_half_way_leaves_no_grades(world, settings, tmp_path, small_batches):
    settings.VAR_DIR = tmp_path

    def progress(done, total):
        if done >= 8:
            raise RuntimeError("cancelled by the operator")

    run = jobs.start_run(as_of=AS_OF)
    with pytest.raises(RuntimeError):
        jobs.execute_run(run.pk, progress=progress)
    _assert_failed_without_grades(run.pk, "RuntimeError: cancelled by the operator")
