"""Default credit-event types (from data/event_types.csv) and the default method.

Idempotent: versions already present are left as an admin edited them.
"""
import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).parent / "data" / "event_types.csv"
DEFAULT_METHOD_VERSION = "2020.1"


def _int_or_none(value: str):
    value = (value or "").strip()
    return int(value) if value else None


def load_event_types() -> int:
    from .models import EventType, IndicatorGroup

    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    existing = {(c, v): zh for c, v, zh in EventType.objects.values_list("code", "valid_from", "name_zh")}
    new = []
    for n, r in enumerate(rows, start=2):
        if r["group"] not in IndicatorGroup.values:
            raise ValueError(f"{DATA.name} row {n}: unknown group {r['group']!r}")
        valid_from = dt.date.fromisoformat(r["valid_from"])
        if (r["code"], valid_from) in existing:
            if not existing[(r["code"], valid_from)] and r.get("name_zh"):  # a Chinese name added later
                EventType.objects.filter(code=r["code"], valid_from=valid_from, name_zh="") \
                    .update(name_zh=r["name_zh"])
            continue
        new.append(EventType(code=r["code"], name=r["name"], name_zh=r.get("name_zh", ""), group=r["group"],
                             weight=Decimal(r["weight"]),
                             half_life_months=_int_or_none(r["half_life_months"]),
                             validity_months=_int_or_none(r["validity_months"]),
                             valid_from=valid_from, source=r["source"]))
    EventType.objects.bulk_create(new)
    return len(rows)


def load_default_method() -> int:
    from .models import Method

    if not Method.objects.filter(version=DEFAULT_METHOD_VERSION).exists():
        Method.objects.bulk_create([Method(
            version=DEFAULT_METHOD_VERSION, valid_from=dt.date(2020, 1, 1), published=True,
            description="Default method: three GB/T 31863 groups (caps 20/30/50), decayed event "
                        "weights, bands 90/80/70/60; see docs/credit.md.")])
    return 1


def load_all() -> dict[str, int]:
    return {"credit event types": load_event_types(), "credit methods": load_default_method()}
