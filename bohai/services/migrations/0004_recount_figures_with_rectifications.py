"""The months counted before the rectifications had their own monthly counts are forgotten: the dashboard
would read them with no rectifications. It counts from the applications until the job
services.refresh_monthly_figures next runs (within five minutes), which then counts every month again."""
from django.db import migrations


def forget_counted_months(apps, schema_editor):
    apps.get_model("services", "ServiceFiguresMonth").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("services", "0003_rectification_figures_and_overdue_index"),
    ]

    operations = [
        migrations.RunPython(forget_counted_months, migrations.RunPython.noop),
    ]
