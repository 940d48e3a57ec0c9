"""Benchmark: forward and backward traces over 10 M lots and 50 M movements (issue 11).

    PGHOST=127.0.0.1 PGPORT=54341 PGUSER=postgres .venv/bin/python bench/trace.py [--scale 1.0]
        [--traces 50] [--seed 11] [--window 400] [--out var/bench/trace] [--skip-postgres]
        [--skip-duckdb] [--skip-orm] [--keep]

1. generates (fixed seed, not timed) ``10 M × scale`` lots and ``50 M × scale`` movements to
   Parquet (``recall_lot.parquet``: id, operator_id, quantity; ``recall_movement.parquet``: id,
   source_id, target_id, kind, quantity): a layered supply chain of 8 tiers (materials →
   products → distributors → … → retailers), each lot of a tier moving into 5–6 lots of the
   next (about 50 M edges for 10 M lots), the targets drawn from a window of ``--window`` lots
   around the lot's place in the next tier — many-to-many, with the convergence of a real chain,
   so that a full trace from a first-tier lot (forward) or a last-tier lot (backward) touches
   about 10,000 lots whatever the scale (given tiers larger than the window spread);
2. loads the files into PostgreSQL (a database ``zhijian_bench_trace``, ``COPY … FROM STDIN``,
   then the indexes the app has: (source_id, target_id) and (target_id, source_id); ANALYZE) and
   into DuckDB (a file in ``--out``; ``read_parquet``), load times printed;
3. runs ``--traces`` forward traces from random first-tier lots and as many backward traces from
   random last-tier lots with ``zhijian.recall.trace.trace`` — the application's one recursive
   CTE — on PostgreSQL (psycopg) and on DuckDB, and, in the same run, the recursive-ORM baseline:
   one query per level through the Django ORM (``Movement.objects.filter(source_id__in=
   frontier)``, fetching the movements as the CTE does) on the same PostgreSQL tables. Prints ms per trace (p50 / p95 / max), the lots
   touched (p50 / max) and checks that the three give the same lots and depths.

Target (issue 11): p95 under 200 ms for a trace touching 10,000 lots. Not run in CI; run the
final measurement when the machine is idle (the load average is printed).
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zhijian.recall import trace as T  # noqa: E402

FULL_LOTS = 10_000_000
FULL_MOVES = 50_000_000
TIERS = 8
TARGET_MS = 200.0
BENCH_DB = "zhijian_bench_trace"
KINDS = np.array(["input", "shipment"])


# --------------------------------------------------------------------------- generation


def generate(scale: float, seed: int, window: int, out: Path) -> tuple[int, int, np.ndarray]:
    """Write the two Parquet files; returns (lots, movements, tier boundaries)."""
    rng = np.random.default_rng(seed)
    n_lots = max(TIERS * 10, int(FULL_LOTS * scale))
    per_tier = n_lots // TIERS
    n_lots = per_tier * TIERS
    bounds = np.arange(TIERS + 1, dtype=np.int64) * per_tier + 1  # ids 1..n
    degree_mean = FULL_MOVES / (FULL_LOTS * (TIERS - 1) / TIERS)  # ≈ 5.71
    lot_ids = np.arange(1, n_lots + 1, dtype=np.int64)
    pq.write_table(pa.table({"id": lot_ids, "operator_id": (lot_ids - 1) // 50 + 1,
                             "quantity": rng.integers(10, 5000, n_lots).astype(np.float64)}),
                   out / "recall_lot.parquet", compression="zstd")
    writer = None
    next_id = 1
    for t in range(TIERS - 1):
        src = np.arange(bounds[t], bounds[t + 1], dtype=np.int64)
        lo = int(degree_mean)
        deg = lo + (rng.random(len(src)) < degree_mean - lo)  # 5 or 6, mean ≈ 5.71
        sources = np.repeat(src, deg)
        centre = (sources - bounds[t])  # the same place in the next tier
        offset = rng.integers(-window // 2, window // 2 + 1, len(sources))
        targets = bounds[t + 1] + np.clip(centre + offset, 0, per_tier - 1)
        # one movement per (source, target): duplicates from the window are dropped
        pair = np.unique(sources * (n_lots + 1) + targets)
        sources, targets = pair // (n_lots + 1), pair % (n_lots + 1)
        n = len(sources)
        table = pa.table({"id": np.arange(next_id, next_id + n, dtype=np.int64), "source_id": sources,
                          "target_id": targets, "kind": pa.array(np.where(t == 0, "input", "shipment").repeat(n)),
                          "quantity": rng.integers(1, 500, n).astype(np.float64)})
        next_id += n
        if writer is None:
            writer = pq.ParquetWriter(out / "recall_movement.parquet", table.schema, compression="zstd")
        writer.write_table(table)
    writer.close()
    return n_lots, next_id - 1, bounds


# --------------------------------------------------------------------------- loading


def pg_connect(dbname: str):
    import psycopg

    return psycopg.connect(host=os.environ.get("PGHOST", "127.0.0.1"), port=os.environ.get("PGPORT", "5432"),
                           user=os.environ.get("PGUSER", "postgres"), password=os.environ.get("PGPASSWORD", ""),
                           dbname=dbname, autocommit=True)


def load_postgres(out: Path) -> float:
    started = time.perf_counter()
    with pg_connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    with pg_connect(BENCH_DB) as conn:
        conn.execute("CREATE TABLE recall_lot (id bigint PRIMARY KEY, operator_id bigint, quantity numeric(16,3))")
        conn.execute("CREATE TABLE recall_movement (id bigint PRIMARY KEY, source_id bigint NOT NULL, "
                     "target_id bigint NOT NULL, kind varchar(16) NOT NULL, quantity numeric(16,3))")
        for table in ("recall_lot", "recall_movement"):
            pf = pq.ParquetFile(out / f"{table}.parquet")
            cols = pf.schema_arrow.names
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN "
                                                "WITH (FORMAT csv)") as copy:
                for batch in pf.iter_batches(batch_size=1_000_000):
                    buf = io.BytesIO()
                    pacsv.write_csv(pa.Table.from_batches([batch]), buf,
                                    pacsv.WriteOptions(include_header=False))
                    copy.write(buf.getvalue())
        conn.execute("CREATE INDEX ON recall_movement (source_id, target_id)")
        conn.execute("CREATE INDEX ON recall_movement (target_id, source_id)")
        conn.execute("VACUUM ANALYZE")  # the visibility map lets the index-only scans skip the heap
    return time.perf_counter() - started


def load_duckdb(out: Path):
    import duckdb

    path = out / "trace.duckdb"
    if path.exists():
        path.unlink()
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    for table in ("recall_lot", "recall_movement"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{out / (table + '.parquet')}')")
    return con, time.perf_counter() - started


# --------------------------------------------------------------------------- the ORM baseline


def orm_setup():
    os.environ["ZHIJIAN_DB"] = "postgres"
    os.environ["PGDATABASE"] = BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")
    import django

    django.setup()


def orm_trace(seed_id: int, direction: str) -> dict[int, int]:
    """One query per level through the Django ORM: the frontier's movements, then the next frontier."""
    from zhijian.recall.models import Movement

    near, far = ("source_id", "target_id") if direction == T.FORWARD else ("target_id", "source_id")
    depth_of = {seed_id: 0}
    edges = []  # the movements traversed, as the CTE returns them
    frontier = [seed_id]
    depth = 0
    while frontier and depth < T.MAX_DEPTH:
        depth += 1
        found = set()
        for i in range(0, len(frontier), 20_000):
            rows = list(Movement.objects.filter(**{f"{near}__in": frontier[i:i + 20_000]})
                        .order_by().values_list("id", "source_id", "target_id", "kind", "quantity"))
            edges += rows
            found.update(r[2] if direction == T.FORWARD else r[1] for r in rows)
        frontier = [x for x in found if x not in depth_of]
        for x in frontier:
            depth_of[x] = depth
    return depth_of


