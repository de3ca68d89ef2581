"""`{% load services_tags %}`: the colours of statuses and deadline cards, time left in working days."""
from django import template
from django.template.defaultfilters import filesizeformat

from ..queries import working_days_left

register = template.Library()

STATUS_TONES = {"draft": "secondary", "submitted": "azure", "supplement": "orange", "rejected": "red",
                "in_review": "blue", "approved": "green", "denied": "red", "licensed": "teal", "completed": "green",
                "withdrawn": "secondary"}
WARNING_TONES = {0: "green", 1: "yellow", 2: "red"}
RECTIFICATION_TONES = {"open": "orange", "answered": "azure", "closed": "green"}
TRUST_TONES = {"A": "green", "B": "azure", "C": "yellow", "D": "secondary"}


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "secondary")


@register.filter
def warning_tone(warning) -> str:
    return WARNING_TONES.get(int(warning or 0), "secondary")


@register.filter
def rectification_tone(status: str) -> str:
    return RECTIFICATION_TONES.get(status, "secondary")


@register.filter
def trust_tone(level: str) -> str:
    return TRUST_TONES.get(level, "secondary")


@register.filter
def days_left(due_at):
    """Working days left (negative: overdue by that many), or None without a deadline."""
    return working_days_left(due_at)


@register.filter
def size_limit(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


@register.filter
def absolute(number):
    return abs(number) if number is not None else None
