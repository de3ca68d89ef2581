"""Machinery several systems share: working-day clock, workflows (next: telemetry, indicators, documents, text)."""
