"""Health probes for load balancers and orchestrators (no login, no session, no audit).

* ``/healthz`` — the process answers: 200 ``ok``.
* ``/readyz`` — the platform can serve: the database answers, every migration is applied and
  the background worker has beaten within ``ZHIJIAN_HEARTBEAT_MAX_AGE`` seconds; 200 with the
  checks as JSON, else 503 naming what failed.
"""
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import heartbeat


@never_cache
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
def readyz(request):
    checks, ok = {}, True
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
        ok = False
    if ok:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["migrations"] = "ok" if not pending else f"{len(pending)} not applied"
        ok = not pending
    if ok:
        seconds = heartbeat.age("worker")
        fresh = seconds is not None and seconds <= settings.ZHIJIAN_HEARTBEAT_MAX_AGE
        checks["worker"] = ("ok" if fresh else "no heartbeat" if seconds is None
                            else f"last heartbeat {int(seconds)} s ago")
        ok = fresh
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                        status=200 if ok else 503)
