"""The change context: who is writing, through which channel, in which request.

Set once per web request by ``ChangeLoggingMiddleware`` and by ``change_context``
for command-line and background work; read by the audit chain when a
change-logged model is written (NetBox's ``event_tracking`` idea).
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

_current: contextvars.ContextVar["ChangeContext | None"] = contextvars.ContextVar(
    "zhijian_change_context", default=None
)


@dataclass
class ChangeContext:
    source: str = "system"  # web | api | cli | job | system
    request: object | None = None  # resolved lazily: DRF authenticates after middleware
    user: object | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    remote_addr: str = ""

    def get_user(self):
        if self.user is not None:
            return self.user
        if self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated:
                return user
        return None


def current() -> ChangeContext:
    ctx = _current.get()
    return ctx if ctx is not None else ChangeContext()


@contextmanager
def change_context(user=None, source="cli", request=None, remote_addr=""):
    ctx = ChangeContext(source=source, request=request, user=user, remote_addr=remote_addr)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
