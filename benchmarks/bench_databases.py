"""Large bench databases built once and reused: what bench_services_stats.py and bench_cases_indicators.py share.

A child process (see harness.run_child) opens the bench database of its size, builds its rows unless a
fingerprint in the table bench_meta says they are already there, loading them with executemany (SQLite)
or COPY (PostgreSQL) with the secondary indexes dropped and recreated afterwards; the rows are drawn
with weighted picks. The officers the measurements act as are created once per database.
"""
import os
import sys
import time
from bisect import bisect
from datetime import datetime

import harness


def database_name(base: str, size: int, full_size: int) -> str:
    """The full size has the plain name; other sizes add theirs (`base_N`), so each is kept apart."""
    return base if size == full_size else f"{base}_{size}"


def open_bench_database(engine: str, sqlite_name: str, postgres_name: str, size: int, full_size: int) -> str:
    """Create (PostgreSQL) the bench database of this size if needed, point Django at it and migrate; its URL."""
    if engine == "postgres":
        name = database_name(postgres_name, size, full_size)
        harness.ensure_postgres_database(name)
        url = harness.database_url(engine, name)
    else:
        url = harness.database_url(engine, database_name(sqlite_name, size, full_size))
    harness.setup_django(url)
    return url


def ensure_built(engine: str, meta_name: str, fingerprint: str, rebuild: bool, build, reusing: str) -> float | None:
    """Run `build()` unless bench_meta holds `fingerprint` under `meta_name` (or `rebuild`); the seconds it
    took, None when the rows were reused (and `reusing` said so)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (name varchar(40) PRIMARY KEY, value varchar(200))")
        cursor.execute("SELECT value FROM bench_meta WHERE name = %s", [meta_name])
        found = cursor.fetchone()
    if found and found[0] == fingerprint and not rebuild:
        print(f"[{engine}] reusing {reusing}", file=sys.stderr)
        return None
    started = time.perf_counter()
    build()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta WHERE name = %s", [meta_name])
        cursor.execute("INSERT INTO bench_meta (name, value) VALUES (%s, %s)", [meta_name, fingerprint])
    seconds = round(time.perf_counter() - started, 1)
    settle_writes(engine)
    return seconds


def settle_writes(engine: str) -> None:
    """Flush what a build left dirty (PostgreSQL's buffers or SQLite's WAL, then the kernel's) before anything is
    timed: right after a build of 100 million rows the disk was still writing gigabytes back and reads queued
    behind it (chart query p95 169 ms measured so on 2 December, 20 ms on the same store once settled)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT" if engine == "postgres" else "PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()


def insert(engine: str, table: str, columns: tuple, rows: list[tuple]) -> None:
    """executemany on SQLite (rows as `sqlite_row` gives them), COPY on PostgreSQL."""
    from django.db import connection

    if not rows:
        return
    names = ", ".join(columns)
    if engine == "sqlite":
        placeholders = ", ".join("?" * len(columns))
        connection.ensure_connection()
        connection.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)
        return
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def drop_secondary_indexes(engine: str, tables: tuple) -> list[str]:
    """Drop the tables' plain indexes (and, on PostgreSQL, foreign keys) while loading; return how to recreate them."""
    from django.db import connection

    recreate = []
    with connection.cursor() as cursor:
        for table in tables:
            if engine == "sqlite":
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'", [table])
                for name, sql in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    recreate.append(sql)
                continue
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                           "AND indexdef NOT LIKE 'CREATE UNIQUE%%'", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                recreate.insert(0, definition)
    return recreate


def recreate_indexes(engine: str, statements: list[str], tables: tuple) -> None:
    """After loading: the dropped indexes back, the id sequences past the loaded ids (PostgreSQL), statistics
    (ANALYZE on SQLite; VACUUM ANALYZE on PostgreSQL, as autovacuum would, so index-only scans skip the heap)."""
    from django.db import connection

    print(f"[{engine}] recreating {len(statements)} indexes …", file=sys.stderr)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if engine == "postgres":
            for table in tables:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        else:
            cursor.execute("ANALYZE")
    if engine == "postgres":
        vacuum_analyze(tables)


def vacuum_analyze(tables: tuple) -> None:
    """VACUUM ANALYZE (Django's connection is in autocommit here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def sqlite_row(engine: str, values: tuple) -> tuple:
    """SQLite is given what Django stores there: naive UTC text for times, 0/1 for booleans."""
    if engine != "sqlite":
        return values
    return tuple(v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else (int(v) if isinstance(v, bool) else v)
                 for v in values)


def cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def pick(rng, cumulative_weights: list[float]) -> int:
    """An index drawn by the weights `cumulative` made of them."""
    return min(bisect(cumulative_weights, rng.random() * cumulative_weights[-1]), len(cumulative_weights) - 1)


def ensure_officers(usernames: dict, unit_function: str) -> dict:
    """A city officer (the whole city) and a county officer (沧县) with their reference roles, each a staff
    account of the unit with `unit_function` in their region; {"city": user, "county": user} for
    usernames {"city": ..., "county": ...}."""
    from bohai.kernel.accounts import actions as accounts
    from bohai.kernel.accounts.models import User
    from bohai.kernel.organisations.models import Organisation
    from bohai.kernel.regions.models import Region

    users = {}
    for name, role, region_key in (("city", "city_officer", "130900"), ("county", "county_officer", "130921")):
        username = usernames[name]
        user = User.objects.filter(username=username).first()
        if user is None:
            region = Region.objects.defer("boundary").get(key=region_key)
            unit = Organisation.objects.filter(region=region, function=unit_function).first()
            user = accounts.create_staff_account(actor="bench", username=username, password="Bench-pass-2026!",
                                                 organisation=unit)
            accounts.assign_role(user, actor="bench", role_code=role, region=region)
        users[name] = User.objects.get(pk=user.pk)
    return users


def fresh_user(user):
    """The same user with empty caches (scopes are cached on the instance)."""
    from bohai.kernel.accounts.models import User

    return User.objects.get(pk=user.pk)
