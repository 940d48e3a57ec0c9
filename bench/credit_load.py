"""Benchmark: a province's credit grades, with their explanations, loaded back into PostgreSQL.

    PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres .venv/bin/python bench/credit_load.py \
        [--data DIR] [--enterprises 14000000] [--events 100000000] [--sample 20000] [--keep-db]

Run by ``bench/credit_grade.py --load-postgres`` after the grading job, on the same generated
snapshot (``--data``; generated here when absent, with the same generator and seed). Target
(issue 13 §4): 14 M grades with explanations loaded in under 10 minutes on 2 cores.

1. a fresh database ``zhijian_bench_load`` on the server of ``PGHOST``/``PGPORT`` (dropped at
   the end unless ``--keep-db``), migrated, reference data loaded; the snapshot's enterprises
   inserted (they are the grades' foreign key; not timed). The server's ``fsync`` and
   ``synchronous_commit`` are printed: measure on a server with production durability;
2. the engine builds every grade's explanation (``grading.run_to_parquet(..., explain=True)``, the
   job a grading run executes) -- timed;
3. ``zhijian.credit.loading.load`` with COPY, in one transaction, as ``execute_run`` does --
   timed; the row count and a sample of explanations are checked against the Parquet file;
4. the baseline in the same run: the previous load (``loading.load_orm``: explanations built in
   Python from the contributions, ``bulk_create`` of ``Grade`` objects) on the grades of the
   first ``--sample`` enterprises, extrapolated linearly to all of them.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DB = "zhijian_bench_load"
TARGET_S = 600.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "zhijian-bench-credit"))
    p.add_argument("--enterprises", type=int, default=14_000_000)
    p.add_argument("--events", type=int, default=100_000_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--sample", type=int, default=20_000, help="enterprises for the ORM baseline")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args(argv)


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True) as con:
        con.execute(sql)


def setup_django() -> None:
    os.environ["ZHIJIAN_DB"] = "postgres"
    os.environ["PGDATABASE"] = DB
    os.environ["ZHIJIAN_DEBUG"] = "0"
    os.environ.setdefault("ZHIJIAN_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")
    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhijian.reference import load_all

    load_all()


def insert_enterprises(data: Path, chunk: int = 500_000) -> int:
    """The snapshot's enterprises (id, USCC), every other column copied from one template row."""
    from django.db import connection, transaction

    from zhijian.registry.models import Division, Enterprise

    division = Division.objects.filter(level="county").order_by("code").first()
    template = Enterprise.objects.create(pk=-1, uscc="9" * 18, name="template", division=division)
    table = Enterprise._meta.db_table
    cols = [f.column for f in Enterprise._meta.concrete_fields if f.column not in ("id", "uscc", "name")]
    other = ", ".join(f'tpl."{c}"' for c in cols)
    sql = (f'INSERT INTO "{table}" ("id", "uscc", "name", {", ".join(chr(34) + c + chr(34) for c in cols)}) '
           f"SELECT t.id, t.uscc, 'bench ' || t.id, {other} FROM \"{table}\" tpl, "
           f"unnest(%s::bigint[], %s::text[]) AS t(id, uscc) WHERE tpl.id = %s")
    n = 0
    pf = pq.ParquetFile(str(data / "enterprises.parquet"))
    with transaction.atomic(), connection.cursor() as cur:
        for batch in pf.iter_batches(batch_size=chunk, columns=["enterprise_id", "uscc"]):
            cur.execute(sql, [batch.column(0).to_pylist(), batch.column(1).to_pylist(), template.pk])
            n += batch.num_rows
        template.delete()
        cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
    return n


def main(argv=None) -> int:
    args = parse_args(argv)
    import credit_grade  # the generator of the snapshot (bench/credit_grade.py)

    data = Path(args.data)
    t = time.perf_counter()
    counts = credit_grade.generate(data, args.enterprises, args.events, args.seed)
    print(f"data: {counts['enterprises']:,} enterprises, {counts['events']:,} events ready in "
          f"{time.perf_counter() - t:.1f} s (not counted)")
    setup_django()
    try:
        return run(args, data, counts)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            admin(f"DROP DATABASE IF EXISTS {DB}")


