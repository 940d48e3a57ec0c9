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

Awards, brands and demonstration zones (issue 12 §3): ``award`` — a granted award application
(``month`` of the decision, the enterprise's division, ``kind`` the award kind); ``brand`` — a
recognised brand (``month`` of the recognition, January of its year when no date is given,
``kind`` the brand kind, ``until`` the month of its end of validity or empty); ``zone`` — an
approved demonstration zone (``month`` of the approval, or January of its year). Brands in
force are a stock like the grades: a brand counts in every month from its recognition to its
end of validity.

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
                    ("enterprise_id", pa.int64()), ("row_id", pa.int64()), ("until", pa.string())])
AWARD_KINDS = ("china_quality_award", "china_quality_award_nomination", "jiangsu_quality_award",
               "city_quality_award")
BRAND_KINDS = ("well_known_trademark", "jiangsu_famous_trademark", "jiangsu_famous_brand", "international_brand",
               "geographical_indication", "service_brand")
ZONE_KINDS = ("quality_city", "brand_zone", "quality_product_zone")
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
    for k in AWARD_KINDS:
        d[f"awards_granted_{k}"] = ("award", k, None, f"award applications granted: {k}")
    for k in BRAND_KINDS:
        d[f"brands_in_force_{k}"] = ("brand_stock", k, None, f"recognised brands in force: {k}")
    d["brands_recognised_service_brand"] = ("brand", "service_brand", None,
                                            "service-industry brand enterprises newly recognised")
    for k in ZONE_KINDS:
        d[f"zones_approved_{k}"] = ("zone", k, None, f"demonstration zones approved: {k}")
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


def brands_in_force(facts, first_month: str, last_month: str):
    """One row per brand and month of the range in which it is in force (recognised in or before
    the month, valid until that month or later)."""
    b = facts.filter((facts.fact == "brand") & (facts.month <= last_month))
    months = ibis.memtable({"m": month_range(first_month, last_month)})
    j = b.cross_join(months)
    j = j.filter((j.month <= j.m) & (j.until.isnull() | (j.until >= j.m)))
    return j.select("division", "kind", "flag", month=j.m)


ANY_KIND, ANY_FLAG = "*", -1


def _definitions(keys=None) -> pa.Table:
    """The definitions as a small table: ``key``, ``d_fact``, ``d_kind`` / ``d_kind2`` (the kinds
    counted, ``*``: any), ``d_flag`` (``-1``: any). No nulls: a null in an in-memory table does
    not reach Spark as a null (an integer column with nulls arrives as NaN)."""
    rows = [(key, fact, kind, flag) for key, (fact, kind, flag, _desc) in DEFINITIONS.items()
            if keys is None or key in keys]
    if not rows:
        raise ValueError("no definitions selected")
    kinds = [("AA", "AAA") if kind == "AA+" else (kind or ANY_KIND, kind or ANY_KIND) for _k, _f, kind, _fl in rows]
    return pa.table({"key": [r[0] for r in rows], "d_fact": [r[1] for r in rows],
                     "d_kind": [k[0] for k in kinds], "d_kind2": [k[1] for k in kinds],
                     "d_flag": pa.array([ANY_FLAG if r[3] is None else r[3] for r in rows], type=pa.int64())})


