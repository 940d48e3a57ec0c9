"""One Ibis definition, two engines: DuckDB and PySpark (local mode) give the same grades, and the
same explanation text, byte for byte.

The fixtures are the hand-computed worked examples of ``zhijian/credit/tests/test_grading.py``.
"""
import pytest

from zhijian.analytics import grading, snapshot
from zhijian.credit.jobs import method_params, run_grading
from zhijian.credit.models import Grade
from zhijian.credit.services import current_method
from zhijian.credit.tests.test_grading import AS_OF, CASES, ago, listing
from zhijian.credit import services

EXACT = ("enterprise_id", "uscc", "event_count", "serious", "abnormal", "commitment", "capability",
         "performance", "score", "grade", "grade_class", "risk_class", "rule", "explanation")


@pytest.fixture
def world(db, enterprise_factory):
    for name, (events, listings, *_rest) in CASES.items():
        ent = enterprise_factory(name=name)
        for code, age, weight in events:
            services.record_event(ent, code, ago(age), weight=weight,
                                  reason="hand-set weight" if weight else "")
        for kind, start, end in listings:
            listing(ent, kind, ago(start), ago(end) if end is not None else None)


def test_duckdb_and_spark_compute_the_same_grades(world, tmp_path):
    snap = snapshot.export(tmp_path)
    assert snap["counts"]["events"] == sum(len(c[0]) for c in CASES.values())
    params = method_params(current_method(AS_OF))
    duck_g, duck_c = grading.run(tmp_path, params, AS_OF, "duckdb")
    spark_g, spark_c = grading.run(tmp_path, params, AS_OF, "spark")
    assert duck_g.num_rows == spark_g.num_rows >= len(CASES)
    for d, s in zip(duck_g.to_pylist(), spark_g.to_pylist()):
        assert {k: d[k] for k in EXACT} == {k: s[k] for k in EXACT}
        for g in grading.GROUPS:
            assert d[f"{g}_events"] == pytest.approx(s[f"{g}_events"], abs=1e-9)
    assert sum(d["explanation"].count('"event": ') for d in duck_g.to_pylist()) == duck_c.num_rows
    assert duck_c.num_rows == spark_c.num_rows
    for d, s in zip(duck_c.to_pylist(), spark_c.to_pylist()):
        assert d["contribution"] == pytest.approx(s["contribution"], abs=1e-9)
        assert {k: v for k, v in d.items() if k != "contribution"} == \
               {k: v for k, v in s.items() if k != "contribution"}


def test_a_spark_run_loads_the_same_grades_as_a_duckdb_run(world, tmp_path):
    duck = run_grading(as_of=AS_OF, engine="duckdb", snapshot_dir=tmp_path / "d")
    spark = run_grading(as_of=AS_OF, engine="spark", snapshot_dir=tmp_path / "s")
    assert spark.engine == "spark" and spark.status == "done"
    assert duck.snapshot_sha256 == spark.snapshot_sha256  # same data, same snapshot bytes

    def rows(run):
        return sorted(Grade.objects.filter(run=run).values_list("enterprise_id", "score", "grade",
                                                                "risk_class", "explanation"))

    assert rows(duck) == rows(spark) and len(rows(duck)) >= len(CASES)
