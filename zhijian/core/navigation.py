"""The main menu: each app declares its entries in ``<app>/navigation.py``.

An app's module defines ``MENU = [MenuGroup(label, [MenuItem(url_name, model), ...])]``.
An entry is shown when the user may view at least part of the model (the same
``scope_q`` that ``restrict`` uses), so a menu never links to a page that would
answer 403. Groups with the same label from different apps are merged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from .querysets import scope_q


@dataclass(frozen=True)
class MenuItem:
    url_name: str
    model: type | None = None
    label: str | None = None  # defaults to the model's verbose_name_plural
    public: bool = False  # shown to anonymous visitors
    staff_only: bool = False  # shown to staff roles only (not enterprise / lab users)

    @property
    def text(self):
        if self.label is not None:
            return self.label
        return self.model._meta.verbose_name_plural if self.model else self.url_name


@dataclass(frozen=True)
class MenuGroup:
    label: str
    items: list[MenuItem] = field(default_factory=list)
    public: bool = False  # the group is shown to anonymous visitors


@cache
def registered_menu() -> tuple[MenuGroup, ...]:
    groups: dict[str, MenuGroup] = {}
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.navigation")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.navigation":
                raise
            continue
        for group in getattr(module, "MENU", []):
            key = str(group.label)
            if key in groups:
                groups[key].items.extend(group.items)
            else:
                groups[key] = MenuGroup(group.label, list(group.items), group.public)
    return tuple(groups.values())


def item_visible(item: MenuItem, user) -> bool:
    from .scope import scope_for

    authenticated = bool(user is not None and user.is_authenticated)
    if not authenticated and not item.public:
        return False
    if item.staff_only:
        scope = scope_for(user)
        if not (scope.unrestricted or scope.is_staff_role):
            return False
    if item.model is not None and hasattr(item.model, "public_q"):
        return scope_q(item.model, user, "view") is not None
    return True


def menu_for(user) -> list[dict]:
    """The menu groups and entries visible to ``user``, with resolved URLs."""
    menu = []
    authenticated = bool(user is not None and user.is_authenticated)
    for group in registered_menu():
        if not authenticated and not group.public:
            continue
        entries = []
        for item in group.items:
            if not item_visible(item, user):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            entries.append({"label": item.text, "url": url, "item": item})
        if entries:
            menu.append({"label": group.label, "entries": entries})
    return menu


def dashboard_counts(user) -> list[dict]:
    """Rows the user can see per model of the menu (one COUNT per model)."""
    from .scope import scope_for

    scope = scope_for(user)
    if not (scope.unrestricted or scope.is_staff_role):
        # Enterprise and lab users see their own rows plus everything public:
        # counting the public rows of a whole province says nothing to them.
        return []
    seen = set()
    result = []
    for group in registered_menu():
        for item in group.items:
            model = item.model
            if model is None or model in seen or not hasattr(model.objects, "restrict"):
                continue
            if not item_visible(item, user):
                continue
            seen.add(model)
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            result.append({"label": item.text, "url": url, "group": group.label,
                           "count": model.objects.restrict(user, "view").count()})
    return result
