"""Load the signal definitions (data/signal_definitions.csv): counts, method, thresholds."""
from django.db import migrations


def load(apps, schema_editor):
    from zhijian.risk.reference import load_signal_definitions

    load_signal_definitions(apps.get_model("risk", "SignalDefinition"), files=("signal_definitions.csv",))


class Migration(migrations.Migration):
    dependencies = [("risk", "0004_signals")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
