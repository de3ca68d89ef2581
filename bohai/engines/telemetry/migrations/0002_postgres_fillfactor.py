"""PostgreSQL: room in every page of the tables updated in place (rollups, latest values), so that their
upserts can be HOT updates (no new index entry per update)."""
from django.db import migrations

TABLES = ("telemetry_minute", "telemetry_hour", "telemetry_day", "telemetry_latest")


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
