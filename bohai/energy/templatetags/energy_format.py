"""Numbers on the energy pages: thousands grouped whatever the locale's grouping (zh-Hans groups none)."""
from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def grouped(value, places: int = 0) -> str:
    """1234567.891|grouped:1 → "1,234,567.9"; none → "—"."""
    if value is None or value == "":
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{int(places)}f}"
