"""Load the incident levels (data/incident_levels.csv) — thresholds and reporting time limits."""
import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "incident_levels.csv"


def load(apps, schema_editor):
    Level = apps.get_model("risk", "IncidentLevel")
    with open(DATA, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Level.objects.update_or_create(code=row["code"], defaults={
                "rank": int(row["rank"]), "name": row["name"], "name_zh": row["name_zh"],
                "min_deaths": int(row["min_deaths"]), "min_serious_injuries": int(row["min_serious_injuries"]),
                "min_loss": row["min_loss_10k_yuan"], "report_hours": int(row["report_hours"]),
                "escalate_hours": int(row["escalate_hours"]), "escalate_to": row["escalate_to"],
                "follow_up_days": int(row["follow_up_days"]), "supplement_days": int(row["supplement_days"]),
                "basis": row["basis"][:255]})


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
