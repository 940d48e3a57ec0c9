"""Benchmark: credit grading at province scale -- 14 M enterprises, 100 M events -- on DuckDB.

    .venv/bin/python bench/credit_grade.py [--enterprises 14000000] [--events 100000000]
        [--sample 100000] [--spark-events 1000000] [--data DIR] [--keep] [--load-postgres]

1. generates the three Parquet tables of a grading snapshot (``zhijian.analytics.snapshot``
   layout: events clustered by enterprise) directly with numpy/pyarrow, in chunks, from a fixed
   seed: ``--enterprises`` enterprises (Jiangsu-looking USCCs), ``--events`` credit events of the reference event types
   (frequencies skewed towards spot-check results; dates up to ~5.5 years before the grading
   date; half-life and validity in days from ``data/event_types.csv``), and 0.5 % / 2 % of the
   enterprises on the serious-violation / abnormal-operation lists (some listings ended).
   Not timed; the files are reused from ``--data`` when they were generated with the same
   arguments;
2. times the grading job -- the Ibis definition of ``zhijian.analytics.grading`` on DuckDB --
   over those files: grades for every enterprise *and* every event's decayed contribution (the
   explanation input), both written to Parquet by ``grading.run_to_parquet`` (``run_grading``
   gets the same two results in memory from ``grading.run``);
   prints seconds, events/s and the job's CPU time, then checks (not timed) that the contributions
   came out in (enterprise, event) order. Target (DESIGN §9): under 60 s on a 2-core machine;
3. the naive baseline: the same grading as a per-enterprise Python/ORM loop (one query for the
   enterprise's events with their types, one for its listings, decay and bands in Python) over
   a ``--sample``-event slice loaded into a temporary SQLite database; it is extrapolated
   linearly to ``--events`` and the ratio printed. The loop's grades are checked against the
   DuckDB job's on the same slice;
4. PySpark (local mode, 2 cores): the same job on a ``--spark-events`` slice (session start
   reported separately); 0 skips it;
5. the bulk-load rate of grades into the (SQLite) database through ``run_grading`` on the
   sample, for information (not part of the 60 s target);
6. with ``--load-postgres``: ``bench/credit_load.py`` on the same files -- every grade's
   explanation built by the engine and the grades loaded into PostgreSQL with COPY, against the
   previous Python load in the same run (target: 14 M grades in under 10 minutes).

Run the final measurement when the machine is idle (the load average is printed).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import secrets
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVENT_TYPES = ROOT / "zhijian" / "credit" / "data" / "event_types.csv"
AS_OF = dt.date(2026, 6, 30)
DAYS_PER_MONTH = 30
MAX_AGE_DAYS = 2000
CHUNK = 10_000_000
# relative frequency of each event type in the generated data (unlisted codes: 1)
FREQUENCY = {"spotcheck_qualified": 40, "spotcheck_unqualified": 6, "recheck_qualified": 3,
             "complaint_upheld": 8, "penalty_minor": 6, "penalty_ordinary": 3, "certification_gained": 6,
             "standard_declaration": 10, "quality_commitment": 8, "brand": 3}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--enterprises", type=int, default=14_000_000)
    p.add_argument("--events", type=int, default=100_000_000)
    p.add_argument("--sample", type=int, default=100_000, help="events for the naive ORM baseline")
    p.add_argument("--spark-events", type=int, default=1_000_000, help="events for PySpark (0: skip)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "zhijian-bench-credit"),
                   help="directory of the generated Parquet files (reused when the arguments match)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument("--load-postgres", action="store_true",
                   help="then time the load-back of every grade with its explanation into PostgreSQL "
                        "(bench/credit_load.py, server from PGHOST/PGPORT/PGUSER)")
    return p.parse_args(argv)


def event_types():
    with open(EVENT_TYPES, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def days(v):
        return int(v) * DAYS_PER_MONTH if v.strip() else -1

    return {"code": [r["code"] for r in rows], "grp": [r["group"] for r in rows],
            "weight": np.array([float(r["weight"]) for r in rows]),
            "half_life": np.array([days(r["half_life_months"]) for r in rows], np.int64),
            "validity": np.array([days(r["validity_months"]) for r in rows], np.int64),
            "p": np.array([FREQUENCY.get(r["code"], 1) for r in rows], float)}


def _nullable(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.int64(), mask=values < 0)


def _dict_strings(indices: np.ndarray, labels: list[str]) -> pa.Array:
    """A string column as dictionary codes (Parquet stores it dictionary-encoded; read as VARCHAR)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(labels, pa.string()))


