"""Benchmark: import 1 M generated enterprise rows from CSV, validated, all or nothing.

    .venv/bin/python bench/import_enterprises.py [--rows 1000000] [--sample 20000] [--postgres]

1. generates ``--rows`` valid enterprise rows (``zhijian.registry.generator.enterprise_table``
   when it is available, otherwise a vectorised generator here) and writes them as a CSV
   file with the Chinese headers of an export;
2. sets up a fresh SQLite database in a temporary directory (migrate + reference data) --
   or, with ``--postgres``, a fresh PostgreSQL database ``zhijian_bench`` on $PGHOST:$PGPORT;
3. imports the file through the real import path (an ``ImportJob`` run by
   ``zhijian.core.jobs.process_job``, exactly what ``zhijian import-data`` does) and prints
   rows/s and seconds;
4. measures the naive baseline -- one ``Enterprise(...).full_clean(); save()`` per row inside
   one transaction, with the per-row audit signal -- on ``--sample`` rows, extrapolates it to
   ``--rows`` and prints the ratio.

Target (DESIGN §9): under 60 s for 1 M rows on a 2-core machine.
"""
from __future__ import annotations

import argparse
import csv
import os
import secrets
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADERS = {  # canonical key -> the Chinese header an export writes
    "uscc": "统一社会信用代码", "name": "企业名称", "division": "行政区划代码",
    "industry": "行业代码", "address": "地址", "legal_representative": "法定代表人",
    "established_on": "成立日期", "registered_capital": "注册资本（万元）", "scale": "规模",
    "status": "状态", "phone": "联系电话",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=20_000, help="rows for the naive baseline")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--postgres", action="store_true", help="also run on PostgreSQL ($PGHOST/$PGPORT)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return p.parse_args(argv)


