"""Record every write of a change-logged model in the audit chain."""
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from zhijian.core.models import ChangeLoggedModel

from . import audit


def _logged(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, ChangeLoggedModel)


@receiver(pre_save)
def _pre_save(sender, instance, raw=False, **kwargs):
    if raw or not _logged(sender):
        return
    instance._audit_pre = None
    if instance.pk is not None and not instance._state.adding:
        old = sender._base_manager.filter(pk=instance.pk).first()
        instance._audit_pre = old.snapshot() if old is not None else None


@receiver(post_save)
def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _logged(sender):
        return
    action = "create" if created else "update"
    audit.record_object(action, instance, getattr(instance, "_audit_pre", None), instance.snapshot())


@receiver(pre_delete)
def _pre_delete(sender, instance, **kwargs):
    if _logged(sender):
        instance._audit_pre = instance.snapshot()


@receiver(post_delete)
def _post_delete(sender, instance, **kwargs):
    if _logged(sender):
        audit.record_object("delete", instance, getattr(instance, "_audit_pre", None), None)


@receiver(m2m_changed)
def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    target = instance if not reverse else None
    if target is None or not isinstance(target, ChangeLoggedModel):
        return
    audit.record_object("update", target, None, target.snapshot())
