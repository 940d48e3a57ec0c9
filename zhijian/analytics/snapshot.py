"""Export of the operational data the credit job needs to a Parquet snapshot (Arrow, in chunks).

Rows are fetched with a database cursor in chunks and turned into Arrow columns
(``zip(*rows)``) — no per-row Python objects or ORM instances. Events are written clustered by
enterprise (``ORDER BY enterprise_id, id``): the job's per-enterprise aggregation over 100 M events
runs about twice as fast on clustered input (hash-table locality; bench/credit_grade.py).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection

CHUNK = 50_000
DAYS_PER_MONTH = 30

SCHEMAS = {
    "enterprises": pa.schema([("enterprise_id", pa.int64()), ("uscc", pa.string()),
                              ("division", pa.string())]),
    "events": pa.schema([("event_id", pa.int64()), ("enterprise_id", pa.int64()),
                         ("type_code", pa.string()), ("grp", pa.string()), ("day", pa.int64()),
                         ("weight", pa.float64()), ("half_life_days", pa.int64()),
                         ("validity_days", pa.int64())]),
    "listings": pa.schema([("enterprise_id", pa.int64()), ("kind", pa.string()),
                           ("start_day", pa.int64()), ("end_day", pa.int64())]),
}


def _day_sql(column: str) -> str:
    """Days since 1970-01-01 of a DATE column, in the connected database's dialect."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _queries() -> dict[str, str]:
    from zhijian.credit.models import CreditEvent, EnterpriseListing, EventType
    from zhijian.registry.models import Enterprise

    ent, ev, et, li = (Enterprise._meta.db_table, CreditEvent._meta.db_table,
                       EventType._meta.db_table, EnterpriseListing._meta.db_table)
    m = DAYS_PER_MONTH
    ev_day, start_day, end_day = _day_sql("e.date"), _day_sql("start"), _day_sql('"end"')
    return {
        "enterprises": f"SELECT id, uscc, division_id FROM {ent} ORDER BY id",
        "events": (f'SELECT e.id, e.enterprise_id, t.code, t."group", {ev_day}, '
                   f"CAST(e.weight AS DOUBLE PRECISION), t.half_life_months * {m}, t.validity_months * {m} "
                   f"FROM {ev} e JOIN {et} t ON t.id = e.type_id ORDER BY e.enterprise_id, e.id"),
        "listings": (f"SELECT enterprise_id, kind, {start_day}, "
                     f'CASE WHEN "end" IS NULL THEN NULL ELSE {end_day} END '
                     f"FROM {li} ORDER BY id"),
    }


def _export(sql: str, schema: pa.Schema, path: Path) -> int:
    n = 0
    with connection.cursor() as cur, pq.ParquetWriter(str(path), schema) as writer:
        cur.execute(sql)
        while True:
            rows = cur.fetchmany(CHUNK)
            if not rows:
                break
            cols = list(zip(*rows))
            batch = pa.Table.from_pydict(
                {f.name: pa.array(col, type=f.type) for f, col in zip(schema, cols)}, schema=schema)
            writer.write_table(batch)
            n += len(rows)
    return n


def export(directory) -> dict:
    """Write enterprises/events/listings Parquet files; returns counts and the snapshot's SHA-256."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    counts = {name: _export(sql, SCHEMAS[name], d / f"{name}.parquet")
              for name, sql in _queries().items()}
    h = hashlib.sha256()
    for name in sorted(SCHEMAS):
        h.update((d / f"{name}.parquet").read_bytes())
    return {"path": str(d), "sha256": h.hexdigest(), "counts": counts}
