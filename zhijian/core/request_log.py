"""How refused and bad requests appear in the server log.

Django's ``django.request`` logger writes every 4xx answer that came from an exception
(``PermissionDenied``, ``Http404``, ``SuspiciousOperation``) with the exception's full
traceback, so a day of normal use buries the real errors. :class:`RequestLogFilter`,
attached to that logger in ``settings.LOGGING``, rewrites those records:

* a refusal (401 / 403) becomes one structured line
  ``refused status=403 user=… role=… action=… object=… reason=… method=… path=…``,
  its fields also set on the record (``record.refusal``) for structured handlers;
* any other 4xx keeps Django's one-line message, without the traceback;
* 5xx records are left alone: real server errors keep their traceback.

Views say what was refused by raising :class:`Refused` (a ``PermissionDenied`` carrying
the action and the object); any other ``PermissionDenied`` is logged with the request's
method as the action and its path as the object.
"""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class Refused(PermissionDenied):
    """A refused request: ``action`` on ``object`` (e.g. ``add`` on ``registry.enterprise``)."""

    def __init__(self, reason: str, *, action: str = "", object: str = ""):
        super().__init__(reason)
        self.reason, self.action, self.object = str(reason), action, object


def _quote(value) -> str:
    text = str(value).replace("\n", " ").replace("\r", " ")
    return f'"{text}"' if (not text or any(c in text for c in ' "=')) else text


def _role(user) -> str:
    from .scope import scope_for

    try:
        return scope_for(user).role or ""
    except Exception:  # a user without a profile: the line is still written
        return ""


def refusal_fields(request, exc, status: int) -> dict:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    fields = {
        "status": status,
        "user": user.get_username() if authenticated else "anonymous",
        "role": _role(user) if authenticated else "",
        "action": getattr(exc, "action", "") or (request.method.lower() if request else ""),
        "object": getattr(exc, "object", "") or (request.path if request else ""),
        "reason": getattr(exc, "reason", None) or (str(exc) if exc else "") or "refused",
        "method": request.method if request else "",
        "path": request.path if request else "",
    }
    return fields


class RequestLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or not 400 <= status < 500 or hasattr(record, "refusal"):
            return True  # not a 4xx, or rewritten already (the filter may sit on two loggers)
        exc = record.exc_info[1] if record.exc_info else None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.refusal = None
        if status in (401, 403):
            fields = refusal_fields(getattr(record, "request", None), exc, status)
            record.refusal = fields
            record.msg = "refused " + " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
            record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``ZHIJIAN_LOG_FORMAT=json``): time, level, logger, message, the
    request id that the request's audit entries carry, and a refusal's fields."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        from .context import _current

        ctx = _current.get()
        out = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if ctx is not None:
            out["request_id"] = ctx.request_id
            out["source"] = ctx.source
        if getattr(record, "refusal", None):
            out["refusal"] = record.refusal
        if getattr(record, "status_code", None):
            out["status"] = record.status_code
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)
