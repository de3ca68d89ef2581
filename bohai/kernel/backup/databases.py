"""Copying a whole database to a file and back, for each supported vendor.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
while the platform keeps running, and in reverse overwrites the live database in place
(other processes see the restored content on their next transaction).
PostgreSQL: `pg_dump --format=custom` in an exported snapshot, so that the manifest's
counts describe exactly what was dumped; the restore empties the schema and replays the dump
(`pg_restore --file=-` piped into psql) in a single transaction, so a failed restore leaves the
database as it was. Not `pg_restore --clean`: it tries to drop each partition's inherited
constraints one by one (the telemetry readings are partitioned by month) and fails.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from .manifest import BackupRefused, DatabaseSummary, summarise

Progress = Callable[[str], None]
_SQLITE_PAGES_PER_STEP = 1024


class SqliteDatabase:
    vendor = "sqlite"
    extension = "sqlite3"

    def __init__(self, settings_dict: dict):
        self.path = Path(settings_dict["NAME"])
        if str(settings_dict["NAME"]) in ("", ":memory:") or "mode=memory" in str(settings_dict["NAME"]):
            raise BackupRefused(_("内存数据库无法备份"))

    def dump(self, target: Path, progress: Progress) -> DatabaseSummary:
        if not self.path.is_file():
            raise BackupRefused(_("数据库文件不存在：%(path)s") % {"path": self.path})
        with closing(sqlite3.connect(self.path)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy, pages=_SQLITE_PAGES_PER_STEP, progress=_page_reporter(progress))
            # A self-contained file: no -wal beside it that the checksum would miss.
            copy.execute("PRAGMA journal_mode=DELETE")
            return summarise(copy.cursor())

    def load(self, source: Path, progress: Progress) -> None:
        # Read-only, so that opening the backup cannot alter the file its checksum describes.
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup, \
                closing(sqlite3.connect(self.path, timeout=60)) as live:
            backup.backup(live, pages=_SQLITE_PAGES_PER_STEP, progress=_page_reporter(progress))


def _page_reporter(progress: Progress):
    reported = {"tenth": -1}

    def report(status, remaining, total):
        tenth = (total - remaining) * 10 // max(total, 1)
        if tenth != reported["tenth"]:
            reported["tenth"] = tenth
            progress(_("已复制 %(done)d / %(total)d 页") % {"done": total - remaining, "total": total})

    return report


CLEAR_SCHEMA = "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n"


class PostgresDatabase:
    vendor = "postgresql"
    extension = "pgdump"

    def __init__(self, settings_dict: dict):
        self.settings = settings_dict

    def dump(self, target: Path, progress: Progress) -> DatabaseSummary:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            self._run(
                [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--verbose", "--file", str(target)],
                progress, "dumping contents of table",
            )
            return summarise(cursor)

    def load(self, source: Path, progress: Progress) -> None:
        progress(_("清空数据库并按备份恢复"))
        with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
            replay = subprocess.Popen(
                [_tool("psql"), "--single-transaction", "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1",
                 *self._connection_arguments()],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=self._environment())
            dump = subprocess.Popen([_tool("pg_restore"), "--no-owner", "--file=-", str(source)],
                                    stdout=subprocess.PIPE, stderr=restore_errors, env=self._environment())
            try:
                replay.stdin.write(CLEAR_SCHEMA.encode())
                shutil.copyfileobj(dump.stdout, replay.stdin, 1 << 20)
                replay.stdin.close()
            except BrokenPipeError:  # psql stopped at an error: its message says which
                pass
            dump.wait()
            replay.wait()
            for process, tool, errors in ((dump, "pg_restore", restore_errors), (replay, "psql", psql_errors)):
                if process.returncode != 0:
                    errors.seek(0)
                    raise RuntimeError(_("%(tool)s 执行失败（退出码 %(code)d）：%(messages)s") % {
                        "tool": tool, "code": process.returncode,
                        "messages": errors.read().decode("utf-8", "replace")[-2000:]})
        progress(_("恢复完成"))

    def _run(self, command: list[str], progress: Progress, progress_marker: str) -> None:
        command = [*command, *self._connection_arguments()]
        with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=self._environment()) as process:
            messages = []
            for line in process.stderr:
                line = line.rstrip()
                if progress_marker in line:
                    progress(line.split(progress_marker, 1)[1].strip())
                elif "error" in line.lower() or "fatal" in line.lower():
                    messages.append(line)
        if process.returncode != 0:
            raise RuntimeError(
                _("%(tool)s 执行失败（退出码 %(code)d）：%(messages)s")
                % {"tool": Path(command[0]).name, "code": process.returncode, "messages": "\n".join(messages)}
            )

    def _connection_arguments(self) -> list[str]:
        arguments = ["--dbname", self.settings["NAME"]]
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if self.settings.get(key):
                arguments += [option, str(self.settings[key])]
        return arguments

    def _environment(self) -> dict:
        environment = dict(os.environ)
        if self.settings.get("PASSWORD"):
            environment["PGPASSWORD"] = self.settings["PASSWORD"]
        if self.settings.get("OPTIONS", {}).get("sslmode"):
            environment["PGSSLMODE"] = self.settings["OPTIONS"]["sslmode"]
        return environment


def _tool(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(path).exists():
        raise BackupRefused(_("找不到 %(tool)s：请安装 PostgreSQL 客户端（apt-get install postgresql-client）") % {"tool": name})
    return path


def live_database():
    """The backup strategy for the default database."""
    if connection.vendor == "sqlite":
        return SqliteDatabase(connection.settings_dict)
    if connection.vendor == "postgresql":
        return PostgresDatabase(connection.settings_dict)
    raise BackupRefused(_("不支持备份 %(vendor)s 数据库") % {"vendor": connection.vendor})
