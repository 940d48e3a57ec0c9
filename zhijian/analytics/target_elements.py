"""The computed data elements of the targets app: one Ibis definition, run on DuckDB or Spark.

Input: ``target_facts.parquet`` of a snapshot (``export``), a row per counted record —
``fact`` (``spotcheck``: a tested batch; ``complaint``: a complaint received (投诉, not
reports 举报); ``grade``: a credit grade computed; ``incident``: a major quality incident not
rejected; ``recall``: a recall decided, voluntary or ordered), ``month`` (``YYYYMM`` of the test, receipt, grading day or occurrence), ``day`` (days
since 1970-01-01), ``division`` (the task's, handling bureau's, enterprise's or incident's
six-digit GB/T 2260 code; a recall's handling division), ``kind`` (the product category's kind
for spot checks, the grade for grades, the incident level for incidents, the recall kind for
recalls), ``flag`` (1: qualified by the standing verdict — the re-test's when there was one;
complaint upheld; incident of level "larger" or above; recall ordered by the regulator),
``enterprise_id`` and ``row_id``.

Output (``element_values``): ``key`` (a name of ``DEFINITIONS``), ``division``, ``month``,
``value`` — counts per record division and month. The targets app stores them as data values
and rolls them up (divisions by code prefix, months into quarters and years).

Credit grades are a stock: an enterprise counts in a month with the latest grade computed in or
before that month (carried forward until its next grade), and the targets app takes the latest
month of a period for elements with ``aggregation = last``. The months of the run are a small
in-memory table joined to the grades, so every month of the range has its counts.

Recalls count in the month the recall was decided (``RecallCase.decided_on``); a case still
under investigation, or closed without a recall, has no such day and is not counted. Other
records join the same way: a ``fact`` in ``export`` and definitions here — the targets app picks
up any key listed in ``DEFINITIONS`` without further change.
"""
from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa

from .grading import connect

SCHEMA = pa.schema([("fact", pa.string()), ("month", pa.string()), ("day", pa.int64()),
                    ("division", pa.string()), ("kind", pa.string()), ("flag", pa.int64()),
                    ("enterprise_id", pa.int64()), ("row_id", pa.int64())])
CATEGORY_KINDS = ("agricultural", "industrial", "consumer")
GRADES = ("AAA", "AA", "A", "B", "C")


def _defs() -> dict[str, tuple[str, str | None, int | None, str]]:
    """key -> (fact, kind or None, flag or None, description)."""
    d = {}
    for k in CATEGORY_KINDS:
        d[f"tested_batches_{k}"] = ("spotcheck", k, None, f"spot-check batches tested, {k} products")
        d[f"qualified_batches_{k}"] = ("spotcheck", k, 1, f"spot-check batches qualified, {k} products")
    d["tested_batches_all"] = ("spotcheck", None, None, "spot-check batches tested")
    d["qualified_batches_all"] = ("spotcheck", None, 1, "spot-check batches qualified")
    d["complaints_received"] = ("complaint", None, None, "complaints received")
    d["complaints_upheld"] = ("complaint", None, 1, "complaints upheld")
    for g in GRADES:
        d[f"credit_grade_{g.lower()}"] = ("grade", g, None, f"enterprises graded {g} (latest in the month)")
    d["credit_grade_aa_or_above"] = ("grade", "AA+", None, "enterprises graded AA or AAA (latest in the month)")
    d["incidents_reported"] = ("incident", None, None, "major quality incidents (not rejected)")
    d["serious_incidents"] = ("incident", None, 1, "major quality incidents of level larger or above")
    d["recalls_decided"] = ("recall", None, None, "defective-product recalls decided (voluntary or ordered)")
    d["recalls_ordered"] = ("recall", None, 1, "recalls ordered by the regulator")
    return d


DEFINITIONS = _defs()


