"""The computed recall elements (``recalls_decided``, ``recalls_ordered``) for databases loaded
before they were listed in data/elements.csv (elements already there are left as they are)."""
from django.db import migrations


def load(apps, schema_editor):
    from zhijian.targets.reference import load_elements

    load_elements(apps.get_model("targets", "DataElement"))


class Migration(migrations.Migration):
    dependencies = [("targets", "0002_reference"), ("recall", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
