"""Small sample files, identity numbers and accounts for the transfer tests."""
import io
from datetime import date

import openpyxl

from bohai.kernel.accounts.actions import assign_role, create_staff_account, ensure_reference_roles
from bohai.kernel.identities.validators import make_credit_code, make_resident_id
from bohai.kernel.organisations.models import Organisation, OrganisationKind
from bohai.kernel.regions.models import Region

PASSWORD = "Bohai@2026"


def staff(username: str, region: Region, role: str):
    ensure_reference_roles(actor="test")
    unit, _ = Organisation.objects.get_or_create(
        key=f"{region.key}-gov", defaults={"name": f"{region.name}人民政府", "kind": OrganisationKind.GOVERNMENT,
                                           "region": region, "path": f"/{region.key}-gov/"},
    )
    user = create_staff_account(actor="test", username=username, password=PASSWORD, organisation=unit)
    assign_role(user, actor="test", role_code=role, region=region)
    return user


def resident_id(county: str = "130921", n: int = 1) -> str:
    return make_resident_id(county, date(1980, 1, 1 + n % 28), n % 1000)


def credit_code(county: str = "130921", n: int = 1) -> str:
    return make_credit_code("91", county, f"MA{n:06d}")


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> io.BytesIO:
    text = "\r\n".join(",".join(cells) for cells in rows) + "\r\n"
    return io.BytesIO(text.encode(encoding))


def xlsx_file(rows: list[list]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream
