"""Reference data of the targets app (``data/``): data elements, indicators, target sets.

Idempotent get-or-create by code, like ``zhijian/risk/reference.py``: a missing row is created,
an existing one (perhaps edited by the province) is kept. The data migration calls these with the
historical models; ``zhijian.reference.load_all`` with the current ones."""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str):
    with open(DATA / name, encoding="utf-8") as f:
        yield from csv.DictReader(f)


def load_elements(model=None) -> int:
    if model is None:
        from .models import DataElement as model
    n = 0
    for r in _rows("elements.csv"):
        model.objects.get_or_create(code=r["code"], defaults={
            "name": r["name"], "name_zh": r["name_zh"], "unit": r["unit"], "kind": r["kind"],
            "computed_key": r["computed_key"], "period_type": r["period_type"], "aggregation": r["aggregation"],
            "source": r["source"]})
        n += 1
    return n


def load_indicators(model=None) -> int:
    if model is None:
        from .models import Indicator as model
    n = 0
    for r in _rows("indicators.csv"):
        model.objects.get_or_create(code=r["code"], defaults={
            "name": r["name"], "name_zh": r["name_zh"], "numerator": r["numerator"],
            "denominator": r["denominator"], "factor": Decimal(r["factor"]), "unit": r["unit"],
            "decimals": int(r["decimals"])})
        n += 1
    return n


def load_targets(set_model=None, target_model=None, indicator_model=None) -> int:
    if set_model is None:
        from .models import Indicator as indicator_model
        from .models import Target as target_model
        from .models import TargetSet as set_model
    sets = {}
    for r in _rows("target_sets.csv"):
        sets[r["code"]], _ = set_model.objects.get_or_create(code=r["code"], defaults={
            "year": int(r["year"]), "name": r["name"], "name_zh": r["name_zh"], "source": r["source"]})
    indicators = {i.code: i for i in indicator_model.objects.all()}
    n = 0
    for r in _rows("targets.csv"):
        target_model.objects.get_or_create(target_set=sets[r["target_set"]], indicator=indicators[r["indicator"]],
                                           defaults={
            "direction": r["direction"], "value": Decimal(r["value"]), "order": int(r["order"]),
            "group": r["group"], "wording": r["wording"], "note": r["note"],
            "cumulative_from": int(r["cumulative_from"]) if r["cumulative_from"] else None})
        n += 1
    return n


def load_award_rewards(model=None) -> int:
    """The one-off provincial rewards of seed 三(三) (``award_rewards.csv``); a city-level award has
    no provincial reward (no row)."""
    if model is None:
        from .models import AwardReward as model
    n = 0
    for r in _rows("award_rewards.csv"):
        model.objects.get_or_create(kind=r["kind"], applies_from=int(r["applies_from"]), defaults={
            "amount": Decimal(r["amount"]), "source": r["source"]})
        n += 1
    return n


def load_all() -> dict[str, int]:
    return {"data elements": load_elements(), "indicators": load_indicators(), "targets": load_targets(),
            "award rewards": load_award_rewards()}
