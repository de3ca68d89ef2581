"""PostgreSQL: the raw table's primary key carries the value, so that chart queries read the key alone.

Live readings arrive time after time for every series, so the heap keeps a series' readings one per page:
reading 1,400 of them with the page cache dropped took ~100 ms (up to 590) through heap fetches and ~3 ms as
an index-only scan (10 million time-ordered readings, 2 December). Rebuilding the key rewrites the index of
every partition: on a big store this takes minutes and holds the table locked (see docs/operations.md).
"""
from django.db import migrations

TABLE = "telemetry_reading"
KEY = "telemetry_reading_pkey"


def _key_includes_value(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indnatts > indnkeyatts FROM pg_index WHERE indexrelid = %s::regclass", [KEY])
        return cursor.fetchone()[0]


def _rebuild_key(schema_editor, include_value: bool) -> None:
    if schema_editor.connection.vendor != "postgresql" or _key_includes_value(schema_editor) == include_value:
        return
    include = " INCLUDE (value)" if include_value else ""
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY}, "
                          f"ADD CONSTRAINT {KEY} PRIMARY KEY (series_id, ts){include}")


def cover_value(apps, schema_editor):
    _rebuild_key(schema_editor, include_value=True)


def uncover_value(apps, schema_editor):
    _rebuild_key(schema_editor, include_value=False)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0004_sqlite_clustered_tables")]
    operations = [migrations.RunPython(cover_value, uncover_value)]