def month_range(first_month: str, last_month: str) -> list[str]:
    y, m, out = int(first_month[:4]), int(first_month[4:]), []
    while f"{y}{m:02d}" <= last_month:
        out.append(f"{y}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def grades_in_force(facts, first_month: str, last_month: str):
    """One row per enterprise and month of the range: the grade in force (the latest computed in
    or before the month)."""
    g = facts.filter((facts.fact == "grade") & (facts.month <= last_month))
    w = ibis.window(group_by=[g.enterprise_id, g.month], order_by=[ibis.desc(g.day), ibis.desc(g.row_id)])
    g = g.mutate(rn=ibis.row_number().over(w))
    g = g.filter(g.rn == 0).drop("rn")
    nxt = ibis.window(group_by=g.enterprise_id, order_by=g.month)
    g = g.mutate(until=g.month.lead().over(nxt))
    months = ibis.memtable({"m": month_range(first_month, last_month)})
    j = g.cross_join(months)
    j = j.filter((j.month <= j.m) & (j.until.isnull() | (j.until > j.m)))
    return j.select("division", "kind", month=j.m)


def element_values(facts, first_month: str, last_month: str, keys=None):
    """Counts per definition key × division × month within [first_month, last_month]."""
    f = facts.filter((facts.month >= first_month) & (facts.month <= last_month))
    grades = grades_in_force(facts, first_month, last_month)
    parts = []
    for key, (fact, kind, flag, _desc) in DEFINITIONS.items():
        if keys is not None and key not in keys:
            continue
        t = grades if fact == "grade" else f.filter(f.fact == fact)
        if kind == "AA+":
            t = t.filter(t.kind.isin(["AA", "AAA"]))
        elif kind is not None:
            t = t.filter(t.kind == kind)
        if flag is not None:
            t = t.filter(t.flag == flag)
        parts.append(t.group_by(["division", "month"]).aggregate(value=t.count())
                     .mutate(key=ibis.literal(key)).select("key", "division", "month", "value"))
    if not parts:
        raise ValueError("no definitions selected")
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out.order_by(["key", "division", "month"])


def run(snapshot_dir, first_month: str, last_month: str, engine: str = "duckdb", keys=None) -> pa.Table:
    con = connect(engine)
    facts = con.read_parquet(str(Path(snapshot_dir) / "target_facts.parquet"))
    return con.to_pyarrow(element_values(facts, first_month, last_month, keys))


def _month_sql(column: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYYMM')"
    return f"strftime('%Y%m', {column})"


def export(directory) -> dict:
    """Write ``target_facts.parquet`` from the database in chunks; returns its row count."""
    from django.db import connection

    from zhijian.complaints.models import Case
    from zhijian.credit.models import Grade
    from zhijian.recall.models import RecallCase
    from zhijian.registry.models import Enterprise, ProductCategory
    from zhijian.risk.models import Incident, IncidentLevel
    from zhijian.spotcheck.models import Task

    from .snapshot import _day_sql, _export

    task, cat, case, grade, ent, inc, lvl, rc = (
        Task._meta.db_table, ProductCategory._meta.db_table, Case._meta.db_table, Grade._meta.db_table,
        Enterprise._meta.db_table, Incident._meta.db_table, IncidentLevel._meta.db_table,
        RecallCase._meta.db_table)
    q, uq = "'qualified'", "'unqualified'"
    standing = (f"CASE WHEN t.retest_verdict IN ({q}, {uq}) THEN t.retest_verdict ELSE t.verdict END")
    occurred = "CAST(i.occurred_at AS DATE)" if connection.vendor == "postgresql" else "date(i.occurred_at)"
    sql = (
        f"SELECT 'spotcheck', {_month_sql('t.tested_on')}, {_day_sql('t.tested_on')}, t.division_id, k.kind, "
        f"CASE WHEN {standing} = {q} THEN 1 ELSE 0 END, t.enterprise_id, t.id "
        f"FROM {task} t JOIN {cat} k ON k.id = t.category_id "
        f"WHERE t.tested_on IS NOT NULL AND t.verdict IN ({q}, {uq}) "
        f"UNION ALL SELECT 'complaint', {_month_sql('c.received_on')}, {_day_sql('c.received_on')}, "
        f"c.division_id, '', CASE WHEN c.upheld THEN 1 ELSE 0 END, c.respondent_id, c.id "
        f"FROM {case} c WHERE c.kind = 'complaint' "
        f"UNION ALL SELECT 'grade', {_month_sql('g.as_of')}, {_day_sql('g.as_of')}, e.division_id, g.grade, 0, "
        f"g.enterprise_id, g.id FROM {grade} g JOIN {ent} e ON e.id = g.enterprise_id "
        f"UNION ALL SELECT 'incident', {_month_sql(occurred)}, {_day_sql(occurred)}, i.division_id, l.code, "
        f"CASE WHEN l.rank >= 2 THEN 1 ELSE 0 END, i.enterprise_id, i.id "
        f"FROM {inc} i JOIN {lvl} l ON l.id = i.level_id WHERE i.status <> 'rejected' "
        f"UNION ALL SELECT 'recall', {_month_sql('r.decided_on')}, {_day_sql('r.decided_on')}, r.division_id, "
        f"r.kind, CASE WHEN r.kind = 'ordered' THEN 1 ELSE 0 END, r.producer_id, r.id "
        f"FROM {rc} r WHERE r.decided_on IS NOT NULL AND r.kind <> ''")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with connection.cursor():
        n = _export(sql, SCHEMA, d / "target_facts.parquet")
    return {"path": str(d), "rows": n}
