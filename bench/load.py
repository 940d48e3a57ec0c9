"""Load bench: the production server (gunicorn on PostgreSQL) under locust, on loopback.

    .venv/bin/python bench/load.py [--rates 100,300,500] [--duration 20]
        [--endpoints credit_lookup,results_list,complaint_status,agency_lookup]
        [--enterprises 500] [--workers N] [--per-user 2] [--keep]

1. starts a throw-away PostgreSQL server on 127.0.0.1 (``scripts/pg.sh``, port
   ``ZHIJIAN_BENCH_PG_PORT``, default 54346; or the server named by ``PGHOST``…), creates a
   fresh database ``zhijian_bench`` and loads it as a deployment is loaded (``migrate``,
   ``collectstatic``, ``load_reference``) plus the demo data (``setup_demo --enterprises N``);
   then gives 300 demo complaints a known verification code and issues 50 agency API tokens
   (50 agencies; each token has its own rate limit). Not timed;
2. starts gunicorn as ``make serve`` does (``zhijian.wsgi:application``, 2 × cores + 1
   workers, ``ZHIJIAN_DEBUG=0``, WhiteNoise, the access log to a file) on a free loopback port;
3. for each endpoint and each rate, runs locust headless (``bench/load_locust.py``,
   ``FastHttpUser``, ``constant_throughput``: rate / ``--per-user`` users, all started at
   once) for ``--duration`` seconds, and reads locust's CSV statistics:

   * ``credit_lookup``: the public credit page of a random demo enterprise,
     ``GET /portal/credit/<uscc>/``;
   * ``results_list``: the public spot-check results, ``GET /portal/spotchecks/results/?page=1|2|3``;
   * ``complaint_status``: the complaint status lookup by ticket and code,
     ``POST /portal/complaints/status/`` (with the form's CSRF token);
   * ``agency_lookup``: the signed agency credit lookup,
     ``GET /api/credit/agency/enterprises/<uscc>/`` with one of the 50 tokens (each lookup
     writes an ``AgencyQuery`` row and a deferred audit entry, see ``zhijian/accounts/audit.py``);

4. prints one row per endpoint × rate: the rate offered and reached, requests, p50 and p99
   latency (ms, locust's percentiles), errors (any answer but 200, connection errors) and the
   1-minute load average at the end of the step; then verifies the audit chain
   (``verify_audit``, which chains the agency lookups' deferred entries first).

Public pages are rate-limited per client address; every request carries an
``X-Forwarded-For`` address from a pool of 20,000 (as the TLS proxy sets it), so the limits
see many visitors, as in production, and their cost is part of the figures.

locust runs on the same machine as gunicorn and PostgreSQL and takes CPU from them; on a
shared machine the figures are noisy: compare them with the load average printed beside them.
The DESIGN §9 target is p99 < 50 ms at 500 req/s for the public credit lookup on 2 cores.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
ENDPOINTS = ("credit_lookup", "results_list", "complaint_status", "agency_lookup")
DB_NAME = "zhijian_bench"

PREPARE = r'''
import json, sys
from zhijian.accounts.models import APIToken
from zhijian.accounts.services import create_user
from zhijian.complaints import services as cs
from zhijian.complaints.models import Case
from zhijian.core.context import change_context
from zhijian.portal.views import public_enterprises
from zhijian.registry.models import Division

out = {}
out["uscc"] = list(public_enterprises().order_by("uscc").values_list("uscc", flat=True)[:2000])
cases = list(Case.objects.exclude(ticket="").order_by("id").values_list("id", "ticket")[:300])
out["complaints"] = []
for n, (pk, ticket) in enumerate(cases):
    code = f"BENCH{n:05d}"
    Case.objects.filter(pk=pk).update(code_hash=cs.code_hash(ticket, code))
    out["complaints"].append([ticket, code])
out["tokens"] = []
with change_context(source="cli"):
    for n in range(50):
        user = create_user(f"bench-agency-{n}", "bench-" + "x" * 20, "agency",
                           division=Division.objects.get(pk="320000"), full_name=f"压测机构{n}")
        out["tokens"].append(APIToken.issue(user, "bench")[1])
json.dump(out, open(sys.argv[-1], "w"), ensure_ascii=False)
print(len(out["uscc"]), "enterprises,", len(out["complaints"]), "complaints,", len(out["tokens"]), "tokens")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, **kw):
    done = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True, **kw)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def load_average() -> str:
    return "%.2f %.2f %.2f" % os.getloadavg()


def start_postgres(env) -> bool:
    """A throw-away server unless PGHOST names one; True when this script started it."""
    if env.get("PGHOST"):
        return False
    port = os.environ.get("ZHIJIAN_BENCH_PG_PORT", "54346")
    env.update(PGHOST="127.0.0.1", PGPORT=port, PGUSER="postgres")
    env.update(ZHIJIAN_PG_PORT=port, ZHIJIAN_PG_DATA=f"/tmp/zhijian-bench-pg-{port}")
    run(["scripts/pg.sh", "start"], env)
    return True


def fresh_database(env):
    import psycopg
    from psycopg import sql

    with psycopg.connect(dbname="postgres", host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"],
                         password=env.get("PGPASSWORD", ""), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def wait_for(url, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn exited: see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {url}")


def locust_step(base, endpoint, rate, args, data_file, out_dir) -> dict:
    users = max(1, round(rate / args.per_user))
    prefix = out_dir / f"{endpoint}-{rate}"
    env = dict(os.environ, ZHIJIAN_BENCH_ENDPOINT=endpoint, ZHIJIAN_BENCH_DATA=str(data_file),
               ZHIJIAN_BENCH_PER_USER=str(rate / users))
    cmd = [PY, "-m", "locust", "-f", str(ROOT / "bench" / "load_locust.py"), "--headless", "--host", base,
           "-u", str(users), "-r", str(users), "-t", f"{args.duration}s", "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"]
    subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                   timeout=args.duration + 120)
    load = load_average()
    row = {"endpoint": endpoint, "rate": rate, "users": users, "load": load}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["Name"] == endpoint:
                row.update(requests=int(rec["Request Count"]), errors=int(rec["Failure Count"]),
                           reached=float(rec["Requests/s"]), p50=rec["50%"], p99=rec["99%"])
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with open(failures, newline="") as fh:
            row["why"] = "; ".join(f"{r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(fh)
                                   if r["Name"] == endpoint)[:200]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,300,500")
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint and rate")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--enterprises", type=int, default=500, help="demo enterprises to load")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--per-user", type=float, default=2.0, help="requests per second per locust user")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory")
    args = parser.parse_args(argv)
    rates = [int(r) for r in args.rates.split(",") if r]
    endpoints = [e for e in args.endpoints.split(",") if e]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoint(s) {sorted(unknown)}; known: {', '.join(ENDPOINTS)}")

    work = Path(tempfile.mkdtemp(prefix="zhijian-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIJIAN_", "DJANGO_"))}
    started_pg = start_postgres(env)
    env.update(DJANGO_SETTINGS_MODULE="zhijian.settings", ZHIJIAN_DB="postgres", PGDATABASE=DB_NAME,
               ZHIJIAN_DEBUG="0", ZHIJIAN_SECRET_KEY=secrets.token_urlsafe(64), ZHIJIAN_SSL_REDIRECT="0",
               ZHIJIAN_ALLOWED_HOSTS="127.0.0.1,localhost", ZHIJIAN_VAR_DIR=str(work / "var"))
    for key in ("ZHIJIAN_PG_PORT", "ZHIJIAN_PG_DATA"):
        env.pop(key, None)
    gunicorn = None
    try:
        t0 = time.monotonic()
        print(f"setting up {DB_NAME} on {env['PGHOST']}:{env['PGPORT']} ({args.enterprises} demo enterprises)…",
              flush=True)
        fresh_database(env)
        manage = [PY, "manage.py"]
        run(manage + ["migrate", "--noinput", "-v0"], env)
        run(manage + ["collectstatic", "--noinput", "-v0"], env)
        run(manage + ["load_reference"], env)
        run(manage + ["setup_demo", "--enterprises", str(args.enterprises)], env)
        data_file = work / "data.json"
        print(run(manage + ["shell", "-c", PREPARE.replace("sys.argv[-1]", repr(str(data_file)))], env).strip())
        print(f"set up in {time.monotonic() - t0:.0f} s", flush=True)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(work / "gunicorn.log", "w")
        gunicorn = subprocess.Popen([GUNICORN, "zhijian.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                     "--workers", str(args.workers), "--access-logfile", str(work / "access.log"),
                                     "--error-logfile", "-", "--graceful-timeout", "30", "--timeout", "120"],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(base + "/healthz", gunicorn)
        print(f"gunicorn: {args.workers} workers at {base}; {os.cpu_count()} cores; "
              f"{args.duration} s per step", flush=True)
        # warm every worker's connection and caches (not measured)
        locust_dir = work / "locust"
        locust_dir.mkdir()
        for endpoint in endpoints:
            locust_step(base, endpoint, 20, argparse.Namespace(**{**vars(args), "duration": 3}), data_file,
                        locust_dir)
        rows = []
        header = (f"{'endpoint':<18}{'rate':>6}{'reached':>9}{'requests':>10}{'p50 ms':>8}{'p99 ms':>8}"
                  f"{'errors':>8}  load average (1, 5, 15 min)")
        print(header, flush=True)
        for endpoint in endpoints:
            for rate in rates:
                row = locust_step(base, endpoint, rate, args, data_file, locust_dir)
                rows.append(row)
                print(f"{endpoint:<18}{rate:>6}{row.get('reached', 0):>9.1f}{row.get('requests', 0):>10}"
                      f"{row.get('p50', '-'):>8}{row.get('p99', '-'):>8}{row.get('errors', '-'):>8}  {row['load']}"
                      + (f"  ({row['why']})" if row.get("why") else ""), flush=True)
        (work / "results.json").write_text(json.dumps(rows, indent=1))
        if "agency_lookup" in endpoints:
            print("audit chain:", run(manage + ["verify_audit"], env).strip())
        for row in rows:
            if row["endpoint"] == "credit_lookup" and row["rate"] == 500 and row.get("p99") not in (None, "N/A"):
                met = float(row["p99"]) < 50 and row.get("errors", 1) == 0
                print(f"target (credit lookup p99 < 50 ms at 500 req/s, no errors): "
                      f"{'met' if met else 'NOT met'} — p99 {row['p99']} ms, {row['errors']} errors, "
                      f"reached {row['reached']:.0f} req/s, load average {row['load']}")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if not args.keep:
            try:
                import psycopg

                with psycopg.connect(dbname="postgres", host=env["PGHOST"], port=env["PGPORT"],
                                     user=env["PGUSER"], autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - cleaning up
                print(f"could not drop {DB_NAME}: {exc}", file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)
            if started_pg:
                subprocess.run(["scripts/pg.sh", "stop"], cwd=ROOT, capture_output=True,
                               env={**env, "ZHIJIAN_PG_PORT": env["PGPORT"],
                                    "ZHIJIAN_PG_DATA": f"/tmp/zhijian-bench-pg-{env['PGPORT']}"})
        else:
            print(f"kept: database {DB_NAME}, work directory {work}")


if __name__ == "__main__":
    main()
