"""Load the data elements, indicators and target sets (data/*.csv): the seed's 2020 targets and
the 2025 set."""
from django.db import migrations


def load(apps, schema_editor):
    from zhijian.targets.reference import load_elements, load_indicators, load_targets

    load_elements(apps.get_model("targets", "DataElement"))
    load_indicators(apps.get_model("targets", "Indicator"))
    load_targets(apps.get_model("targets", "TargetSet"), apps.get_model("targets", "Target"),
                 apps.get_model("targets", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
