"""Weekly counts for signal detection: one Ibis definition, run on DuckDB (default) or Spark.

Input: one Parquet table of a snapshot, ``signal_events`` (``export``): a row per counted
record — ``source`` (``complaints``: cases received; ``injuries``: injury cases treated;
``unqualified``: spot-check results whose standing verdict is unqualified; ``opinion``:
public-opinion items published, near-duplicate reposts not counted again), ``day`` (days since
1970-01-01: received, treated, tested), ``category`` (product-category code, ``""`` when
unknown), ``hazard`` (``""`` when unknown) and ``division`` (the handling bureau's or the
hospital's six-digit GB/T 2260 code).

Output (``weekly_counts``): counts per source × ISO week (its Monday as a day number) ×
product category × division unit (``county``: the code itself, ``city``: ``xxxx00``,
``province``: ``xx0000``), and (``hazard_counts``) per source × category × hazard over a
window of days for disproportionality (PRR / ROR). Days are integers so that the arithmetic is
the same on every engine; 1970-01-01 was a Thursday, so the Monday of day ``d`` is
``d − (d + 3) mod 7``.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pyarrow as pa

from .grading import EPOCH, connect, day_number

SCHEMA = pa.schema([("source", pa.string()), ("day", pa.int64()), ("category", pa.string()),
                    ("hazard", pa.string()), ("division", pa.string())])
LEVELS = ("county", "city", "province")


def monday(day: int) -> int:
    return day - (day + 3) % 7


def unit_expr(division, level: str):
    if level == "county":
        return division
    if level == "city":
        return division.substr(0, 4) + "00"
    if level == "province":
        return division.substr(0, 2) + "0000"
    raise ValueError(f"unknown level {level!r} (county, city or province)")


def weekly_counts(events, level: str, first_day: int, last_day: int):
    """Counts per source, week (Monday's day number), category and division unit."""
    e = events.filter((events.day >= first_day) & (events.day <= last_day))
    e = e.mutate(week=e.day - (e.day + 3) % 7, unit=unit_expr(e.division, level))
    return (e.group_by(["source", "week", "category", "unit"]).aggregate(n=e.count())
            .order_by(["source", "category", "unit", "week"]))


def hazard_counts(events, level: str, first_day: int, last_day: int):
    """Counts per source, division unit, category and hazard within [first_day, last_day]."""
    e = events.filter((events.day >= first_day) & (events.day <= last_day) & (events.category != "")
                      & (events.hazard != ""))
    e = e.mutate(unit=unit_expr(e.division, level))
    return (e.group_by(["source", "unit", "category", "hazard"]).aggregate(n=e.count())
            .order_by(["source", "unit", "category", "hazard"]))


def run(snapshot_dir, level: str, first: dt.date, last: dt.date, engine: str = "duckdb"):
    """Weekly and hazard counts over [first, last] as pyarrow tables, on ``engine``."""
    con = connect(engine)
    events = con.read_parquet(str(Path(snapshot_dir) / "signal_events.parquet"))
    a, b = day_number(first), day_number(last)
    return con.to_pyarrow(weekly_counts(events, level, a, b)), con.to_pyarrow(hazard_counts(events, level, a, b))


def week_date(week: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(week))


def export(directory) -> dict:
    """Write ``signal_events.parquet`` from the database (complaints, injury cases, unqualified
    spot-check results, opinion items), in chunks; returns the row count."""
    from django.db import connection

    from zhijian.complaints.models import Case
    from zhijian.registry.models import ProductCategory
    from zhijian.risk.models import InjuryCase, OpinionItem, SentinelHospital
    from zhijian.spotcheck.models import Task

    from .snapshot import _day_sql, _export

    cat = ProductCategory._meta.db_table
    case, inj, hosp, task = (Case._meta.db_table, InjuryCase._meta.db_table, SentinelHospital._meta.db_table,
                             Task._meta.db_table)
    opi = OpinionItem._meta.db_table
    unq = "'unqualified'"
    sql = (
        f"SELECT 'complaints', {_day_sql('c.received_on')}, COALESCE(k.code, ''), COALESCE(c.hazard, ''), "
        f"c.division_id FROM {case} c LEFT JOIN {cat} k ON k.id = c.category_id "
        f"UNION ALL SELECT 'injuries', {_day_sql('i.treated_on')}, COALESCE(k.code, ''), COALESCE(i.hazard, ''), "
        f"h.division_id FROM {inj} i JOIN {hosp} h ON h.id = i.hospital_id LEFT JOIN {cat} k ON k.id = i.product_id "
        f"UNION ALL SELECT 'unqualified', {_day_sql('t.tested_on')}, k.code, '', t.division_id "
        f"FROM {task} t JOIN {cat} k ON k.id = t.category_id WHERE t.tested_on IS NOT NULL AND "
        f"(t.retest_verdict = {unq} OR ((t.retest_verdict IS NULL OR t.retest_verdict = '') AND t.verdict = {unq}))"
        f" UNION ALL SELECT 'opinion', {_day_sql('o.published_on')}, COALESCE(k.code, ''), COALESCE(o.hazard, ''), "
        f"o.division_id FROM {opi} o LEFT JOIN {cat} k ON k.id = o.category_id WHERE o.duplicate_of_id IS NULL")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with connection.cursor():
        n = _export(sql, SCHEMA, d / "signal_events.parquet")
    return {"path": str(d), "rows": n}


__all__ = ["SCHEMA", "LEVELS", "monday", "weekly_counts", "hazard_counts", "run", "week_date", "export", "ibis"]
