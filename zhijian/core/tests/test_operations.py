"""Operations: the readiness probe, heartbeats, ``zhijian status`` and JSON logs."""
import datetime as dt
import io
import json
import logging

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from zhijian.accounts import audit
from zhijian.accounts.models import AuditHead
from zhijian.core import heartbeat
from zhijian.core.context import change_context
from zhijian.core.models import Heartbeat
from zhijian.core.request_log import JsonFormatter

pytestmark = pytest.mark.django_db


def test_readyz_needs_a_fresh_worker_heartbeat(settings):
    client = Client()
    assert client.get("/healthz").content == b"ok\n"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "worker": "no heartbeat"}
    heartbeat.beat("worker", "host pid 1")
    assert client.get("/readyz").status_code == 200
    Heartbeat.objects.filter(name="worker").update(
        beat_at=timezone.now() - dt.timedelta(seconds=settings.ZHIJIAN_HEARTBEAT_MAX_AGE + 5))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json()["checks"]["worker"].startswith("last heartbeat")


def test_status_reports_queue_runs_heartbeats_and_audit_head():
    with change_context(source="cli"):
        audit.append("other", object_type="core.test", object_repr="status test")
    out = io.StringIO()
    with pytest.raises(SystemExit) as stale:
        call_command("status", stdout=out)
    assert stale.value.code == 1  # no worker has ever beaten
    text = out.getvalue()
    head = AuditHead.objects.get(pk=1)
    assert "jobs: 0 waiting, 0 running, 0 failed in the last 24 h" in text
    assert "worker: never seen" in text and f"audit chain head: #{head.seq} {head.entry_hash}" in text

    heartbeat.beat("worker", "host pid 7")
    heartbeat.beat("scheduler", "every 3600 s")
    out = io.StringIO()
    call_command("status", "--json", stdout=out)
    info = json.loads(out.getvalue())
    assert info["heartbeats"]["worker"]["fresh"] and info["heartbeats"]["worker"]["detail"] == "host pid 7"
    assert info["heartbeats"]["scheduler"]["age_s"] <= 5
    assert info["audit_head"] == {"seq": head.seq, "hash": head.entry_hash, "waiting": 0}
    assert info["queue"] == {"ready": 0, "running": 0, "failed_24h": 0}


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("zhijian", logging.WARNING, __file__, 1, "imported %s rows", (3,), None)
    with change_context(source="cli") as ctx:
        line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "imported 3 rows" and data["level"] == "WARNING"
    assert data["request_id"] == ctx.request_id and data["source"] == "cli"
    assert "\n" not in line
