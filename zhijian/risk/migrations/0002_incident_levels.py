"""Load the incident levels (data/incident_levels.csv) — thresholds and reporting time limits."""
from django.db import migrations


def load(apps, schema_editor):
    from zhijian.risk.reference import load_incident_levels

    load_incident_levels(apps.get_model("risk", "IncidentLevel"))


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
