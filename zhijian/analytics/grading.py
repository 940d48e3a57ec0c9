"""The credit-grading job: one Ibis definition, executed on DuckDB (default) or another backend.

Inputs are the three Parquet tables of a snapshot (see ``snapshot.py``):

* enterprises: enterprise_id, uscc, division
* events: event_id, enterprise_id, type_code, grp, day, weight, half_life_days, validity_days
* listings: enterprise_id, kind, start_day, end_day

Days are integers (days since 1970-01-01) so that the arithmetic is the same on every engine.
Decay (docs/credit.md): an event of age ``a`` days (a = as_of − date, a ≥ 0) contributes

    weight × 0.5 ** (a / half_life_days)     (weight alone when there is no half-life)

while ``a < validity_days`` (always, when there is no validity), and 0 afterwards; events dated after
``as_of`` are ignored. A month is 30 days. Group subtotal = clip(base + Σ contributions, 0, cap),
rounded to 2 decimals; score = Σ subtotals; grade by bands; risk class by grade, then hard rules.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import ibis

GROUPS = ("commitment", "capability", "performance")
EPOCH = dt.date(1970, 1, 1)
LN2 = math.log(2.0)


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class MethodParams:
    version: str
    groups: dict          # {group: {"base": x, "cap": y}}
    grade_bands: dict     # {"AAA": 90, "AA": 80, "A": 70, "B": 60}
    risk_rules: dict      # {"by_grade": {...}, "serious_violation": "D", "abnormal_operation": "C"}


def contributions(events, as_of: dt.date):
    """Each counted event with its age and decayed contribution."""
    asof = day_number(as_of)
    e = events.filter(events.day <= asof)
    age = (ibis.literal(asof) - e.day).cast("float64")
    decay = ibis.ifelse(e.half_life_days.isnull(), 1.0,
                        (age * (-LN2) / e.half_life_days.cast("float64")).exp())
    alive = e.validity_days.isnull() | (age < e.validity_days.cast("float64"))
    return e.mutate(age_days=age.cast("int64"),
                    contribution=ibis.ifelse(alive, e.weight.cast("float64") * decay, 0.0))


def grades(enterprises, events, listings, method: MethodParams, as_of: dt.date):
    """One row per enterprise: group subtotals, score, grade, risk class and the rule applied."""
    asof = day_number(as_of)
    c = contributions(events, as_of)
    sums = c.group_by("enterprise_id").aggregate(
        event_count=c.count(),
        **{f"{g}_events": c.contribution.sum(where=c.grp == g) for g in GROUPS})
    active = listings.filter((listings.start_day <= asof)
                             & (listings.end_day.isnull() | (listings.end_day > asof)))
    flags = active.group_by("enterprise_id").aggregate(
        serious=ibis.ifelse(active.kind == "serious_violation", 1, 0).max(),
        abnormal=ibis.ifelse(active.kind == "abnormal_operation", 1, 0).max())

    t = enterprises.left_join(sums, enterprises.enterprise_id == sums.enterprise_id).select(
        enterprises.enterprise_id, enterprises.uscc,
        sums.event_count, *[sums[f"{g}_events"] for g in GROUPS])
    t = t.left_join(flags, t.enterprise_id == flags.enterprise_id).select(
        t, flags.serious, flags.abnormal)

    subtotal = {}
    for g in GROUPS:
        spec = method.groups[g]
        raw = ibis.literal(float(spec["base"])) + t[f"{g}_events"].coalesce(0.0)
        subtotal[g] = raw.clip(lower=0.0, upper=float(spec["cap"])).round(2)
    t = t.mutate(event_count=t.event_count.coalesce(0),
                 serious=t.serious.coalesce(0), abnormal=t.abnormal.coalesce(0),
                 **{f"{g}_events": t[f"{g}_events"].coalesce(0.0) for g in GROUPS},
                 **{g: subtotal[g] for g in GROUPS})
    t = t.mutate(score=(t.commitment + t.capability + t.performance).round(2))

    bands = method.grade_bands
    t = t.mutate(grade=ibis.cases(
        (t.score >= float(bands["AAA"]), "AAA"), (t.score >= float(bands["AA"]), "AA"),
        (t.score >= float(bands["A"]), "A"), (t.score >= float(bands["B"]), "B"), else_="C"))
    by_grade = method.risk_rules["by_grade"]
    t = t.mutate(grade_class=ibis.cases(*[(t.grade == g, by_grade[g]) for g in
                                          ("AAA", "AA", "A", "B")], else_=by_grade["C"]))
    serious_cls = method.risk_rules.get("serious_violation", "D")
    floor = method.risk_rules.get("abnormal_operation", "C")
    # class letters order A < B < C < D, so "at least C" is a string comparison
    t = t.mutate(
        risk_class=ibis.cases((t.serious == 1, serious_cls),
                              ((t.abnormal == 1) & (t.grade_class < floor), floor),
                              else_=t.grade_class),
        rule=ibis.cases((t.serious == 1, "serious_violation"),
                        ((t.abnormal == 1) & (t.grade_class < floor), "abnormal_operation"),
                        else_=""))
    return t.order_by("enterprise_id")


# ------------------------------------------------------------------------------ explanation
# The explanation of a grade (``Grade.explanation``, docs/credit.md) is built here, by the engine,
# as JSON text: byte for byte what ``json.dumps`` gives for the same dict (default separators,
# keys in the documented order), so DuckDB and Spark write the same string and loading it needs no
# Python per row. Event type codes are slugs and group names are fixed words, so no string needs
# escaping. Numbers: contributions and event sums are rounded to 4 decimals, subtotals and scores
# come rounded to 2, weights have 2; each is written as a fixed-point decimal with the trailing
# zeros dropped (at least one digit after the point) -- Python's ``repr`` of the same rounded float.
SCALE = 10_000


def _fixed4(x):
    """JSON text of ``round(x, 4)`` as Python writes it (``-5.0``, ``0.3536``, ``12.5``), computed
    with integers (both engines round half away from zero on the same double)."""
    n = (x * float(SCALE)).round().cast("int64")
    a = n.abs()
    frac = a % SCALE
    digits = frac.cast("string").lpad(4, "0")
    frac_text = ibis.cases((frac % 1000 == 0, digits.substr(0, 1)), (frac % 100 == 0, digits.substr(0, 2)),
                           (frac % 10 == 0, digits.substr(0, 3)), else_=digits)
    return ibis.ifelse(n < 0, "-", "") + (a // SCALE).cast("string") + "." + frac_text


def _iso_date(day):
    """``YYYY-MM-DD`` of a day number (days since 1970-01-01), in integer arithmetic (the civil-from-days
    algorithm, H. Hinnant), so that no engine's date functions or time zone are involved."""
    z = day + 719468
    era = ibis.ifelse(z >= 0, z, z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = ibis.ifelse(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + ibis.ifelse(m <= 2, 1, 0)
    return (y.cast("string").lpad(4, "0") + "-" + m.cast("string").lpad(2, "0") + "-"
            + d.cast("string").lpad(2, "0"))


def _text(value) -> str:
    return json.dumps(value)


def event_entries(events, as_of: dt.date):
    """Per enterprise, the JSON list of its counted events (by event id): enterprise_id, events_json."""
    c = contributions(events, as_of)
    entry = ('{"event": ' + c.event_id.cast("string") + ', "type": "' + c.type_code.cast("string")
             + '", "group": "' + c.grp.cast("string") + '", "date": "' + _iso_date(c.day)
             + '", "weight": ' + _fixed4(c.weight.cast("float64")) + ', "age_days": '
             + c.age_days.cast("string") + ', "contribution": ' + _fixed4(c.contribution) + "}")
    c = c.mutate(entry=entry)
    # ordered by event id: collect (id, text) pairs, sort the array (structs sort by their first
    # field on both engines), keep the text
    pairs = c.group_by("enterprise_id").aggregate(
        items=ibis.struct({"id": c.event_id, "entry": c.entry}).collect())
    return pairs.select("enterprise_id",
                        events_json="[" + pairs.items.sort().map(lambda s: s.entry).join(", ") + "]")


def explained(enterprises, events, listings, method: MethodParams, as_of: dt.date):
    """The grades of ``grades`` with their explanation: one more column, ``explanation`` (JSON text)."""
    g = grades(enterprises, events, listings, method, as_of)
    ev = event_entries(events, as_of)
    g = g.left_join(ev, g.enterprise_id == ev.enterprise_id).select(g, ev.events_json)
    groups = []
    for grp in GROUPS:
        spec = method.groups[grp]
        groups.append(f'{_text(grp)}: {{"base": {_text(float(spec["base"]))}, "cap": {_text(float(spec["cap"]))}, '
                      f'"events": ' + _fixed4(g[f"{grp}_events"]) + ', "subtotal": ' + _fixed4(g[grp]) + "}")
    text = (f'{{"method": {_text(method.version)}, "as_of": {_text(as_of.isoformat())}, "score": '
            + _fixed4(g.score) + ', "grade": "' + g.grade + f'", "grade_bands": {_text(method.grade_bands)}, '
            + '"grade_class": "' + g.grade_class + '", "risk_class": "' + g.risk_class + '", "rule": "'
            + g.rule + '", "groups": {' + groups[0] + ", " + groups[1] + ", " + groups[2] + '}, "events": '
            + g.events_json.coalesce("[]") + "}")
    return g.mutate(explanation=text).drop("events_json").order_by("enterprise_id")


def connect(engine: str = "duckdb"):
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        # ibis 12 writes list lambdas (the explanation's ``map``) with the arrow DuckDB 2 deprecates
        con.raw_sql("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
        return con
    if engine == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # Spark is optional on a single-machine deployment
            raise RuntimeError("The Spark engine needs PySpark and a Java runtime: "
                               "pip install -r requirements/spark.txt") from exc

        session = (SparkSession.builder.master("local[2]").appName("zhijian-credit")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.ui.enabled", "false").getOrCreate())
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")


def _inputs(con, snapshot_dir):
    from pathlib import Path

    d = Path(snapshot_dir)
    return tuple(con.read_parquet(str(d / f"{name}.parquet")) for name in ("enterprises", "events", "listings"))


def run(snapshot_dir, method: MethodParams, as_of: dt.date, engine: str = "duckdb", explain: bool = True):
    """Execute the job on ``engine``; returns (grades, contributions) as pyarrow tables, the grades
    with their ``explanation`` column unless ``explain`` is false."""
    con = connect(engine)
    ents, events, listings = _inputs(con, snapshot_dir)
    g = (explained if explain else grades)(ents, events, listings, method, as_of)
    c = contributions(events, as_of).select(
        "event_id", "enterprise_id", "type_code", "grp", "day", "weight", "age_days",
        "contribution").order_by(["enterprise_id", "event_id"])
    return con.to_pyarrow(g), con.to_pyarrow(c)


def run_to_parquet(snapshot_dir, out_dir, method: MethodParams, as_of: dt.date, engine: str = "duckdb",
                   explain: bool = False, with_contributions: bool = True):
    """Execute the job on ``engine`` into ``out_dir``: ``grades.parquet`` (as ``grades``, or as
    ``explained`` with ``explain``: the grades with their explanation JSON, what a run loads) and,
    ``with_contributions``, ``contributions.parquet`` -- event_id, enterprise_id, age_days,
    contribution of every counted event, in snapshot order (enterprise, then event id; type, group,
    date and weight are the snapshot's). DuckDB streams both to disk; returns the paths.

    The contributions are not re-sorted on DuckDB: it keeps the scan order of the snapshot
    (``preserve_insertion_order``, on by default), which is already (enterprise_id, event_id), and
    sorting 100 M rows again would cost more than the grading itself. Other engines sort.
    """
    from pathlib import Path

    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = connect(engine)
    ents, events, listings = _inputs(con, snapshot_dir)
    g = (explained if explain else grades)(ents, events, listings, method, as_of)
    c = contributions(events, as_of).select("event_id", "enterprise_id", "age_days", "contribution")
    paths = {"grades": out / "grades.parquet"}
    if with_contributions:
        paths["contributions"] = out / "contributions.parquet"
    if engine == "duckdb":
        con.raw_sql("SET preserve_insertion_order = true")
        con.to_parquet(g, str(paths["grades"]))
        if with_contributions:
            con.to_parquet(c, str(paths["contributions"]))
    else:
        pq.write_table(con.to_pyarrow(g), str(paths["grades"]))
        if with_contributions:
            pq.write_table(con.to_pyarrow(c.order_by(["enterprise_id", "event_id"])), str(paths["contributions"]))
    return paths