def make_usccs(ids: np.ndarray, rng) -> pa.Array:
    """18-character USCC-looking strings (county 3205xx, serial from the id; check digits random)."""
    n = len(ids)
    u8 = np.empty((n, 18), np.uint8)
    u8[:, 0], u8[:, 1] = ord("9"), ord("1")
    county = 320500 + (ids % 9) + 2
    for j in range(5, -1, -1):
        u8[:, 2 + j] = 48 + county % 10
        county = county // 10
    s = ids.copy()
    for j in range(7, -1, -1):
        u8[:, 8 + j] = 48 + s % 10
        s //= 10
    u8[:, 16:18] = rng.integers(48, 58, (n, 2), dtype=np.uint8)
    offsets = pa.array(np.arange(0, 18 * n + 1, 18, dtype=np.int32))
    return pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(u8.tobytes()))


def generate(directory: Path, n_ent: int, n_ev: int, seed: int) -> dict:
    """Write enterprises/events/listings Parquet files; returns their row counts."""
    directory.mkdir(parents=True, exist_ok=True)
    meta_file = directory / "meta.json"
    meta = {"enterprises": n_ent, "events": n_ev, "seed": seed, "as_of": AS_OF.isoformat(), "v": 2}
    if meta_file.exists() and json.loads(meta_file.read_text()).get("args") == meta:
        return json.loads(meta_file.read_text())["counts"]
    rng = np.random.default_rng(seed)
    from zhijian.analytics.snapshot import SCHEMAS

    ent_schema = SCHEMAS["enterprises"]
    with pq.ParquetWriter(str(directory / "enterprises.parquet"), ent_schema) as w:
        for start in range(0, n_ent, CHUNK):
            ids = np.arange(start + 1, min(start + CHUNK, n_ent) + 1, dtype=np.int64)
            w.write_table(pa.table({"enterprise_id": ids, "uscc": make_usccs(ids, rng),
                                    "division": pa.array(np.full(len(ids), "320505"))}, schema=ent_schema))

    t = event_types()
    p = t["p"] / t["p"].sum()
    asof = (AS_OF - dt.date(1970, 1, 1)).days
    ev_schema = pa.schema([f if f.type != pa.string() else pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
                           for f in SCHEMAS["events"]])
    # enterprises have skewed activity (a few with many events); the snapshot stores events
    # clustered by enterprise (``snapshot.export`` orders them by enterprise, then id)
    activity = rng.pareto(1.5, n_ent) + 0.2
    per_ent = rng.multinomial(n_ev, activity / activity.sum())
    del activity
    cum = np.cumsum(per_ent)
    bounds = [0, *np.searchsorted(cum, np.arange(CHUNK, n_ev, CHUNK), side="right").tolist(), n_ent]
    group_codes = sorted(set(t["grp"]))
    grp_of_type = np.array([group_codes.index(g) for g in t["grp"]], np.int32)
    with pq.ParquetWriter(str(directory / "events.parquet"), ev_schema) as w:
        first_event = 1
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                continue
            ent = np.repeat(np.arange(a + 1, b + 1, dtype=np.int64), per_ent[a:b])
            m = len(ent)
            typ = rng.choice(len(p), m, p=p).astype(np.int32)
            day = asof - rng.integers(0, MAX_AGE_DAYS, m)
            w.write_table(pa.table({
                "event_id": np.arange(first_event, first_event + m, dtype=np.int64), "enterprise_id": ent,
                "type_code": _dict_strings(typ, t["code"]), "grp": _dict_strings(grp_of_type[typ], group_codes),
                "day": day, "weight": t["weight"][typ],
                "half_life_days": _nullable(t["half_life"][typ]),
                "validity_days": _nullable(t["validity"][typ])}, schema=ev_schema))
            first_event += m
    del per_ent, cum

    n_serious, n_abnormal = n_ent // 200, n_ent // 50
    who = rng.choice(n_ent, n_serious + n_abnormal, replace=False).astype(np.int64) + 1
    kind = np.repeat(np.array([0, 1], np.int32), [n_serious, n_abnormal])
    start_day = asof - rng.integers(0, 1500, len(who))
    length = rng.integers(90, 1500, len(who))
    end_day = np.where(rng.random(len(who)) < 0.7, -1, start_day + length)
    order = np.argsort(who, kind="stable")
    pq.write_table(pa.table({
        "enterprise_id": who[order],
        "kind": pa.array(np.array(["serious_violation", "abnormal_operation"])[kind[order]]),
        "start_day": start_day[order], "end_day": _nullable(end_day[order])}, schema=SCHEMAS["listings"]),
        str(directory / "listings.parquet"))
    counts = {"enterprises": n_ent, "events": n_ev, "listings": len(who)}
    meta_file.write_text(json.dumps({"args": meta, "counts": counts}))
    return counts


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def duckdb_job(directory: Path, out: Path, params, as_of=AS_OF) -> tuple[float, float]:
    """The Ibis job on DuckDB, grades and contributions written to Parquet; (wall, CPU) seconds."""
    from zhijian.analytics import grading

    t, c = time.perf_counter(), cpu_seconds()
    grading.run_to_parquet(directory, out, params, as_of, "duckdb")
    return time.perf_counter() - t, cpu_seconds() - c


