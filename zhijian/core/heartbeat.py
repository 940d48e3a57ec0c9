"""Signs of life of the background processes (the worker, the scheduler).

The worker (``zhijian worker``) beats from a daemon thread every ``INTERVAL`` seconds, also while
it runs a long job; the scheduler beats at every check. A process that stops beating for
``settings.ZHIJIAN_HEARTBEAT_MAX_AGE`` seconds is reported as stale by ``/readyz`` and
``zhijian status``.
"""
from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

INTERVAL = 30


def beat(name: str, detail: str = "") -> None:
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now(),
                                                            "detail": detail[:255]})


def age(name: str, now: dt.datetime | None = None) -> float | None:
    """Seconds since ``name`` last beat; None when it never did."""
    from .models import Heartbeat

    hb = Heartbeat.objects.filter(name=name).first()
    return None if hb is None else ((now or timezone.now()) - hb.beat_at).total_seconds()


def is_fresh(name: str) -> bool:
    seconds = age(name)
    return seconds is not None and seconds <= settings.ZHIJIAN_HEARTBEAT_MAX_AGE


def start(name: str, detail: str = "", every: float = INTERVAL) -> threading.Event:
    """Beat now and then every ``every`` seconds from a daemon thread; set the event to stop."""
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                beat(name, detail)
            except Exception:  # noqa: BLE001 - a lost beat is retried; the worker goes on
                pass
            finally:
                connection.close()  # the thread's own connection, not held between beats
            stop.wait(every)

    beat(name, detail)
    threading.Thread(target=loop, name=f"heartbeat-{name}", daemon=True).start()
    return stop
