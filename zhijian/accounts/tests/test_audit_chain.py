import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhijian.accounts.audit import verify_chain
from zhijian.accounts.models import AuditEntry
from zhijian.core.context import change_context
from zhijian.registry.models import Enterprise


@pytest.fixture
def chain(enterprise_factory, make_user):
    user = make_user()
    with change_context(user=user, source="cli"):
        e1 = enterprise_factory(name="一号企业")
        e2 = enterprise_factory(name="二号企业")
        e1.name = "一号企业（更名）"
        e1.save()
        e2.delete()
    return user, e1


def test_every_write_is_recorded_with_who_and_before_after(chain):
    user, e1 = chain
    entries = list(AuditEntry.objects.filter(object_type="registry.enterprise"))
    assert [e.action for e in entries] == ["create", "create", "update", "delete"]
    update = entries[2]
    assert update.user_id == user.pk and update.username == user.username
    assert update.source == "cli"
    assert update.prechange["name"] == "一号企业"
    assert update.postchange["name"] == "一号企业（更名）"
    assert entries[3].postchange is None and entries[3].prechange["name"] == "二号企业"
    assert verify_chain().ok


def test_altered_row_is_detected(chain):
    entry = AuditEntry.objects.filter(action="update").get()
    AuditEntry.objects.filter(pk=entry.pk).update(postchange={"name": "篡改"})
    result = verify_chain()
    assert not result.ok and result.seq == entry.seq and "altered" in result.reason


def test_deleted_row_is_detected(chain):
    entry = AuditEntry.objects.filter(action="update").get()
    AuditEntry.objects.filter(pk=entry.pk).delete()
    result = verify_chain()
    assert not result.ok and result.seq == entry.seq


def test_deleted_tail_is_detected(chain):
    AuditEntry.objects.order_by("-seq").first().delete()
    assert not verify_chain().ok


def test_reordered_rows_are_detected(chain):
    a, b = AuditEntry.objects.filter(object_type="registry.enterprise").order_by("seq")[1:3]
    # swap the two rows' content but keep their sequence numbers
    fields = ["time", "action", "object_id", "object_repr", "prechange", "postchange",
              "prev_hash", "entry_hash"]
    va = {f: getattr(a, f) for f in fields}
    vb = {f: getattr(b, f) for f in fields}
    AuditEntry.objects.filter(pk=a.pk).update(entry_hash="x" * 64)
    AuditEntry.objects.filter(pk=b.pk).update(**va)
    AuditEntry.objects.filter(pk=a.pk).update(**vb)
    result = verify_chain()
    assert not result.ok and result.seq == a.seq


def test_command_reports_first_broken_link(chain, capsys):
    call_command("verify_audit")
    assert "chain intact" in capsys.readouterr().out
    entry = AuditEntry.objects.filter(action="create").first()
    AuditEntry.objects.filter(pk=entry.pk).update(object_repr="forged")
    with pytest.raises(CommandError, match=f"seq {entry.seq}"):
        call_command("verify_audit")


def test_rolled_back_write_leaves_no_entry(enterprise_factory):
    from django.db import transaction

    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            enterprise_factory(name="回滚企业")
            raise RuntimeError
    assert AuditEntry.objects.count() == before
    assert not Enterprise.objects.filter(name="回滚企业").exists()
    assert verify_chain().ok
