"""What the database benchmarks share: a scratch database per run, timing, and the results format.

Each benchmark measures one database per process (Django binds its database at start-up), so a
script that covers SQLite and PostgreSQL runs itself once per database as a child process and
gathers the children's JSON. Results go to benchmarks/results/<name>.json as

    {"benchmark": ..., "measured_at": ..., "machine": {...}, "summary": [
        {"figure": ..., "value": ..., "unit": ..., "goal": ..., "ratio": ..., "met": ...}, ...], ...}

where ratio > 1 always means better than the goal.
"""
import json
import math
import os
import platform
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # the scripts run without installing the package
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
SCRATCH_DIR = REPO_ROOT / "var" / "bench"
POSTGRES_ADDRESS = ("127.0.0.1", 5432)
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/{name}"


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(POSTGRES_ADDRESS, timeout=1):
            return True
    except OSError:
        return False


def database_url(engine: str, name: str) -> str:
    if engine == "sqlite":
        SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{SCRATCH_DIR / (name + '.sqlite3')}"
    return POSTGRES_URL.format(name=name)


def ensure_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.format(name="postgres"), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.format(name="postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def remove_sqlite_database(name: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        (SCRATCH_DIR / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)


def fresh_database(engine: str, sqlite_name: str, postgres_name: str) -> str:
    """An empty scratch database for this engine (dropped and created again); its URL."""
    if engine == "postgres":
        drop_postgres_database(postgres_name)
        ensure_postgres_database(postgres_name)
        return database_url(engine, postgres_name)
    remove_sqlite_database(sqlite_name)
    return database_url(engine, sqlite_name)


def setup_django(url: str) -> None:
    """Point Django at the scratch database (before anything imports settings) and migrate it."""
    os.environ["BOHAI_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bohai.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def run_child(script: Path, engine: str, arguments: list[str]) -> dict | None:
    """Run `script --engine ENGINE …` and return the JSON it prints last; None when it failed."""
    command = [sys.executable, str(script), "--engine", engine, *arguments]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        print(f"[{engine}] failed with exit status {completed.returncode}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def drop_page_cache() -> bool:
    """Empty the kernel's page cache so that what follows reads from disk (root only; otherwise False and the
    pages stay wherever the caches left them)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as error:
        print(f"cannot drop the page cache ({error}); reads find it as it is", file=sys.stderr)
        return False
    return True


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(share * len(sorted_values))))
    return sorted_values[rank - 1]


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def figure(name: str, value: float, unit: str, goal: str = "", ratio: float | None = None,
           met: bool | None = None) -> dict:
    """One line of the summary; a figure without a goal is shown for information."""
    return {"figure": name, "value": round(value, 4), "unit": unit, "goal": goal,
            "ratio": None if ratio is None else round(ratio, 3), "met": met}


def write_results(name: str, command: str, summary: list[dict], details: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "command": command,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "summary": summary,
        **details,
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def print_summary(summary: list[dict]) -> None:
    for row in summary:
        ratio = "" if row["ratio"] is None else f"ratio {row['ratio']:>6.2f}"
        verdict = "" if row["met"] is None else ("met" if row["met"] else "NOT met")
        goal = f"goal {row['goal']}" if row["goal"] else ""
        print(f"  {row['figure']:<50} {row['value']:>14,.3f} {row['unit']:<7} {goal:<18} {ratio:<12} {verdict}")


def engines_to_run(requested: str) -> list[str]:
    if requested == "sqlite":
        return ["sqlite"]
    reachable = postgres_reachable()
    if requested == "postgres" and not reachable:
        raise SystemExit("PostgreSQL is not reachable at 127.0.0.1:5432")
    if not reachable:
        print("PostgreSQL is not reachable at 127.0.0.1:5432: measuring SQLite only (skipped PostgreSQL).")
        return ["sqlite"]
    return ["sqlite", "postgres"] if requested == "both" else [requested]
