"""``zhijian status``: what an operator checks first — jobs, runs, background processes, audit chain.

Prints the background-job queue (ready / running / failed in the last 24 h), the last credit
grading run, the heartbeats of the worker and the scheduler, and the audit chain's head; with
``--json`` the same as one JSON object. Exit status 1 when the worker's heartbeat is stale.
"""
import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone


def collect() -> dict:
    from django_tasks_db.models import DBTaskResult, TaskResultStatus

    from zhijian.accounts.models import AuditHead, PendingAuditEntry
    from zhijian.core.models import Heartbeat
    from zhijian.credit.models import GradingRun

    now = timezone.now()
    tasks = DBTaskResult.objects
    queue = {"ready": tasks.filter(status=TaskResultStatus.READY).count(),
             "running": tasks.filter(status=TaskResultStatus.RUNNING).count(),
             "failed_24h": tasks.filter(status=TaskResultStatus.FAILED,
                                        finished_at__gte=now - dt.timedelta(hours=24)).count()}
    run = GradingRun.objects.order_by("-started").first()
    last_run = None if run is None else {
        "id": run.pk, "status": run.status, "trigger": run.trigger, "as_of": run.as_of.isoformat(),
        "started": run.started.isoformat(), "finished": run.finished.isoformat() if run.finished else None,
        "grades": run.grade_count}
    beats = {}
    for name in ("worker", "scheduler"):
        hb = Heartbeat.objects.filter(name=name).first()
        seconds = None if hb is None else int((now - hb.beat_at).total_seconds())
        beats[name] = {"last": hb.beat_at.isoformat() if hb else None, "age_s": seconds,
                       "detail": hb.detail if hb else "",
                       "fresh": seconds is not None and seconds <= settings.ZHIJIAN_HEARTBEAT_MAX_AGE}
    head = AuditHead.objects.filter(pk=1).first()
    audit = {"seq": head.seq if head else 0, "hash": head.entry_hash if head else "",
             "waiting": PendingAuditEntry.objects.count()}
    return {"time": now.isoformat(), "queue": queue, "last_grading_run": last_run,
            "heartbeats": beats, "audit_head": audit}


class Command(BaseCommand):
    help = "Show the job queue, the last grading run, the background processes and the audit head."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        info = collect()
        if options["json"]:
            self.stdout.write(_dumps(info))
        else:
            q = info["queue"]
            self.stdout.write(f"jobs: {q['ready']} waiting, {q['running']} running, "
                              f"{q['failed_24h']} failed in the last 24 h")
            r = info["last_grading_run"]
            self.stdout.write("last grading run: none" if r is None else
                              f"last grading run: #{r['id']} {r['status']} ({r['trigger']}, as of "
                              f"{r['as_of']}, started {r['started']}, {r['grades']} grades)")
            for name, hb in info["heartbeats"].items():
                state = ("never seen" if hb["age_s"] is None else
                         f"{'ok' if hb['fresh'] else 'STALE'}, last {hb['age_s']} s ago ({hb['detail']})")
                self.stdout.write(f"{name}: {state}")
            a = info["audit_head"]
            self.stdout.write(f"audit chain head: #{a['seq']} {a['hash']}"
                              + (f" ({a['waiting']} entries waiting to be chained)" if a["waiting"] else ""))
        if not info["heartbeats"]["worker"]["fresh"]:
            raise SystemExit(1)


def _dumps(info) -> str:
    return json.dumps(info, ensure_ascii=False)
