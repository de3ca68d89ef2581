"""Devices' rates take their previous reading from the telemetry store now: the alarm engine's kept states of
devices are no longer written or read, so they are deleted rather than left to go stale in the admin."""
from django.db import migrations

DEVICE_KIND = "iot.device"


def delete_device_states(apps, schema_editor):
    apps.get_model("alarms", "SubjectMetricState").objects.filter(subject_kind=DEVICE_KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("iot", "0002_device_ingest_permission"),
        ("alarms", "0003_state_updates_in_place"),
    ]

    # Backwards there is nothing to restore: the first batch after a restart reads the store either way.
    operations = [migrations.RunPython(delete_device_states, migrations.RunPython.noop)]
