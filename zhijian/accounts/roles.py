"""Role permissions: each role is a Django group whose permissions an admin can edit.

Apps declare their defaults in ``<app>/roles.py`` as ``ROLE_PERMISSIONS =
{role: {"app_label.model": "vacd"}}`` (v=view, a=add, c=change, d=delete). After
each migrate the groups are created and given any default permission they lack;
an admin may grant more in the admin site (defaults are restored on migrate, so
a default is withdrawn by changing the app's roles.py).
"""
from importlib import import_module

from django.apps import apps
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from zhijian.core.scope import ROLES

LETTERS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def group_name(role: str) -> str:
    return f"role:{role}"


def default_permissions() -> dict[str, set[tuple[str, str]]]:
    """role -> {(app_label, codename)} from every installed app's roles.py."""
    result: dict[str, set[tuple[str, str]]] = {role: set() for role in ROLES}
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise
            continue
        for role, models in getattr(module, "ROLE_PERMISSIONS", {}).items():
            for label, letters in models.items():
                app_label, model = label.split(".")
                for letter in letters:
                    result[role].add((app_label, f"{LETTERS[letter]}_{model}"))
    return result


def sync_role_groups(using="default", **kwargs) -> None:
    by_key = {(app_label, codename): pk for pk, app_label, codename in
              Permission.objects.using(using).values_list("pk", "content_type__app_label", "codename")}
    for role, perms in default_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name(role))
        wanted = {by_key[p] for p in perms if p in by_key}
        have = set(group.permissions.values_list("pk", flat=True))
        if wanted - have:
            group.permissions.add(*(wanted - have))


class RoleBackend(ModelBackend):
    """Grant a user the permissions of the group named after its profile's role."""

    def _get_group_permissions(self, user_obj):
        qs = super()._get_group_permissions(user_obj)
        profile = getattr(user_obj, "profile", None)
        if profile is None or not profile.role:
            return qs
        return qs | Permission.objects.filter(group__name=group_name(profile.role))
