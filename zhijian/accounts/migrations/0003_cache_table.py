"""Create the database cache table (settings.CACHES): API rate limits keep their history there.

``createcachetable`` is idempotent, so this is safe on databases that already have it;
Django's test runner creates it as well.
"""
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_genesis")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
