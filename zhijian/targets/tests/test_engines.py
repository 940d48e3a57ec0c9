"""The computed data elements: one Ibis definition, the same values on DuckDB and on Spark."""
import pytest

from zhijian.analytics import target_elements as te

from . import world


def test_duckdb_and_spark_compute_the_same_element_values(db, tmp_path):
    world.build()
    assert te.export(tmp_path)["rows"] > 0
    duck = te.run(tmp_path, "202601", "202612", "duckdb").to_pylist()
    spark = te.run(tmp_path, "202601", "202612", "spark").to_pylist()
    key = lambda r: (r["key"], r["division"], r["month"])  # noqa: E731
    assert sorted(duck, key=key) == sorted(spark, key=key)
    assert {r["key"] for r in duck} >= {"tested_batches_agricultural", "credit_grade_aa_or_above",
                                       "serious_incidents", "complaints_upheld"}
    # the carried-forward stock has a row in every month after the first grade
    months = {r["month"] for r in duck if r["key"] == "credit_grade_aaa"}
    assert months == {f"2026{m:02d}" for m in range(1, 13)}


def test_every_definition_is_a_computed_element(db):
    from zhijian.targets.models import DataElement

    keys = set(DataElement.objects.filter(kind="computed").values_list("computed_key", flat=True))
    assert keys == set(te.DEFINITIONS)
