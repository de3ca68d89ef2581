"""Paging convention for lists: ?page=1&page_size=50 → {count, page, page_size, results}."""
from typing import Any

from django.core.exceptions import ValidationError

from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_PAGE_SIZE = 500


class PageNumbers(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        count: int
        page: int
        page_size: int
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        start = (pagination.page - 1) * pagination.page_size
        return {
            "count": len(queryset) if isinstance(queryset, list) else queryset.count(),
            "page": pagination.page,
            "page_size": pagination.page_size,
            "results": list(queryset[start : start + pagination.page_size]),
        }


def apply_ordering(queryset, ordering: str | None, allowed: set[str]):
    """?ordering=name or ?ordering=-created_at, restricted to the fields a list declares."""
    if not ordering:
        return queryset
    names = [n.strip() for n in ordering.split(",") if n.strip()]
    for name in names:
        if name.lstrip("-") not in allowed:
            raise ValidationError({"ordering": [f"不能按 {name.lstrip('-')} 排序，可选：{', '.join(sorted(allowed))}"]})
    return queryset.order_by(*names)
