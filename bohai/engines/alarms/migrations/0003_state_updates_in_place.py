"""Kept states are updated in place: the sweep's index no longer holds last_ts (every update of it added an
entry to each index), and on PostgreSQL each page keeps room for the new version of its rows (HOT updates)."""
from django.db import migrations, models

TABLE = "alarms_subjectmetricstate"


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("alarms", "0002_rule_set_version_row")]
    operations = [
        migrations.RemoveIndex(model_name="subjectmetricstate", name="alarms_state_silence"),
        migrations.AddIndex(model_name="subjectmetricstate",
                            index=models.Index(fields=["subject_kind", "subject_type"], name="alarms_state_kind_type")),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