def element_values(facts, first_month: str, last_month: str, keys=None):
    """Counts per definition key × division × month within [first_month, last_month].

    One aggregation for every definition: the facts of the range (and the stocks in force in each
    month: grades, brands) are counted per fact, kind, flag, division and month, joined to the
    definitions that count them, and summed per definition."""
    defs = ibis.memtable(_definitions(keys))
    f = facts.filter((facts.month >= first_month) & (facts.month <= last_month))
    f = f.filter(f.fact != "grade").select("fact", "kind", "flag", "division", "month")
    grades = grades_in_force(facts, first_month, last_month)
    grades = grades.select(fact=ibis.literal("grade"), kind=grades.kind, flag=ibis.literal(0, type="int64"),
                           division=grades.division, month=grades.month)
    brands = brands_in_force(facts, first_month, last_month)
    brands = brands.select(fact=ibis.literal("brand_stock"), kind=brands.kind, flag=brands.flag,
                           division=brands.division, month=brands.month)
    base = f.union(grades).union(brands)
    counts = base.group_by(["fact", "kind", "flag", "division", "month"]).aggregate(n=base.count())
    j = counts.inner_join(defs, counts.fact == defs.d_fact)
    j = j.filter(((j.d_kind == ANY_KIND) | (j.kind == j.d_kind) | (j.kind == j.d_kind2))
                 & ((j.d_flag == ANY_FLAG) | (j.flag == j.d_flag)))
    out = j.group_by(["key", "division", "month"]).aggregate(value=j.n.sum().cast("int64"))
    return out.select("key", "division", "month", "value").order_by(["key", "division", "month"])


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
    from zhijian.targets.models import AwardApplication, Brand, DemonstrationZone

    from .snapshot import _day_sql, _export

    task, cat, case, grade, ent, inc, lvl, rc = (
        Task._meta.db_table, ProductCategory._meta.db_table, Case._meta.db_table, Grade._meta.db_table,
        Enterprise._meta.db_table, Incident._meta.db_table, IncidentLevel._meta.db_table,
        RecallCase._meta.db_table)
    app, brand, zone = AwardApplication._meta.db_table, Brand._meta.db_table, DemonstrationZone._meta.db_table
    pg = connection.vendor == "postgresql"
    year_start = ("make_date(CAST({y} AS integer), 1, 1)" if pg else
                  "date(printf('%04d-01-01', {y}))")
    brand_from = f"COALESCE(b.recognised_on, {year_start.format(y='b.year')})"
    zone_from = f"COALESCE(z.approved_on, {year_start.format(y='z.year')})"
    q, uq = "'qualified'", "'unqualified'"
    standing = (f"CASE WHEN t.retest_verdict IN ({q}, {uq}) THEN t.retest_verdict ELSE t.verdict END")
    occurred = "CAST(i.occurred_at AS DATE)" if connection.vendor == "postgresql" else "date(i.occurred_at)"
    sql = (
        f"SELECT 'spotcheck', {_month_sql('t.tested_on')}, {_day_sql('t.tested_on')}, t.division_id, k.kind, "
        f"CASE WHEN {standing} = {q} THEN 1 ELSE 0 END, t.enterprise_id, t.id, NULL "
        f"FROM {task} t JOIN {cat} k ON k.id = t.category_id "
        f"WHERE t.tested_on IS NOT NULL AND t.verdict IN ({q}, {uq}) "
        f"UNION ALL SELECT 'complaint', {_month_sql('c.received_on')}, {_day_sql('c.received_on')}, "
        f"c.division_id, '', CASE WHEN c.upheld THEN 1 ELSE 0 END, c.respondent_id, c.id, NULL "
        f"FROM {case} c WHERE c.kind = 'complaint' "
        f"UNION ALL SELECT 'grade', {_month_sql('g.as_of')}, {_day_sql('g.as_of')}, e.division_id, g.grade, 0, "
        f"g.enterprise_id, g.id, NULL FROM {grade} g JOIN {ent} e ON e.id = g.enterprise_id "
        f"UNION ALL SELECT 'incident', {_month_sql(occurred)}, {_day_sql(occurred)}, i.division_id, l.code, "
        f"CASE WHEN l.rank >= 2 THEN 1 ELSE 0 END, i.enterprise_id, i.id, NULL "
        f"FROM {inc} i JOIN {lvl} l ON l.id = i.level_id WHERE i.status <> 'rejected' "
        f"UNION ALL SELECT 'award', {_month_sql('a.decision_date')}, {_day_sql('a.decision_date')}, "
        f"e.division_id, a.kind, 1, a.enterprise_id, a.id, NULL FROM {app} a "
        f"JOIN {ent} e ON e.id = a.enterprise_id WHERE a.status = 'granted' AND a.decision_date IS NOT NULL "
        f"UNION ALL SELECT 'brand', {_month_sql(brand_from)}, {_day_sql(brand_from)}, b.division_id, b.kind, 1, "
        f"b.enterprise_id, b.id, {_month_sql('b.valid_until')} FROM {brand} b "
        f"UNION ALL SELECT 'zone', {_month_sql(zone_from)}, {_day_sql(zone_from)}, z.division_id, z.kind, 1, "
        f"NULL, z.id, NULL FROM {zone} z WHERE z.status = 'approved' "
        f"UNION ALL SELECT 'recall', {_month_sql('r.decided_on')}, {_day_sql('r.decided_on')}, r.division_id, "
        f"r.kind, CASE WHEN r.kind = 'ordered' THEN 1 ELSE 0 END, r.producer_id, r.id, NULL "
        f"FROM {rc} r WHERE r.decided_on IS NOT NULL AND r.kind <> ''")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with connection.cursor():
        n = _export(sql, SCHEMA, d / "target_facts.parquet")
    return {"path": str(d), "rows": n}
