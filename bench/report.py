"""Benchmark: the province's annual quality-status report on the demo data set (DESIGN §9: quarterly
province report, HTML + PDF with ≥ 10 charts, under 10 s on 2 cores).

    .venv/bin/python bench/report.py [--enterprises 3000] [--db FILE] [--repeat 3]

1. a fresh SQLite database in a temporary directory (migrate, reference data, ``setup_demo`` with
   ``--enterprises`` enterprises, the computed target values of the year) -- not timed; with
   ``--db`` an existing database that already holds the demo is used instead;
2. times ``--repeat`` builds of the province's report of this year (the demo is dated relative to
   today) through ``report.jobs.build_now`` -- the same path as the background task: data
   (aggregated queries), charts (matplotlib), HTML, PDF (WeasyPrint), workbook, files stored --
   and prints the best and median total against the 10 s target;
3. per-stage timings of one build, and the baseline of the same run: the HTML-only report (data,
   charts and HTML, no PDF), so the PDF's share is visible; then the quarterly report (the
   design's target) for the current quarter.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3000)
    parser.add_argument("--db", help="an existing SQLite database with the demo loaded")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="zhijian-bench-report-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhijian.settings"
    os.environ["ZHIJIAN_DB"] = "sqlite"
    os.environ["ZHIJIAN_VAR_DIR"] = str(workdir)
    os.environ["ZHIJIAN_SQLITE"] = args.db or str(workdir / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone, translation

    print(f"load average: {os.getloadavg()[0]:.2f}; cpus: {os.cpu_count()}")
    if not args.db:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_reference", verbosity=0)
        call_command("setup_demo", enterprises=args.enterprises, verbosity=0, stdout=open(os.devnull, "w"))
        year = timezone.localdate().year
        call_command("compute_targets", f"{year}01", f"{year}12", stdout=open(os.devnull, "w"))
        print(f"demo with {args.enterprises:,} enterprises loaded in {time.perf_counter() - t:.1f} s (not timed)")

    from zhijian.registry.models import Division
    from zhijian.targets.report import data as report_data
    from zhijian.targets.report import jobs, render

    province = Division.objects.get(pk="320000")
    today = timezone.localdate()
    year = str(today.year)
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"

    totals = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        report = jobs.build_now(None, province, year)
        totals.append(time.perf_counter() - t)
        assert report.status == "done", report.message
    print(f"\nprovince annual report {year}: {report.figure_count} figures and tables, {report.chart_count} charts, "
          f"PDF {report.pdf_file.size / 1024:.0f} KiB, workbook {report.xlsx_file.size / 1024:.0f} KiB")
    print(f"  full build (data + charts + HTML + PDF + workbook, stored): best {min(totals):.2f} s, "
          f"median {statistics.median(totals):.2f} s over {args.repeat} -- target < 10 s: "
          f"{'met' if min(totals) < 10 else 'NOT met'}")

    with translation.override("zh-hans"):
        timings = {}
        t = time.perf_counter()
        d = report_data.build(province, year)
        timings["data"] = time.perf_counter() - t
        render.build_files(d, timings=timings)
        t = time.perf_counter()
        d2 = report_data.build(province, year)
        render.attach_charts(d2)
        render.html(d2)
        html_only = time.perf_counter() - t
    full = sum(timings.values())
    print("  stages of one build: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    print(f"  baseline, HTML only (data + charts + HTML): {html_only:.2f} s; the full build is "
          f"{full / html_only:.1f}x that (PDF {timings['pdf'] / full:.0%} of it)")
    t = time.perf_counter()
    q = jobs.build_now(None, province, quarter)
    print(f"province quarterly report {quarter}: {q.chart_count} charts in {time.perf_counter() - t:.2f} s "
          f"-- target < 10 s: {'met' if time.perf_counter() - t < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
