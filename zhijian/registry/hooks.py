"""Extension points through which apps above the registry add rules to it.

The registry sits below the domain apps and imports none of them (docs/architecture.md).
Two things it shows or checks are decided elsewhere, so an app registers a callable
here from its ``AppConfig.ready()``:

* **award eligibility** — ``register_award_check(fn)``: ``fn(items)`` gets a list of
  ``(enterprise_id, year)`` pairs and returns ``{index: message}`` for the pairs it
  refuses (one query for any number of rows, so the same check serves the form, the
  API and a bulk import). Credit registers "not on the serious-violation list"
  (DESIGN §6.8, §7).
* **enterprise flags** — ``register_enterprise_flag(name, label, expression)``:
  ``expression(outer_ref, on)`` returns a boolean query expression (``Exists(…)``) for
  the enterprise whose id is ``outer_ref``; ``annotate_enterprise_flags(qs, path)``
  adds every registered flag to a list queryset as ``flag_<name>`` annotations, so a
  page of any size costs no extra query. ``EnterpriseFlagsColumn`` (registry tables)
  renders them. Credit registers "blacklisted" (public: the serious-violation list is
  published, so the portal's enterprise lookup shows it too).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from django.db.models import OuterRef, QuerySet
from django.utils import timezone

_award_checks: list[Callable] = []
_flags: dict[str, "EnterpriseFlag"] = {}


def register_award_check(fn: Callable) -> Callable:
    if fn not in _award_checks:
        _award_checks.append(fn)
    return fn


def award_refusals(items: list[tuple[int, int]]) -> dict[int, str]:
    """Messages by item index for the (enterprise id, year) pairs some check refuses."""
    refused: dict[int, str] = {}
    for check in _award_checks:
        for index, message in (check(list(items)) or {}).items():
            refused.setdefault(index, message)
    return refused


def award_refusal(enterprise_id: int, year: int) -> str | None:
    return award_refusals([(enterprise_id, year)]).get(0)


@dataclass(frozen=True)
class EnterpriseFlag:
    name: str
    label: object  # lazily translated
    expression: Callable  # (outer_ref: OuterRef, on: date) -> boolean expression
    css: str = ""
    public: bool = False  # may be shown on the public portal

    @property
    def attr(self) -> str:
        return f"flag_{self.name}"


def register_enterprise_flag(name: str, label, expression: Callable, css: str = "",
                             public: bool = False) -> EnterpriseFlag:
    flag = EnterpriseFlag(name, label, expression, css or f"flag-{name}", public)
    _flags[name] = flag
    return flag


def enterprise_flags() -> list[EnterpriseFlag]:
    return list(_flags.values())


def annotate_enterprise_flags(queryset: QuerySet, path: str = "pk", on: dt.date | None = None,
                              public_only: bool = False) -> QuerySet:
    """``queryset`` with a boolean ``flag_<name>`` per registered flag for the enterprise at ``path``
    (``"pk"`` for enterprises, ``"enterprise_id"`` for rows that point at one); ``public_only``:
    only the flags that may be shown on the public portal."""
    flags = [f for f in _flags.values() if f.public or not public_only]
    if not flags:
        return queryset
    on = on or timezone.localdate()
    return queryset.annotate(**{f.attr: f.expression(OuterRef(path), on) for f in flags})


def flags_of(record) -> list[EnterpriseFlag]:
    """The registered flags set on an annotated row."""
    return [f for f in _flags.values() if getattr(record, f.attr, False)]
