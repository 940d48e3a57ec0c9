"""Benchmark: the public recall API (``GET /api/recall/recalls/``) on PostgreSQL (issue 11).

    PGHOST=127.0.0.1 PGPORT=54331 PGUSER=postgres .venv/bin/python bench/recall_api.py
        [--records 100000] [--repeat 15] [--seed 11] [--keep]

1. creates the database ``zhijian_bench_recall`` (migrated; dropped first unless ``--keep`` finds
   it filled) and writes ``--records`` published recall records (fixed seed, not timed): product
   descriptions from the key product catalog, reasons from hazard phrases, firms, lots, cities
   and dates spread over ten years;
2. sends each query of ``QUERIES`` ``--repeat`` times through the whole Django stack (the test
   client: URL routing, the API view, the openFDA query parser, the queryset, the JSON answer) —
   with the indexes of migrations ``recall.0002`` (trigram, text search) and ``0003``
   (``meta.last_updated``), and, in the same run, without them (the migrations reversed,
   ``ANALYZE``), the baseline; the indexes are restored at the end;
3. prints ms per request (p50 / p95) with and without the indexes and their ratio, the records
   each query matched, and the machine's load average.

Not run in CI.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "zhijian_bench_recall"
QUERIES = [
    ("list, newest first", {"limit": "100"}),
    ("word in description", {"search": "product_description:电水壶", "limit": "100"}),
    ("word in reason", {"search": "reason_for_recall:overheating", "limit": "100"}),
    ("phrase in firm", {"search": 'recalling_firm:"Heater Works"', "limit": "100"}),
    ("lot code", {"search": "code_info:LOT-2025-03", "limit": "100"}),
    ("words AND class", {"search": "product_description:儿童 AND classification:I", "limit": "100"}),
    ("date range", {"search": "report_date:[20240101 TO 20241231]", "limit": "100"}),
    ("count by class", {"count": "classification"}),
    ("count by firm", {"count": "recalling_firm.exact"}),
]

FIRMS = ["Suzhou Heater Works", "Nanjing Toy Co.", "Wuxi Appliance Ltd", "Changzhou Kettle Factory",
         "苏州电器有限公司", "南京儿童用品厂", "无锡照明科技", "常州电动车制造", "Yangzhou Textile Mill",
         "Nantong Helmet Co."]
REASONS = ["Thermostat overheating may cause a fire", "Small parts may be swallowed by children",
           "插头温升过高，有起火风险", "电池过热可能起火", "Sharp edges may cut the user", "甲醛含量超标",
           "头盔冲击吸收性能不合格", "Insulation failure may cause electric shock", "制动性能不足", "包装标识不全"]
CITIES = ["南京", "苏州", "无锡", "常州", "南通", "扬州", "徐州", "盐城"]


def setup(records: int, seed: int, keep: bool) -> int:
    os.environ["ZHIJIAN_DB"] = "postgres"
    os.environ["PGDATABASE"] = BENCH_DB
    os.environ["ZHIJIAN_ANON_RATE"] = "100000000/minute"  # the bench is one client
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")
    import psycopg
    from psycopg import sql

    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and not keep:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        if not exists or not keep:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhijian.recall.models import RecallRecord

    have = RecallRecord.objects.count()
    if have >= records:
        return have
    from zhijian.complaints.classifier.dictionary import catalog_from_csv

    products = [name for _, name, _ in catalog_from_csv()]
    rng = random.Random(seed)
    start = dt.date(2016, 1, 1)
    batch = []
    t0 = time.perf_counter()
    for i in range(have, records):
        day = start + dt.timedelta(days=rng.randrange(3650))
        batch.append(RecallRecord(
            recall_number=f"B-{i:08d}", event_id=f"E{i // 3:07d}",
            classification=rng.choice("I II II III III III".split()),
            status=rng.choice(["ongoing", "completed", "terminated"]),
            product_description=f"{rng.choice(products)} {rng.choice(products)} 型号 M-{rng.randrange(10**5)}",
            product_code=f"KP{rng.randrange(1, 330):03d}", product_quantity=f"{rng.randrange(1, 90000)} units",
            code_info=f"LOT-{day.year}-{rng.randrange(10**4):04d}", reason_for_recall=rng.choice(REASONS),
            recalling_firm=rng.choice(FIRMS), city=rng.choice(CITIES), state="江苏", country="中国",
            voluntary_mandated=rng.choice(["voluntary", "ordered"]), report_date=day,
            recall_initiation_date=day - dt.timedelta(days=rng.randrange(30)), published=True))
        if len(batch) == 5000:
            RecallRecord.objects.bulk_create(batch)
            batch = []
    RecallRecord.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE recall_recallrecord")
    print(f"wrote {records - have:,} records in {time.perf_counter() - t0:.1f} s")
    return records


def measure(repeat: int) -> dict[str, tuple[float, float, int]]:
    from django.test import Client

    client = Client()
    out = {}
    for name, params in QUERIES:
        ms, total = [], 0
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            response = client.get("/api/recall/recalls/", params)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code not in (200, 404):
                raise SystemExit(f"{name}: HTTP {response.status_code}: {response.content[:300]!r}")
            body = response.json()
            total = body.get("meta", {}).get("results", {}).get("total", len(body.get("results", [])))
            ms.append(elapsed)
        ms = sorted(ms[1:])  # the first request warms the caches
        p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        out[name] = (statistics.median(ms), p95, total)
    return out


def reindex(forward: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "recall", "0003" if forward else "0001", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("ANALYZE recall_recallrecord")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", action="store_true", help="reuse the bench database when it is filled")
    args = p.parse_args(argv)
    n = setup(args.records, args.seed, args.keep)
    print(f"{n:,} published recall records; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    reindex(True)
    indexed = measure(args.repeat)
    reindex(False)
    try:
        baseline = measure(args.repeat)
    finally:
        reindex(True)
    print(f"\n{'query':<22} {'matched':>8}   {'trigram p50':>11} {'p95':>8}   "
          f"{'no index p50':>12} {'p95':>8}   {'p50 ratio':>9}")
    for name, _ in QUERIES:
        (a50, a95, total), (b50, b95, _) = indexed[name], baseline[name]
        print(f"{name:<22} {total:>8,}   {a50:>8.1f} ms {a95:>5.1f} ms   {b50:>9.1f} ms {b95:>5.1f} ms"
              f"   {b50 / a50:>8.1f}×")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
