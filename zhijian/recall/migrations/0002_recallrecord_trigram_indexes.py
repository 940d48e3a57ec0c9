"""Trigram indexes for the public recall API's text search (PostgreSQL only).

The API's word search is Django's ``icontains`` (``UPPER(col::text) LIKE UPPER('%term%')``) and
its case-blind keyword match ``iexact`` (``UPPER(col::text) = UPPER(term)``); a GIN index with
``gin_trgm_ops`` on exactly that expression serves both (equality since PostgreSQL 14), for
Chinese text too (the cluster's ``C.UTF-8`` ctype counts CJK ideographs as word characters).
``pg_trgm`` is a trusted extension: the database owner may create it. SQLite has no such index
and scans, which is what it does for every ``LIKE``.
"""
from django.db import migrations

TABLE = "recall_recallrecord"
# The record's local text and keyword fields of zhijian.recall.public_api.FIELDS.
COLUMNS = ("recall_number", "event_id", "product_description", "product_code", "product_quantity",
           "code_info", "reason_for_recall", "distribution_pattern", "recalling_firm", "city",
           "state", "country", "initial_firm_notification")


def _name(column):
    return f"recall_rec_{column[:24]}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{_name(column)}" ON "{TABLE}" '
                              f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{_name(column)}"')


class Migration(migrations.Migration):
    dependencies = [("recall", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
