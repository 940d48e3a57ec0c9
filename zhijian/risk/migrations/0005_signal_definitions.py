"""Load the signal definitions (data/signal_definitions.csv): counts, method, thresholds."""
import csv
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "signal_definitions.csv"


def load(apps, schema_editor):
    Definition = apps.get_model("risk", "SignalDefinition")
    with open(DATA, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Definition.objects.update_or_create(code=row["code"], defaults={
                "name": row["name"], "source": row["source"], "method": row["method"], "level": row["level"],
                "parameters": json.loads(row["parameters"])})


class Migration(migrations.Migration):
    dependencies = [("risk", "0004_signals")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
