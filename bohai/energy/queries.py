"""What the energy system tells other systems (they never read its models)."""
from .models import KeyEnterprise


def key_enterprise_sites(limit: int) -> list[tuple[str, str, str]]:
    """(credit code, name, region path) of the active key enterprises, by code: where meters and CEMS stand."""
    return list(KeyEnterprise.objects.filter(active=True).order_by("enterprise_code")
                .values_list("enterprise_code", "name", "region__path")[:limit])