def slice_events(directory: Path, out: Path, n_events: int) -> dict:
    """The first enterprises of the data set with (about) ``n_events`` events: a consistent
    sub-snapshot (all their events, their listings) for the baseline and PySpark."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    ev = directory / "events.parquet"
    # events are clustered by enterprise, ids ascending: the enterprise of event n bounds the slice
    k = con.execute(f"SELECT max(enterprise_id) FROM '{ev}' WHERE event_id <= {int(n_events)}").fetchone()[0]
    for name in ("enterprises", "events", "listings"):
        order = "enterprise_id, event_id" if name == "events" else "enterprise_id"
        con.execute(f"COPY (SELECT * FROM '{directory / (name + '.parquet')}' WHERE enterprise_id <= {k or 0} "
                    f"ORDER BY {order}) TO '{out / (name + '.parquet')}' (FORMAT parquet)")
    return {name: _rows(str(out / f"{name}.parquet")) for name in ("enterprises", "events", "listings")}


def in_order(path: Path) -> bool:
    """Whether the contributions are in (enterprise_id, event_id) order (streamed check)."""
    prev, ok = (np.array([-1]), np.array([-1])), True
    for b in pq.ParquetFile(str(path)).iter_batches(batch_size=5_000_000, columns=["enterprise_id", "event_id"]):
        e = np.concatenate([prev[0], b.column(0).to_numpy()])
        ev = np.concatenate([prev[1], b.column(1).to_numpy()])
        ok &= bool(((e[1:] > e[:-1]) | ((e[1:] == e[:-1]) & (ev[1:] > ev[:-1]))).all())
        prev = (e[-1:], ev[-1:])
    return ok


def _rows(path: str) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def setup_django(workdir: Path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhijian.settings"
    os.environ["ZHIJIAN_VAR_DIR"] = str(workdir)
    os.environ["ZHIJIAN_DB"] = "sqlite"
    os.environ["ZHIJIAN_SQLITE"] = str(workdir / "bench.sqlite3")
    os.environ["ZHIJIAN_DEBUG"] = "0"
    os.environ.setdefault("ZHIJIAN_SECRET_KEY", secrets.token_urlsafe(64))  # DEBUG off needs one
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhijian.reference import load_all

    load_all()


def load_sample(directory: Path) -> None:
    """Enterprises, events and listings of a slice into the database, ids kept (bulk_create)."""
    from zhijian.credit.models import CreditEvent, EnterpriseListing, EventType
    from zhijian.registry.models import Division, Enterprise

    ents = pq.read_table(directory / "enterprises.parquet").to_pydict()
    division = Division.objects.filter(code="320505").first() or Division.objects.filter(level="county").first()
    Enterprise.objects.bulk_create(
        [Enterprise(pk=i, uscc=u, name=f"bench {i}", division=division)
         for i, u in zip(ents["enterprise_id"], ents["uscc"])], batch_size=5000)
    types = {t.code: t for t in EventType.objects.all()}
    ev = pq.read_table(directory / "events.parquet", columns=["event_id", "enterprise_id", "type_code", "day",
                                                                 "weight"]).to_pydict()
    epoch = dt.date(1970, 1, 1)
    CreditEvent.objects.bulk_create(
        [CreditEvent(pk=i, enterprise_id=e, type=types[c], weight=w, date=epoch + dt.timedelta(days=d))
         for i, e, c, d, w in zip(ev["event_id"], ev["enterprise_id"], ev["type_code"], ev["day"], ev["weight"])],
        batch_size=5000)
    li = pq.read_table(directory / "listings.parquet").to_pydict()
    EnterpriseListing.objects.bulk_create(
        [EnterpriseListing(enterprise_id=e, kind=k, start=epoch + dt.timedelta(days=s),
                           end=None if x is None else epoch + dt.timedelta(days=x),
                           reason="bench")
         for e, k, s, x in zip(li["enterprise_id"], li["kind"], li["start_day"], li["end_day"])],
        batch_size=5000)


def naive_grades(method, as_of=AS_OF) -> dict[int, tuple]:
    """The grading as a per-enterprise Python/ORM loop: {enterprise id: (score, grade, risk class)}."""
    from zhijian.credit.models import CreditEvent, EnterpriseListing
    from zhijian.registry.models import Enterprise

    bands, rules = method.grade_bands, method.risk_rules
    result = {}
    for ent in Enterprise.objects.order_by("pk").iterator(chunk_size=2000):
        sums = defaultdict(float)
        for e in CreditEvent.objects.filter(enterprise=ent, date__lte=as_of).select_related("type"):
            age = (as_of - e.date).days
            t = e.type
            if t.validity_months is not None and age >= t.validity_months * DAYS_PER_MONTH:
                continue
            decay = 1.0 if t.half_life_months is None else math.exp(
                -age * math.log(2.0) / (t.half_life_months * DAYS_PER_MONTH))
            sums[t.group] += float(e.weight) * decay
        score = 0.0
        for g, spec in method.groups.items():
            score += round(min(max(float(spec["base"]) + sums[g], 0.0), float(spec["cap"])), 2)
        score = round(score, 2)
        grade = next((g for g in ("AAA", "AA", "A", "B") if score >= float(bands[g])), "C")
        cls = rules["by_grade"][grade]
        kinds = {li.kind for li in EnterpriseListing.objects.filter(enterprise=ent, start__lte=as_of)
                 if li.end is None or li.end > as_of}
        if "serious_violation" in kinds:
            cls = rules.get("serious_violation", "D")
        elif "abnormal_operation" in kinds and cls < rules.get("abnormal_operation", "C"):
            cls = rules.get("abnormal_operation", "C")
        result[ent.pk] = (score, grade, cls)
    return result


def main(argv=None):
    args = parse_args(argv)
    la = os.getloadavg()
    print(f"load average: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} on {os.cpu_count()} cores")
    data = Path(args.data)
    work = Path(tempfile.mkdtemp(prefix="zhijian-bench-credit-"))
    try:
        return _main(args, data, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


def _main(args, data: Path, work: Path) -> int:
    t = time.perf_counter()
    counts = generate(data, args.enterprises, args.events, args.seed)
    size = sum(f.stat().st_size for f in data.glob("*.parquet")) / 1e9
    print(f"data: {counts['enterprises']:,} enterprises, {counts['events']:,} events, "
          f"{counts['listings']:,} listings ({size:.2f} GB Parquet) ready in {time.perf_counter() - t:.1f} s "
          f"(not counted)")

    setup_django(work)
    from zhijian.credit.jobs import method_params
    from zhijian.credit.services import current_method

    method = current_method(AS_OF)
    params = method_params(method)

    la = os.getloadavg()
    job_s, job_cpu = duckdb_job(data, work / "out", params)
    out_rows = {n: _rows(str(work / "out" / f"{n}.parquet")) for n in ("grades", "contributions")}
    rate = counts["events"] / job_s
    print(f"DuckDB job: {job_s:.2f} s for {counts['events']:,} events -> {rate:,.0f} events/s "
          f"({out_rows['grades']:,} grades, {out_rows['contributions']:,} contributions written; "
          f"CPU {job_cpu:.1f} s; load average before {la[0]:.2f}, after {os.getloadavg()[0]:.2f})")

    ordered = in_order(work / "out" / "contributions.parquet")
    print(f"contributions in (enterprise, event) order: {'yes' if ordered else 'NO'} (checked, not timed)")

    # naive baseline on a slice of about --sample events, and agreement with the job there
    sample_dir = work / "sample"
    sc = slice_events(data, sample_dir, args.sample)
    load_sample(sample_dir)
    t = time.perf_counter()
    naive = naive_grades(method)
    naive_s = time.perf_counter() - t
    duck_s, _cpu = duckdb_job(sample_dir, work / "sample-out", params)
    g = pq.read_table(work / "sample-out" / "grades.parquet",
                      columns=["enterprise_id", "score", "grade", "risk_class"]).to_pydict()
    job = {i: (s, gr, c) for i, s, gr, c in zip(g["enterprise_id"], g["score"], g["grade"], g["risk_class"])}
    same = job == naive
    naive_full = naive_s * counts["events"] / max(1, sc["events"])
    print(f"naive per-enterprise ORM loop: {naive_s:.2f} s for {sc['enterprises']:,} enterprises / "
          f"{sc['events']:,} events -> {naive_full:,.0f} s extrapolated to {counts['events']:,} events "
          f"(DuckDB on the same slice: {duck_s:.2f} s)")
    print(f"engines agree on the slice: {'yes' if same else 'NO'}")
    print(f"ratio naive / DuckDB: {naive_full / job_s:,.0f}x")

    # bulk load of the slice's grades through a real run (information)
    from zhijian.credit.jobs import run_grading

    t = time.perf_counter()
    run = run_grading(as_of=AS_OF, snapshot_dir=work / "run")
    load_s = time.perf_counter() - t
    print(f"run_grading on the slice (export + job + load into SQLite): {load_s:.2f} s for "
          f"{run.grade_count:,} grades -> {run.grade_count / load_s:,.0f} grades/s end to end")

    spark_s, spc = None, None
    if args.spark_events:
        from zhijian.analytics import grading

        spark_dir = work / "spark"
        spc = slice_events(data, spark_dir, args.spark_events)
        t = time.perf_counter()
        grading.connect("spark")
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        grading.run_to_parquet(spark_dir, work / "spark-out", params, AS_OF, "spark")
        spark_s = time.perf_counter() - t
        t = time.perf_counter()
        grading.run_to_parquet(spark_dir, work / "spark-duck", params, AS_OF, "duckdb")
        duck_small = time.perf_counter() - t
        print(f"PySpark local[2]: {spark_s:.2f} s for {spc['events']:,} events "
              f"({spc['enterprises']:,} enterprises; session start {start_s:.1f} s not counted); "
              f"DuckDB on the same slice {duck_small:.2f} s")

    target = 60.0
    print(f"RESULT credit grading {counts['enterprises']:,} enterprises / {counts['events']:,} events on DuckDB: "
          f"{job_s:.2f} s, {rate:,.0f} events/s (target < {target:.0f} s: "
          f"{'met' if job_s < target else 'NOT met'}); naive ORM loop {naive_full:,.0f} s extrapolated; "
          f"ratio {naive_full / job_s:,.0f}x" + (f"; PySpark {spc['events']:,}-event slice {spark_s:.2f} s" if spark_s else ""))
    if not (same and ordered):
        return 1
    if args.load_postgres:
        # a process of its own: this one's Django is set up on SQLite
        import subprocess

        return subprocess.call([sys.executable, str(ROOT / "bench" / "credit_load.py"), "--data", str(data),
                                "--enterprises", str(args.enterprises), "--events", str(args.events),
                                "--seed", str(args.seed)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
