"""The audit chain: append entries and verify the chain.

Each entry's hash covers its content and the previous entry's hash, so altering,
deleting, inserting or reordering rows breaks a link that ``verify_chain``
reports. The single ``AuditHead`` row is locked while appending, which
serialises writers on PostgreSQL (SELECT ... FOR UPDATE) and SQLite alike.

High-rate read events (every agency credit lookup) must not serialise on that row,
so they are written with ``append_deferred``: a plain insert into
``PendingAuditEntry``, no lock. ``flush_pending`` moves waiting entries into the
chain in batches, under one head lock per batch, each entry hashed and numbered
as if it had been appended directly (``verify_chain`` is unchanged; entries keep
the time they were recorded, so a chained batch may carry times earlier than the
entry before it). A flush is attempted, without waiting for the lock, after every
``ZHIJIAN_AUDIT_FLUSH_EVERY``-th deferred entry (default 50); the scheduler, the
``flush_audit`` command and ``verify_audit`` flush whatever is left.
"""
from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhijian.core.context import current
from zhijian.core.models import audit_value

from .models import AuditEntry, AuditHead, PendingAuditEntry

GENESIS = "0" * 64


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(entry: AuditEntry | dict, prev_hash: str) -> str:
    get = entry.get if isinstance(entry, dict) else lambda k: getattr(entry, k)
    time = get("time")
    payload = [
        get("seq"),
        time.astimezone(datetime.timezone.utc).isoformat() if time else None,
        get("user_id"),
        get("username"),
        get("source"),
        get("request_id"),
        get("remote_addr"),
        get("action"),
        get("object_type"),
        get("object_id"),
        get("object_repr"),
        get("prechange"),
        get("postchange"),
        prev_hash,
    ]
    return hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()


def object_type_of(obj_or_model) -> str:
    opts = obj_or_model._meta
    return f"{opts.app_label}.{opts.model_name}"


def append(action: str, *, object_type: str, object_id="", object_repr="",
           prechange=None, postchange=None, ctx=None) -> AuditEntry:
    """Append one entry to the chain (inside the caller's transaction, if any)."""
    ctx = ctx or current()
    user = ctx.get_user()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, seq=0, entry_hash=GENESIS)
        entry = AuditEntry(
            seq=head.seq + 1,
            time=timezone.now(),
            user_id=user.pk if user else None,
            username=user.get_username() if user else "",
            source=ctx.source,
            request_id=ctx.request_id,
            remote_addr=ctx.remote_addr or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else "",
            object_repr=str(object_repr)[:255],
            prechange=audit_value(prechange),
            postchange=audit_value(postchange),
            prev_hash=head.entry_hash,
        )
        entry.entry_hash = compute_hash(entry, head.entry_hash)
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=entry.seq, entry_hash=entry.entry_hash)
    return entry


def _content(action, object_type, object_id, object_repr, prechange, postchange, ctx) -> dict:
    user = ctx.get_user()
    return dict(time=timezone.now(), user_id=user.pk if user else None,
                username=user.get_username() if user else "", source=ctx.source,
                request_id=ctx.request_id, remote_addr=ctx.remote_addr or "", action=action,
                object_type=object_type, object_id=str(object_id) if object_id is not None else "",
                object_repr=str(object_repr)[:255], prechange=audit_value(prechange),
                postchange=audit_value(postchange))


def flush_every() -> int:
    return int(getattr(settings, "ZHIJIAN_AUDIT_FLUSH_EVERY", 50))


def append_deferred(action: str, *, object_type: str, object_id="", object_repr="",
                    prechange=None, postchange=None, ctx=None) -> PendingAuditEntry:
    """Record an entry without taking the chain's lock; ``flush_pending`` chains it later.

    For high-rate events whose order relative to other writes does not matter (lookups).
    The entry is committed with the caller's transaction; every ``flush_every()``-th one
    then tries a flush that does not wait for the lock (another flusher is at work)."""
    pending = PendingAuditEntry.objects.create(
        **_content(action, object_type, object_id, object_repr, prechange, postchange, ctx or current()))
    every = flush_every()
    if every > 0 and pending.pk % every == 0:
        transaction.on_commit(lambda: flush_pending(wait=False))
    return pending


def flush_pending(limit: int = 1000, *, wait: bool = True) -> int:
    """Chain up to ``limit`` waiting entries (oldest first) under one head lock; how many.

    ``wait=False`` gives up at once (0) when another transaction holds the head lock."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if head is None:
            if AuditHead.objects.filter(pk=1).exists():
                return 0  # locked by another writer, and we do not wait
            head = AuditHead.objects.create(pk=1, seq=0, entry_hash=GENESIS)
        batch = list(PendingAuditEntry.objects.order_by("id")[:limit])
        if not batch:
            return 0
        seq, prev, entries = head.seq, head.entry_hash, []
        for pending in batch:
            seq += 1
            entry = AuditEntry(seq=seq, prev_hash=prev, **{
                f: getattr(pending, f) for f in ("time", "user_id", "username", "source", "request_id",
                                                 "remote_addr", "action", "object_type", "object_id",
                                                 "object_repr", "prechange", "postchange")})
            entry.entry_hash = prev = compute_hash(entry, prev)
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries)
        PendingAuditEntry.objects.filter(pk__in=[p.pk for p in batch]).delete()
        AuditHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return len(batch)


def flush_all() -> int:
    """Chain every waiting entry (waiting for the lock); how many."""
    total = 0
    while n := flush_pending():
        total += n
    return total


def record_object(action: str, obj, prechange=None, postchange=None) -> AuditEntry:
    return append(action, object_type=object_type_of(obj), object_id=obj.pk,
                  object_repr=str(obj), prechange=prechange, postchange=postchange)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    seq: int | None = None
    reason: str = ""
    pending: int = 0  # entries recorded with append_deferred, not chained yet

    def __str__(self):
        waiting = f"; {self.pending} entries waiting to be chained" if self.pending else ""
        if self.ok:
            return f"OK: {self.checked} entries, chain intact{waiting}"
        return f"BROKEN at seq {self.seq}: {self.reason} (after {self.checked} good entries)"


def verify_chain(chunk_size: int = 5000) -> VerifyResult:
    prev = GENESIS
    expected = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected:
            return VerifyResult(False, checked, expected,
                                f"entry {expected} is missing (next entry is {entry.seq})")
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.seq,
                                "link to the previous entry does not match (removed or reordered)")
        if compute_hash(entry, prev) != entry.entry_hash:
            return VerifyResult(False, checked, entry.seq, "content does not match its hash (altered)")
        prev = entry.entry_hash
        expected += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev:
        return VerifyResult(False, checked, checked + 1 if head_seq > checked else head_seq,
                            f"chain head records {head_seq} entries ending in {head_hash[:12]}…, "
                            f"found {checked} ending in {prev[:12]}… (tail removed or head altered)")
    return VerifyResult(True, checked, pending=PendingAuditEntry.objects.count())