def run(args, data: Path, counts: dict) -> int:
    from django.db import connection

    from zhijian.credit.jobs import method_params
    from zhijian.credit.services import current_method

    with connection.cursor() as cur:
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    la = os.getloadavg()
    print(f"PostgreSQL {version} (fsync {fsync}, synchronous_commit {sync}); load average "
          f"{la[0]:.2f} on {os.cpu_count()} cores")
    t = time.perf_counter()
    n_ent = insert_enterprises(data)
    print(f"{n_ent:,} enterprises inserted in {time.perf_counter() - t:.1f} s (not counted)")

    import credit_grade

    as_of = credit_grade.AS_OF
    method = current_method(as_of)
    params = method_params(method)
    out = Path(tempfile.mkdtemp(prefix="zhijian-bench-load-"))
    try:
        return _timed(args, data, counts, method, params, as_of, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _timed(args, data, counts, method, params, as_of, out) -> int:
    from django.db import transaction
    from django.utils import timezone

    import credit_grade
    from zhijian.analytics import grading
    from zhijian.credit import loading
    from zhijian.credit.models import Grade, GradingRun

    # 2. the engine builds the explanations
    t = time.perf_counter()
    grading.run_to_parquet(data, out, params, as_of, "duckdb", explain=True, with_contributions=False)
    explain_s = time.perf_counter() - t
    path = out / "grades.parquet"
    total = pq.ParquetFile(str(path)).metadata.num_rows
    print(f"engine job with explanations (DuckDB): {explain_s:.1f} s for {total:,} grades")

    # 3. COPY in one transaction
    now = timezone.now()
    run = GradingRun.objects.create(method=method, engine="duckdb", as_of=as_of, started=now,
                                    status=GradingRun.Status.RUNNING, trigger="cli")
    la = os.getloadavg()[0]
    t = time.perf_counter()
    with transaction.atomic():
        loaded = loading.load(path, run=run, method=method, as_of=as_of, computed_at=now, how="copy")
    copy_s = time.perf_counter() - t
    print(f"COPY load: {copy_s:.1f} s for {loaded:,} grades -> {loaded / copy_s:,.0f} grades/s "
          f"(load average {la:.2f} -> {os.getloadavg()[0]:.2f})")
    ok = loaded == total == Grade.objects.filter(run=run).count()
    first = pq.ParquetFile(str(path)).read_row_group(0, columns=["enterprise_id", "explanation"]).slice(0, 50)
    stored = dict(Grade.objects.filter(run=run, enterprise_id__in=first.column(0).to_pylist())
                  .values_list("enterprise_id", "explanation"))
    same = all(json.loads(e) == stored[i] for i, e in zip(first.column(0).to_pylist(), first.column(1).to_pylist()))
    print(f"rows loaded = rows written: {'yes' if ok else 'NO'}; explanations as written: {'yes' if same else 'NO'}")

    # 4. baseline: the previous load on the first --sample enterprises, extrapolated
    sample = out / "sample"
    credit_grade.slice_events(data, sample, max(1, int(counts["events"] * args.sample / counts["enterprises"])))
    grades_tbl, contrib_tbl = grading.run(sample, params, as_of, "duckdb", explain=False)
    grades_tbl = grades_tbl.filter(pc.less_equal(grades_tbl.column("enterprise_id"), args.sample))
    base_run = GradingRun.objects.create(method=method, engine="duckdb", as_of=as_of, started=now,
                                         status=GradingRun.Status.RUNNING, trigger="cli")
    t = time.perf_counter()
    with transaction.atomic():
        n = loading.load_orm(grades_tbl, contrib_tbl, run=base_run, method=method, as_of=as_of, computed_at=now)
    orm_s = time.perf_counter() - t
    orm_full = orm_s * total / max(1, n)
    print(f"previous load (Python explanations + bulk_create): {orm_s:.1f} s for {n:,} grades -> "
          f"{orm_full:,.0f} s extrapolated to {total:,}")
    end_to_end = explain_s + copy_s
    print(f"RESULT {total:,} grades with explanations into PostgreSQL: engine {explain_s:.0f} s + COPY "
          f"{copy_s:.0f} s = {end_to_end:.0f} s ({end_to_end / 60:.1f} min; target < {TARGET_S / 60:.0f} min: "
          f"{'met' if end_to_end < TARGET_S else 'NOT met'}); previous load {orm_full / 60:,.0f} min "
          f"extrapolated; ratio {orm_full / end_to_end:,.1f}x")
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
