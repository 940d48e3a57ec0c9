"""Benchmark: credit grading over generated enterprises and events (DuckDB engine).

    ZHIJIAN_SQLITE=/tmp/credit-bench.sqlite3 .venv/bin/python bench/credit_grade.py \
        [--enterprises 100000] [--events 1000000]

Creates the schema in the given database (SQLite file or ``ZHIJIAN_DB=postgres``), loads the
reference data, inserts enterprises and events with ``bulk_create`` (not timed), then times
the snapshot export, the Ibis job on DuckDB and a full ``run_grading`` (export + job + bulk load).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhijian.reference import load_all

    load_all()
    from zhijian.analytics import grading, snapshot
    from zhijian.credit.jobs import method_params, run_grading
    from zhijian.credit.models import CreditEvent, EventType
    from zhijian.credit.services import current_method
    from zhijian.registry.identifiers import make_uscc
    from zhijian.registry.models import Enterprise

    rng = np.random.default_rng(1)
    if Enterprise.objects.count() < args.enterprises:
        Enterprise.objects.bulk_create(
            [Enterprise(uscc=make_uscc("320505", 10_000_000 + i), name=f"bench {i}", division_id="320505")
             for i in range(args.enterprises)], batch_size=5000)
    ids = np.array(Enterprise.objects.values_list("pk", flat=True))
    types = list(EventType.objects.all())
    if CreditEvent.objects.count() < args.events:
        ent = rng.choice(ids, args.events)
        typ = rng.integers(0, len(types), args.events)
        age = rng.integers(0, 2000, args.events)
        base = dt.date(2026, 1, 1)
        for start in range(0, args.events, 50_000):
            CreditEvent.objects.bulk_create([
                CreditEvent(enterprise_id=int(ent[i]), type=types[typ[i]], weight=types[typ[i]].weight,
                            date=base - dt.timedelta(days=int(age[i])))
                for i in range(start, min(start + 50_000, args.events))], batch_size=5000)
    as_of = dt.date(2026, 1, 1)
    out = Path("/tmp/credit-bench-snapshot")
    t = time.perf_counter()
    snap = snapshot.export(out)
    t_export = time.perf_counter() - t
    t = time.perf_counter()
    g, c = grading.run(out, method_params(current_method(as_of)), as_of, "duckdb")
    t_job = time.perf_counter() - t
    t = time.perf_counter()
    run = run_grading(as_of=as_of, snapshot_dir=out)
    t_run = time.perf_counter() - t
    print(f"enterprises {snap['counts']['enterprises']}, events {snap['counts']['events']}")
    print(f"snapshot export {t_export:.2f} s; DuckDB job {t_job:.2f} s ({g.num_rows} grades, "
          f"{c.num_rows} contributions); full run_grading {t_run:.2f} s (run {run.pk})")


if __name__ == "__main__":
    main()