def configure(workdir: Path, engine: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhijian.settings"
    os.environ["ZHIJIAN_VAR_DIR"] = str(workdir)
    os.environ["ZHIJIAN_DEBUG"] = "0"
    os.environ.setdefault("ZHIJIAN_SECRET_KEY", secrets.token_urlsafe(64))  # DEBUG off needs one
    os.environ["ZHIJIAN_DB"] = engine
    if engine == "sqlite":
        os.environ["ZHIJIAN_SQLITE"] = str(workdir / "bench.sqlite3")
    else:
        os.environ.setdefault("PGHOST", "127.0.0.1")
        os.environ.setdefault("PGPORT", "54329")
        os.environ.setdefault("PGUSER", "postgres")
        os.environ["PGDATABASE"] = "zhijian_bench"
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS zhijian_bench")
            conn.execute("CREATE DATABASE zhijian_bench")


def generate(n: int, seed: int, serial_offset: int = 0):
    """``n`` enterprise rows as an Arrow table of strings keyed like the import columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if serial_offset == 0:
        try:
            from zhijian.registry.generator import enterprise_table

            table = enterprise_table(n, seed)
            cols = {}
            for key in HEADERS:
                col = table.column(key)
                if key == "registered_capital":
                    col = pc.cast(pc.cast(pc.round(col, 2), pa.decimal128(14, 2)), pa.string())
                cols[key] = pc.fill_null(pc.cast(col, pa.string()), "")
            return pa.table(cols), "zhijian.registry.generator.enterprise_table"
        except (ImportError, AttributeError, TypeError):
            pass
    from zhijian.registry.models import Division, Industry

    rng = np.random.default_rng(seed + serial_offset)
    divisions = np.array(sorted(Division.objects.filter(level="county").values_list("code", flat=True)))
    industries = np.array(sorted(Industry.objects.filter(level=4).values_list("code", flat=True)))
    div = divisions[rng.integers(0, len(divisions), n)]
    serial = np.arange(n, dtype=np.int64) + 10_000_000 + serial_offset
    # Vectorised make_uscc: "91" + division + 8-digit serial + org check + USCC check.
    alphabet = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
    body = np.char.add(np.char.add("91", div), np.char.zfill(serial.astype(str), 8))
    digits = np.frombuffer(np.char.encode(body).tobytes(), dtype=np.uint8).reshape(n, 16) - 48
    org = (digits[:, 8:16] * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(1)
    org = 11 - org % 11
    org_char = np.where(org == 11, "0", np.where(org == 10, "X", org.astype(str)))
    first17 = np.char.add(body, org_char)
    vals = np.frombuffer(np.char.encode(first17).tobytes(), dtype=np.uint8).reshape(n, 17)
    lut = np.zeros(256, np.int64)
    lut[alphabet] = np.arange(31)
    total = (lut[vals] * np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])).sum(1)
    check = alphabet[(31 - total % 31) % 31].view("S1").astype(str)
    uscc = np.char.add(first17, check)
    days = rng.integers(0, 365 * 40, n)
    est = (np.datetime64("1985-01-01") + days.astype("timedelta64[D]")).astype(str)
    table = pa.table({
        "uscc": pa.array(uscc), "name": pa.array(np.char.add("测试企业", serial.astype(str))),
        "division": pa.array(div), "industry": pa.array(industries[rng.integers(0, len(industries), n)]),
        "address": pa.array(np.char.add("江苏省某路", rng.integers(1, 999, n).astype(str))),
        "legal_representative": pa.array(np.array(["张三", "李四", "王五"])[rng.integers(0, 3, n)]),
        "established_on": pa.array(est),
        "registered_capital": pa.array((rng.integers(10, 10_000_000, n) / 100).astype(str)),
        "scale": pa.array(np.array(["大型", "中型", "小型", "微型"])[rng.integers(0, 4, n)]),
        "status": pa.array(np.array(["存续", "经营异常", "注销"])[rng.integers(0, 3, n)]),
        "phone": pa.array(np.char.add("1380000", rng.integers(1000, 9999, n).astype(str))),
    })
    return table, "bench generator"


def write_csv(table, path: Path) -> None:
    import pyarrow.csv as pacsv

    renamed = table.rename_columns([HEADERS[c] for c in table.column_names])
    pacsv.write_csv(renamed, path, pacsv.WriteOptions(quoting_style="needed"))


def naive_baseline(rows: list[dict]) -> float:
    """One full_clean() + save() per row (with the audit signal), in one transaction."""
    import datetime
    import decimal

    from django.db import transaction

    from zhijian.core.context import change_context
    from zhijian.registry.models import Enterprise

    scale = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
    status = {"存续": "active", "经营异常": "abnormal", "吊销": "revoked", "注销": "cancelled"}
    start = time.perf_counter()
    with change_context(source="cli"), transaction.atomic():
        for r in rows:
            e = Enterprise(
                uscc=r["uscc"], name=r["name"], division_id=r["division"],
                industry_id=r["industry"] or None, address=r["address"],
                legal_representative=r["legal_representative"],
                established_on=datetime.date.fromisoformat(r["established_on"]) if r["established_on"] else None,
                registered_capital=decimal.Decimal(r["registered_capital"]) if r["registered_capital"] else None,
                scale=scale.get(r["scale"], r["scale"]), status=status.get(r["status"], r["status"]),
                phone=r["phone"])
            e.full_clean()
            e.save()
    return time.perf_counter() - start


def run(engine: str, args, workdir: Path) -> dict:
    configure(workdir, engine)
    import django

    django.setup()
    from django.core.management import call_command

    from zhijian.core.jobs import create_job, process_job
    from zhijian.registry.models import Enterprise
    from zhijian.registry.reference import load_all

    print(f"== {engine}: {args.rows:,} rows ==")
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_all()
    print(f"database ready (migrate + reference data) in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    table, source = generate(args.rows, args.seed)
    csv_path = workdir / "enterprises.csv"
    write_csv(table, csv_path)
    print(f"generated {args.rows:,} rows with {source} -> {csv_path.stat().st_size / 1e6:.0f} MB CSV "
          f"in {time.perf_counter() - t:.1f} s")

    phases = {}
    last = [time.perf_counter(), None]

    def progress(phase, done, total):
        now = time.perf_counter()
        if phase != last[1]:
            if last[1] is not None:
                phases[last[1]] = phases.get(last[1], 0) + now - last[0]
            last[0], last[1] = now, phase

    t = time.perf_counter()
    job = create_job("enterprises", csv_path, source="cli")
    result = process_job(job.pk, progress=progress)
    fast = time.perf_counter() - t
    phases[last[1]] = phases.get(last[1], 0) + time.perf_counter() - last[0]
    if not result.ok:
        for e in result.errors[:20]:
            print("  ", e)
        raise SystemExit(f"import rejected: {result.error_count} errors")
    count = Enterprise.objects.count()
    assert count == args.rows, (count, args.rows)
    print(f"import: {args.rows:,} rows in {fast:.1f} s = {args.rows / fast:,.0f} rows/s "
          f"(phases: {', '.join(f'{k} {v:.1f} s' for k, v in phases.items())}); "
          f"ids {result.first_id}..{result.last_id}, audit entry #{result.audit_seq}; "
          f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")

    sample_n = min(args.sample, args.rows)
    sample_table, _ = generate(sample_n, args.seed, serial_offset=50_000_000)
    sample_path = workdir / "sample.csv"
    write_csv(sample_table, sample_path)
    with open(sample_path, encoding="utf-8", newline="") as fh:
        rows = [{k: r[HEADERS[k]] for k in HEADERS} for r in csv.DictReader(fh)]
    naive = naive_baseline(rows)
    naive_rate = sample_n / naive
    naive_full = args.rows / naive_rate
    print(f"naive ORM loop: {sample_n:,} rows in {naive:.1f} s = {naive_rate:,.0f} rows/s -> "
          f"{naive_full:,.0f} s extrapolated for {args.rows:,} rows")
    print(f"speed-up: {naive_full / fast:.1f}x; target < 60 s for 1 M rows: "
          f"{'MET' if fast * 1_000_000 / args.rows < 60 else 'MISSED'} "
          f"({fast * 1_000_000 / args.rows:.1f} s per million)")
    from django.db import connections

    connections.close_all()
    return {"engine": engine, "rows": args.rows, "seconds": fast, "naive_rows_per_s": naive_rate}


def main(argv=None):
    args = parse_args(argv)
    engines = ["sqlite"] + (["postgres"] if args.postgres else [])
    if len(engines) > 1:
        # Django is configured once per process: run each engine in its own process.
        import subprocess

        base = [sys.executable, __file__, "--rows", str(args.rows), "--sample", str(args.sample),
                "--seed", str(args.seed)]
        rc = subprocess.call(base)
        env = dict(os.environ, ZHIJIAN_BENCH_ENGINE="postgres")
        return rc or subprocess.call(base, env=env)
    engine = os.environ.get("ZHIJIAN_BENCH_ENGINE", "sqlite")
    workdir = Path(tempfile.mkdtemp(prefix="zhijian-bench-"))
    try:
        run(engine, args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
