from django.db import migrations


def load(apps, schema_editor):
    from zhijian.enforcement.reference import load_hearing_thresholds

    load_hearing_thresholds(apps.get_model("enforcement", "HearingThreshold"))


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
