from django.db import migrations


def genesis(apps, schema_editor):
    AuditHead = apps.get_model("accounts", "AuditHead")
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "entry_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(genesis, migrations.RunPython.noop)]
