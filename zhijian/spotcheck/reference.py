"""Default pass-rate targets (idempotent; edited rows are kept)."""
import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from .models import PassRateTarget

DATA = Path(__file__).parent / "data" / "pass_rate_targets.csv"


def load_pass_rate_targets() -> int:
    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        PassRateTarget.objects.get_or_create(
            kind=r["kind"], valid_from=dt.date.fromisoformat(r["valid_from"]),
            defaults={"target": Decimal(r["target"]), "source": r["source"]})
    return len(rows)
