"""A PostgreSQL server of the test's own, to crash and restart without touching the machine's server.

The machine's server also holds the other test runs' databases, so a test that restarts "the database" starts
a cluster of its own (initdb in a temporary directory, a free port, a socket directory beside it), copies the
test database into it with pg_dump and pg_restore, and points the process under test at the copy.

    def test_something(private_postgres):
        url = private_postgres.copy_of_test_database()
        ...                                            # a subprocess with BOHAI_DATABASE_URL=url
        private_postgres.restart()                     # immediate shutdown: a crash, recovered from the WAL on start

Root may not run a PostgreSQL server: as root the commands run as the `postgres` user (runuser), in a
directory that user owns.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bohai.testing.mqtt import free_port

UNDER_CI = os.environ.get("CI", "").lower() == "true"
SERVER_USER = "postgres"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory holding pg_ctl and initdb, if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name),
                        reverse=True)
    on_path = shutil.which("initdb")  # Debian puts only wrappers on the PATH; other systems the programs
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for directory in candidates:
        if os.access(Path(directory) / "pg_ctl", os.X_OK) and os.access(Path(directory) / "initdb", os.X_OK):
            return Path(directory)
    return None


class PrivateCluster:
    def __init__(self, binaries: Path, directory: Path):
        self.binaries, self.directory = binaries, directory
        self.data, self.sockets, self.log = directory / "data", directory / "sockets", directory / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def initialise(self) -> None:
        self.sockets.mkdir()
        if self.as_root:
            owner = pwd.getpwnam(SERVER_USER)
            for path in (self.directory, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, pause: float = 0.0, mode: str = "immediate") -> None:
        """Stop (immediate: every backend killed, nothing flushed, as in a crash) and start again; the
        server replays its write-ahead log on the way up."""
        self.stop(mode)
        time.sleep(pause)
        self.start()

    def copy_of_test_database(self, name: str = "copy") -> str:
        """The test database (schema and committed rows) restored into this cluster; its URL."""
        from django.db import connection

        source = connection.settings_dict
        source_url = (f"postgres://{source['USER'] or 'postgres'}@{source['HOST'] or '127.0.0.1'}:"
                      f"{source['PORT'] or 5432}/{source['NAME']}")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, name)
        dump = subprocess.run([str(self.binaries / "pg_dump"), "--format=custom", "--no-owner", source_url],
                              check=True, capture_output=True).stdout
        restore = subprocess.run([str(self.binaries / "pg_restore"), "--no-owner", "--exit-on-error",
                                  "--dbname", self.url(name)], input=dump, capture_output=True)
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")
        return self.url(name)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.binaries / program), *arguments]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        finished = subprocess.run(command, capture_output=True, cwd=self.directory)
        assert finished.returncode == 0, (f"{' '.join(command)} failed: "
                                          f"{finished.stderr.decode(errors='replace')}\n{self.server_log()}")


@pytest.fixture
def private_postgres(db):
    """A started PostgreSQL cluster of this test's own (PostgreSQL runs only; removed at the end)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("postgres: the database is SQLite; `make test-postgres` runs this test")
    binaries = server_binaries()
    if binaries is None:
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed here"
        if UNDER_CI:
            pytest.fail(f"CI requires them: {reason}")
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="bohai-private-postgres-"))
    directory.chmod(0o755)
    cluster = PrivateCluster(binaries, directory)
    try:
        cluster.initialise()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except AssertionError:
            pass  # never started, or already down
        shutil.rmtree(directory, ignore_errors=True)
