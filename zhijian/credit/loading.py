"""Loading a run's grades from the job's result Parquet into ``credit_grade``, in bulk.

The grading job (``zhijian.analytics.grading.explained``) writes one row per enterprise with its
score, grade, risk class and the explanation as JSON text, so loading needs no Python per row:

* PostgreSQL: ``COPY credit_grade (...) FROM STDIN (FORMAT csv)``, straight into the grade table
  inside the run's transaction, one COPY per record batch of the Parquet file (50 000 rows), fed
  with the CSV pyarrow writes from the batch (run, method, date and time added as constant
  columns). A failed
  COPY (a bad row, a cancelled load) rolls the transaction back: no grade of the run stays.
* SQLite (and any other database): ``executemany`` of plain tuples built from the Arrow columns.

Both write the same rows (``tests/test_loading.py``). ``load_orm`` is the previous path --
explanations built in Python from the contributions, ``Grade`` instances through ``bulk_create``
-- kept as the reference the tests compare against and as the benchmark's baseline.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from itertools import repeat

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import connection

from .models import Grade

COLUMNS = ("enterprise_id", "score", "grade", "risk_class", "explanation")  # read from the Parquet
TARGET = ("enterprise_id", "method_id", "run_id", "as_of", "computed_at", "score", "grade", "risk_class",
          "explanation")                                                      # written to the table
COPY_BATCH = 50_000
EXECUTEMANY_BATCH = 10_000
ORM_BATCH = 2_000


def batches(path, batch_size: int):
    """The grade rows of a result Parquet file as Arrow record batches (``COLUMNS``)."""
    yield from pq.ParquetFile(str(path)).iter_batches(batch_size=batch_size, columns=list(COLUMNS))


def default_path() -> str:
    return "copy" if connection.vendor == "postgresql" else "executemany"


def load(path, *, run, method, as_of: dt.date, computed_at: dt.datetime, report=None, how: str | None = None) -> int:
    """Insert the grades of ``path`` for ``run`` (inside the caller's transaction); returns the count.
    ``report(done)`` is called after every batch. ``how``: copy (PostgreSQL), executemany."""
    how = how or default_path()
    if how == "copy":
        return _copy(path, run.pk, method.pk, as_of, computed_at, report)
    if how == "executemany":
        return _executemany(path, run.pk, method.pk, as_of, computed_at, report)
    raise ValueError(f"unknown load path {how!r}")


def _table() -> str:
    return connection.ops.quote_name(Grade._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in TARGET)


def _copy(path, run_id, method_id, as_of, computed_at, report) -> int:
    if connection.vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL")
    options = pacsv.WriteOptions(include_header=False, batch_size=COPY_BATCH)
    constants = {"method_id": pa.scalar(method_id, pa.int64()), "run_id": pa.scalar(run_id, pa.int64()),
                 "as_of": pa.scalar(as_of.isoformat()), "computed_at": pa.scalar(computed_at.isoformat())}
    sql = f"COPY {_table()} ({_columns()}) FROM STDIN (FORMAT csv)"
    done = 0
    with connection.cursor() as cur:
        for batch in batches(path, COPY_BATCH):
            n = batch.num_rows
            cols = {name: batch.column(name) for name in COLUMNS}
            cols.update({name: pa.repeat(value, n) for name, value in constants.items()})
            buf = io.BytesIO()
            pacsv.write_csv(pa.table([cols[c] for c in TARGET], names=list(TARGET)), buf, options)
            # one COPY per batch, so that the connection is free between batches (a progress
            # callback may query the database; the rows stay in the caller's transaction)
            with cur.copy(sql) as copy:
                copy.write(buf.getbuffer())
            done += n
            if report:
                report(done)
    return done


def _executemany(path, run_id, method_id, as_of, computed_at, report) -> int:
    ops = connection.ops
    as_of_v, computed_v = ops.adapt_datefield_value(as_of), ops.adapt_datetimefield_value(computed_at)
    sql = f"INSERT INTO {_table()} ({_columns()}) VALUES ({', '.join(['%s'] * len(TARGET))})"
    done = 0
    with connection.cursor() as cur:
        for batch in batches(path, EXECUTEMANY_BATCH):
            n = batch.num_rows
            c = [batch.column(name).to_pylist() for name in COLUMNS]
            cur.executemany(sql, list(zip(c[0], repeat(method_id, n), repeat(run_id, n), repeat(as_of_v, n),
                                          repeat(computed_v, n), c[1], c[2], c[3], c[4])))
            done += n
            if report:
                report(done)
    return done


# ------------------------------------------------------------------------------ the previous path
def python_explanations(method, as_of: dt.date, grades_tbl, contrib_tbl) -> dict[int, dict]:
    """Explanation dict per enterprise id, built in Python row by row from the grades and the
    contributions (``grading.run(..., explain=False)``); what the engine's JSON text must equal."""
    from collections import defaultdict

    from zhijian.analytics import grading

    from .models import GROUPS

    events = defaultdict(list)
    c = contrib_tbl.to_pydict()
    for i in range(contrib_tbl.num_rows):
        events[c["enterprise_id"][i]].append({
            "event": c["event_id"][i], "type": c["type_code"][i], "group": c["grp"][i],
            "date": (grading.EPOCH + dt.timedelta(days=c["day"][i])).isoformat(),
            "weight": c["weight"][i], "age_days": c["age_days"][i],
            "contribution": round(c["contribution"][i], 4)})
    g = grades_tbl.to_pydict()
    result = {}
    for i in range(grades_tbl.num_rows):
        eid = g["enterprise_id"][i]
        groups = {grp: {"base": float(method.groups[grp]["base"]), "cap": float(method.groups[grp]["cap"]),
                        "events": round(g[f"{grp}_events"][i], 4), "subtotal": g[grp][i]}
                  for grp in GROUPS}
        result[eid] = {
            "method": method.version, "as_of": as_of.isoformat(), "score": g["score"][i],
            "grade": g["grade"][i], "grade_bands": method.grade_bands,
            "grade_class": g["grade_class"][i], "risk_class": g["risk_class"][i],
            "rule": g["rule"][i], "groups": groups, "events": events.get(eid, [])}
    return result


def load_orm(grades_tbl, contrib_tbl, *, run, method, as_of: dt.date, computed_at: dt.datetime,
             report=None) -> int:
    """The previous load: Python explanations, ``Grade`` instances, ``bulk_create`` in batches."""
    explanations = python_explanations(method, as_of, grades_tbl, contrib_tbl)
    g = grades_tbl.to_pydict()
    total = grades_tbl.num_rows
    for i in range(0, total, ORM_BATCH):
        Grade.objects.bulk_create([
            Grade(enterprise_id=g["enterprise_id"][j], method=method, run=run, as_of=as_of,
                  score=Decimal(str(g["score"][j])).quantize(Decimal("0.01")),
                  grade=g["grade"][j], risk_class=g["risk_class"][j], computed_at=computed_at,
                  explanation=explanations[g["enterprise_id"][j]])
            for j in range(i, min(i + ORM_BATCH, total))])
        if report:
            report(min(i + ORM_BATCH, total))
    return total
