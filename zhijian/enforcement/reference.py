"""Loading the hearing thresholds (idempotent: versions a province admin edited are kept)."""
import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).parent / "data" / "hearing_thresholds.csv"


def load_hearing_thresholds(model=None) -> int:
    if model is None:
        from .models import HearingThreshold as model
    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    existing = set(model.objects.values_list("kind", "valid_from"))
    model.objects.bulk_create([
        model(kind=r["kind"], amount=Decimal(r["amount"]), source=r["source"],
              valid_from=dt.date.fromisoformat(r["valid_from"]))
        for r in rows if (r["kind"], dt.date.fromisoformat(r["valid_from"])) not in existing])
    return len(rows)


def load_all() -> dict[str, int]:
    return {"hearing thresholds": load_hearing_thresholds()}
