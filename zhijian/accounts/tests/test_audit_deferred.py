"""Deferred audit entries (agency lookups): chained in batches, verified like the others, and
recorded without the chain's head lock, so concurrent lookups do not wait for each other."""
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from zhijian.accounts import audit
from zhijian.accounts.models import AuditEntry, AuditHead, PendingAuditEntry
from zhijian.core import scope as S
from zhijian.core.context import change_context


def _lookup(n):
    audit.append_deferred("other", object_type="credit.agencyquery", object_id=n,
                          object_repr=f"agency lookup {n}", postchange={"event": "agency_lookup", "n": n})


@pytest.mark.django_db
def test_deferred_entries_are_chained_in_order_and_verified(settings):
    settings.ZHIJIAN_AUDIT_FLUSH_EVERY = 0
    with change_context(source="api"):
        audit.append("other", object_type="core.test", object_repr="before")
        for n in range(3):
            _lookup(n)
        audit.append("other", object_type="core.test", object_repr="between")  # direct: chained now
        _lookup(3)
    assert audit.verify_chain().ok and audit.verify_chain().pending == 4
    assert "4 entries waiting to be chained" in str(audit.verify_chain())
    assert audit.flush_pending(limit=2) == 2 and audit.flush_all() == 2
    assert not PendingAuditEntry.objects.exists()
    result = audit.verify_chain()
    assert result.ok and result.pending == 0
    lookups = list(AuditEntry.objects.filter(object_type="credit.agencyquery").order_by("seq"))
    assert [e.object_id for e in lookups] == ["0", "1", "2", "3"]
    assert lookups[0].source == "api" and lookups[0].postchange == {"event": "agency_lookup", "n": 0}
    assert AuditHead.objects.get().seq == AuditEntry.objects.order_by("-seq").first().seq
    # a chained lookup entry is protected like any other
    AuditEntry.objects.filter(pk=lookups[1].pk).update(object_repr="forged")
    broken = audit.verify_chain()
    assert not broken.ok and broken.seq == lookups[1].seq and "altered" in broken.reason


@pytest.mark.django_db
def test_every_nth_deferred_entry_flushes_after_commit(settings, django_capture_on_commit_callbacks):
    settings.ZHIJIAN_AUDIT_FLUSH_EVERY = 1
    with django_capture_on_commit_callbacks(execute=True):
        with change_context(source="api"):
            _lookup(1)
    assert not PendingAuditEntry.objects.exists()
    assert AuditEntry.objects.filter(object_type="credit.agencyquery").count() == 1
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_verify_command_chains_waiting_entries_first(settings, capsys):
    settings.ZHIJIAN_AUDIT_FLUSH_EVERY = 0
    with change_context(source="api"):
        _lookup(1)
    call_command("verify_audit", "--no-flush")
    assert "1 entries waiting to be chained" in capsys.readouterr().out
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "chain intact" in out and "waiting" not in out
    entry = AuditEntry.objects.get(object_type="credit.agencyquery")
    AuditEntry.objects.filter(pk=entry.pk).update(postchange={"n": 2})
    with pytest.raises(CommandError, match=f"seq {entry.seq}"):
        call_command("verify_audit")
    call_command("flush_audit")
    assert "chained 0" in capsys.readouterr().out


# ------------------------------------------------------------------ on PostgreSQL, two connections

def _in_thread(fn):
    """Run ``fn`` on its own thread (its own database connection); return (thread, result box)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@pytest.fixture
def lookup_world(transactional_db, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every writer on the database file)")
    from django.core.cache import cache

    from zhijian.accounts.services import create_user
    from zhijian.registry.models import Division
    from zhijian.registry.tests.factories import make_enterprise

    settings.ZHIJIAN_SIGNING_KEY_FILE = str(tmp_path / "keys" / "signing.pem")
    settings.ZHIJIAN_AUDIT_FLUSH_EVERY = 0
    cache.clear()
    ent = make_enterprise("320505", name="并发查询企业")
    from zhijian.core.testing.api import token_client_for

    user = create_user("agency-concurrent", "pw-agency-concurrent", S.ROLE_AGENCY,
                       division=Division.objects.get(pk="320000"))
    return ent, user, token_client_for(user, "concurrent")


def _http_lookup(client, uscc):
    from django.urls import reverse

    return client.get(reverse("credit-api:agency-lookup", args=[uscc])).status_code


def test_a_lookup_does_not_wait_for_another_lookups_open_transaction(lookup_world):
    from zhijian.credit import agency

    ent, user, client = lookup_world
    holding, release = threading.Event(), threading.Event()

    def slow_lookup():  # a lookup whose transaction stays open (a slow request)
        with transaction.atomic():
            agency.record_query(user=user, token=None, uscc=ent.uscc, found=True, purpose="slow",
                                remote_addr="127.0.0.1", body=b"{}", request_id="slow")
            holding.set()
            release.wait(30)

    slow, slow_box = _in_thread(slow_lookup)
    try:
        assert holding.wait(10), slow_box
        fast, fast_box = _in_thread(lambda: _http_lookup(client, ent.uscc))
        fast.join(10)
        assert not fast.is_alive(), "the second lookup waited for the first one's transaction"
        assert fast_box == {"value": 200}, fast_box
    finally:
        release.set()
        slow.join(10)
    assert "error" not in slow_box, slow_box
    assert audit.flush_all() == 2 and audit.verify_chain().ok


def test_a_lookup_does_not_wait_for_a_writer_holding_the_chain_head(lookup_world):
    ent, user, client = lookup_world
    holding, release = threading.Event(), threading.Event()

    def writer():  # any change-logged write holds the head lock until its transaction ends
        with transaction.atomic(), change_context(source="cli"):
            audit.append("other", object_type="core.test", object_repr="long write")
            holding.set()
            release.wait(30)

    slow, slow_box = _in_thread(writer)
    try:
        assert holding.wait(10), slow_box
        fast, fast_box = _in_thread(lambda: _http_lookup(client, ent.uscc))
        fast.join(10)
        assert not fast.is_alive(), "the lookup waited for the chain's head lock"
        assert fast_box == {"value": 200}, fast_box
        # a flush that may not wait gives up at once while the head is locked
        flusher, flush_box = _in_thread(lambda: audit.flush_pending(wait=False))
        flusher.join(10)
        assert flush_box == {"value": 0}, flush_box
    finally:
        release.set()
        slow.join(10)
    assert audit.flush_all() == 1 and audit.verify_chain().ok
