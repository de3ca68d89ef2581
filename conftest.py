"""Suite-wide fixtures and the rules for suites that need a service.

A suite that needs PostgreSQL, an MQTT broker or Debian's chromium is skipped, with the
reason printed at the end, when the service is absent; under CI (CI=true) an absent
service fails the run instead, so a green CI always means every suite ran.
"""
import os
import shutil

import pytest

pytest_plugins = ["bohai.testing.fixtures", "bohai.testing.browser", "bohai.testing.mqtt"]

UNDER_CI = os.environ.get("CI", "").lower() == "true"
_skipped_suites: dict[str, str] = {}


MOSQUITTO = "/usr/sbin/mosquitto"


def chromium_path() -> str | None:
    return os.environ.get("BOHAI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _missing_service(marker: str) -> str | None:
    if marker == "postgres":
        from django.db import connection

        if connection.vendor != "postgresql":
            return "the database is SQLite; `make test-postgres` runs this suite"
    if marker == "mqtt" and not os.access(MOSQUITTO, os.X_OK):
        return f"mosquitto is not installed at {MOSQUITTO} (apt-get install mosquitto); the tests start their own"
    if marker == "broker_plugin":
        from django.conf import settings

        if not settings.BOHAI_MQTT_REFUSALS_PLUGIN.is_file():
            return ("Bohai's broker plugin is not built (apt-get install mosquitto-dev libmosquitto-dev, "
                    "then make install)")
    if marker == "browser" and not chromium_path():
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "mqtt", "broker_plugin", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        # A SQLite run under CI legitimately skips PostgreSQL-only suites: CI runs them on PostgreSQL.
        if UNDER_CI and marker != "postgres":
            pytest.fail(f"CI requires the {marker} service: {reason}")
        _skipped_suites[marker] = reason
        pytest.skip(f"{marker}: {reason}")


def pytest_terminal_summary(terminalreporter):
    if _skipped_suites:
        terminalreporter.section("suites skipped for a missing service")
        for marker, reason in sorted(_skipped_suites.items()):
            terminalreporter.write_line(f"{marker}: {reason}")
