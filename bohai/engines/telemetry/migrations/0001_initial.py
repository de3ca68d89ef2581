from django.db import migrations, models
from django.utils import timezone


def create_raw_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(apps.get_model("telemetry", "Reading"))
        return
    from bohai.engines.telemetry.partitions import CREATE_PARTITIONED_TABLE, ensure_upcoming_partitions

    schema_editor.execute(CREATE_PARTITIONED_TABLE)
    ensure_upcoming_partitions(timezone.now())


def drop_raw_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE telemetry_reading" + (" CASCADE" if schema_editor.connection.vendor == "postgresql" else ""))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='DayRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('series_id', 'bucket', blank=True, editable=False, primary_key=True, serialize=False)),
                ('series_id', models.BigIntegerField(verbose_name='时间序列')),
                ('bucket', models.DateTimeField(verbose_name='时段起点')),
                ('count', models.BigIntegerField(verbose_name='读数个数')),
                ('sum', models.FloatField(verbose_name='合计')),
                ('min', models.FloatField(verbose_name='最小值')),
                ('max', models.FloatField(verbose_name='最大值')),
            ],
            options={
                'verbose_name': '日汇总',
                'verbose_name_plural': '日汇总',
                'db_table': 'telemetry_day',
                'ordering': ['series_id', 'bucket'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='HourRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('series_id', 'bucket', blank=True, editable=False, primary_key=True, serialize=False)),
                ('series_id', models.BigIntegerField(verbose_name='时间序列')),
                ('bucket', models.DateTimeField(verbose_name='时段起点')),
                ('count', models.BigIntegerField(verbose_name='读数个数')),
                ('sum', models.FloatField(verbose_name='合计')),
                ('min', models.FloatField(verbose_name='最小值')),
                ('max', models.FloatField(verbose_name='最大值')),
            ],
            options={
                'verbose_name': '小时汇总',
                'verbose_name_plural': '小时汇总',
                'db_table': 'telemetry_hour',
                'ordering': ['series_id', 'bucket'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Latest',
            fields=[
                ('series_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='时间序列')),
                ('ts', models.DateTimeField(verbose_name='时间')),
                ('value', models.FloatField(verbose_name='数值')),
            ],
            options={
                'verbose_name': '最新值',
                'verbose_name_plural': '最新值',
                'db_table': 'telemetry_latest',
                'ordering': ['series_id'],
            },
        ),
        migrations.CreateModel(
            name='MinuteRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('series_id', 'bucket', blank=True, editable=False, primary_key=True, serialize=False)),
                ('series_id', models.BigIntegerField(verbose_name='时间序列')),
                ('bucket', models.DateTimeField(verbose_name='时段起点')),
                ('count', models.BigIntegerField(verbose_name='读数个数')),
                ('sum', models.FloatField(verbose_name='合计')),
                ('min', models.FloatField(verbose_name='最小值')),
                ('max', models.FloatField(verbose_name='最大值')),
            ],
            options={
                'verbose_name': '分钟汇总',
                'verbose_name_plural': '分钟汇总',
                'db_table': 'telemetry_minute',
                'ordering': ['series_id', 'bucket'],
                'abstract': False,
            },
        ),
        # The raw table: a plain table on SQLite, a table partitioned by month on PostgreSQL.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reading',
                    fields=[
                        ('pk', models.CompositePrimaryKey('series_id', 'ts', blank=True, editable=False, primary_key=True, serialize=False)),
                        ('series_id', models.BigIntegerField(verbose_name='时间序列')),
                        ('ts', models.DateTimeField(verbose_name='时间')),
                        ('value', models.FloatField(verbose_name='数值')),
                    ],
                    options={
                        'verbose_name': '原始读数',
                        'verbose_name_plural': '原始读数',
                        'db_table': 'telemetry_reading',
                        'ordering': ['series_id', 'ts'],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_raw_table, drop_raw_table),
        migrations.CreateModel(
            name='Series',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source_id', models.BigIntegerField(verbose_name='数据源')),
                ('metric', models.CharField(max_length=40, verbose_name='指标')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
            ],
            options={
                'verbose_name': '时间序列',
                'verbose_name_plural': '时间序列',
                'ordering': ['source_id', 'metric'],
                'constraints': [models.UniqueConstraint(fields=('source_id', 'metric'), name='telemetry_series_source_metric')],
            },
        ),
    ]
