"""Reference data of risk monitoring, from ``data/``: the incident levels (thresholds and
reporting time limits) and the signal definitions (counts, method, thresholds).

Idempotent: a row missing by code is created; a row that exists is left as it is (a bureau
adjusts the levels and thresholds to its own rules, and reloading must not undo that). The migrations call these with their historical model;
``zhijian.reference.load_all`` calls them with the current one, so a database that lost the rows
(a flushed test database, a restored partial dump) gets them back from ``load_reference``."""
from __future__ import annotations

import csv
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str):
    with open(DATA / name, encoding="utf-8") as f:
        yield from csv.DictReader(f)


def load_incident_levels(model=None) -> int:
    if model is None:
        from .models import IncidentLevel as model
    n = 0
    for row in _rows("incident_levels.csv"):
        model.objects.get_or_create(code=row["code"], defaults={
            "rank": int(row["rank"]), "name": row["name"], "name_zh": row["name_zh"],
            "min_deaths": int(row["min_deaths"]), "min_serious_injuries": int(row["min_serious_injuries"]),
            "min_loss": row["min_loss_10k_yuan"], "report_hours": int(row["report_hours"]),
            "escalate_hours": int(row["escalate_hours"]), "escalate_to": row["escalate_to"],
            "follow_up_days": int(row["follow_up_days"]), "supplement_days": int(row["supplement_days"]),
            "basis": row["basis"][:255]})
        n += 1
    return n


#: The signal definitions: over complaints, injuries and spot-check results; over opinion items.
SIGNAL_FILES = ("signal_definitions.csv", "opinion_signal_definitions.csv")


def load_signal_definitions(model=None, files=SIGNAL_FILES) -> int:
    if model is None:
        from .models import SignalDefinition as model
    n = 0
    for row in (r for name in files for r in _rows(name)):
        model.objects.get_or_create(code=row["code"], defaults={
            "name": row["name"], "source": row["source"], "method": row["method"], "level": row["level"],
            "parameters": json.loads(row["parameters"])})
        n += 1
    return n


def load_all() -> dict[str, int]:
    return {"incident levels": load_incident_levels(), "signal definitions": load_signal_definitions()}
