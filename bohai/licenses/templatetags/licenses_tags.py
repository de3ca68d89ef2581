"""`{% load licenses_tags %}`: the colours of statuses and verdicts."""
from django import template

register = template.Library()

STATUS_TONES = {"01": "green", "02": "orange", "03": "red", "04": "secondary", "05": "yellow", "06": "azure",
                "07": "red", "99": "secondary"}
VERDICT_TONES = {"valid": "green", "not_yet_valid": "azure", "expired": "yellow", "seized": "orange",
                 "revoked": "red", "cancelled": "secondary", "transferred": "azure", "revoked_by_penalty": "red",
                 "other": "secondary", "tampered": "red", "unknown": "secondary"}
VERDICT_ICONS = {"valid": "check", "tampered": "alert", "unknown": "search"}


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "secondary")


@register.filter
def verdict_tone(verdict: str) -> str:
    return VERDICT_TONES.get(verdict, "secondary")


@register.filter
def verdict_icon(verdict: str) -> str:
    return VERDICT_ICONS.get(verdict, "x")