# --------------------------------------------------------------------------- running


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - started) * 1000, result


def summary(name: str, ms: list[float], touched: list[int]) -> str:
    ms_sorted = sorted(ms)
    p95 = ms_sorted[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    verdict = "✓" if p95 < TARGET_MS else "✗"
    return (f"  {name:<28} p50 {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms {verdict}   "
            f"max {max(ms):8.1f} ms   lots touched p50 {int(statistics.median(touched)):,} max {max(touched):,}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = 10 M lots, 50 M movements")
    p.add_argument("--traces", type=int, default=50, help="traces per direction")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--window", type=int, default=400, help="spread of a lot's targets in the next tier")
    p.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "trace")
    p.add_argument("--skip-postgres", action="store_true")
    p.add_argument("--skip-duckdb", action="store_true")
    p.add_argument("--skip-orm", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database and the files")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"load average: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")

    started = time.perf_counter()
    n_lots, n_moves, bounds = generate(args.scale, args.seed, args.window, args.out)
    print(f"generated {n_lots:,} lots, {n_moves:,} movements in {time.perf_counter() - started:.1f} s "
          f"({TIERS} tiers of {bounds[1] - bounds[0]:,} lots)")
    rng = np.random.default_rng(args.seed + 1)
    seeds = {T.FORWARD: rng.integers(bounds[0], bounds[1], args.traces).tolist(),
             T.BACKWARD: rng.integers(bounds[TIERS - 1], bounds[TIERS], args.traces).tolist()}

    engines = {}
    if not args.skip_postgres:
        seconds = load_postgres(args.out)
        print(f"PostgreSQL: loaded (COPY) and indexed in {seconds:.1f} s")
        conn = pg_connect(BENCH_DB)
        engines["PostgreSQL recursive CTE"] = (conn.cursor(), "%s")
    if not args.skip_duckdb:
        con, seconds = load_duckdb(args.out)
        print(f"DuckDB: loaded in {seconds:.1f} s")
        engines["DuckDB recursive CTE"] = (con.cursor(), "?")
    if not args.skip_orm and not args.skip_postgres:
        orm_setup()

    results: dict[tuple[str, int], dict[int, int]] = {}
    mismatches = 0
    for direction in (T.FORWARD, T.BACKWARD):
        print(f"\n{direction} traces ({args.traces}, unlimited depth):")
        for name, (cursor, mark) in engines.items():
            T.trace(cursor, [seeds[direction][0]], direction, placeholder=mark)  # warm-up
            ms, touched = [], []
            for s in seeds[direction]:
                t, res = timed(T.trace, cursor, [s], direction, None, mark)
                ms.append(t)
                touched.append(len(res.lots))
                key = (direction, s)
                if key in results and results[key] != res.lots:
                    mismatches += 1
                results.setdefault(key, res.lots)
            print(summary(name, ms, touched))
        if not args.skip_orm and not args.skip_postgres:
            ms, touched = [], []
            orm_trace(seeds[direction][0], direction)
            for s in seeds[direction]:
                t, res = timed(orm_trace, s, direction)
                ms.append(t)
                touched.append(len(res))
                key = (direction, s)
                if key in results and results[key] != res:
                    mismatches += 1
            print(summary("Django ORM, query per level", ms, touched))
    print(f"\nresults compared across engines: {'all equal' if not mismatches else f'{mismatches} differ'}")
    if not args.keep:
        for name in ("recall_lot.parquet", "recall_movement.parquet", "trace.duckdb"):
            (args.out / name).unlink(missing_ok=True)
        if not args.skip_postgres:
            for _name, (cursor, _mark) in list(engines.items())[:1]:
                cursor.connection.close()
            from django.db import connections

            connections.close_all()
            with pg_connect("postgres") as c:
                c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
