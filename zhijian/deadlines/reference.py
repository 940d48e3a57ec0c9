"""Loading the default time limits (idempotent: existing versions are left as edited)."""
import csv
import datetime as dt
from pathlib import Path

from .models import TimeLimit

DATA = Path(__file__).parent / "data" / "time_limits.csv"


def load_time_limits() -> int:
    with open(DATA, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    existing = set(TimeLimit.objects.values_list("key", "valid_from"))
    new = [TimeLimit(key=r["key"], title=r["title"], amount=int(r["amount"]), unit=r["unit"],
                     source=r["source"], valid_from=dt.date.fromisoformat(r["valid_from"]))
           for r in rows if (r["key"], dt.date.fromisoformat(r["valid_from"])) not in existing]
    TimeLimit.objects.bulk_create(new)
    return len(rows)
