from django.db import migrations


def create_version_row(apps, schema_editor):
    # The row every rule change bumps; created here so that two first changes never race to create it.
    apps.get_model("alarms", "RuleSetVersion").objects.get_or_create(key="rules", defaults={"version": 0})


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]

    operations = [migrations.RunPython(create_version_row, migrations.RunPython.noop)]
