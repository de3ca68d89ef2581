"""Synthetic residents for the benchmarks, and their rows as the person table stores them.

Numbers are unique by construction: resident i gets county i mod 16, a birth date from the
i-th day of a 30,000-day span and a sequence number from i's quotient, so any resident can be
regenerated from its position alone (the lookup benchmark picks positions at random).
"""
import csv
from datetime import date, timedelta, timezone

from django.utils import timezone as django_timezone

COUNTIES_CSV = "bohai/kernel/regions/data/cangzhou.csv"
FIRST_BIRTH_DATE = date(1940, 1, 1)
BIRTH_DAYS = 30_000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强海燕文博雪梅春梅"
STREETS = ("解放西路", "永安大道", "浮阳大道", "北京路", "上海路", "建设大街", "人民路", "新华路", "朝阳路", "光明路")
PERSON_COLUMNS = (
    "id_number_cipher", "id_number_index", "id_number_masked", "name", "gender", "birth_date",
    "phone_cipher", "phone_index", "phone_masked", "address", "region_id", "created_at", "updated_at",
)


def county_codes(repo_root) -> list[tuple[str, str, int]]:
    with open(repo_root / COUNTIES_CSV, encoding="utf-8") as handle:
        return [(row["code"], row["name"], int(float(row["population_10k"]) * 10_000)) for row in csv.DictReader(handle)]


def ensure_regions(repo_root) -> dict[str, int]:
    """The city and its 16 counties (created directly: setup data, not the subject of a benchmark)."""
    from bohai.kernel.regions.models import Region

    city, _ = Region.objects.get_or_create(key="130900", defaults={
        "code": "130900", "name": "沧州市", "level": "city", "path": "/130900/"})
    ids = {}
    for code, name, population in county_codes(repo_root):
        county, _ = Region.objects.get_or_create(key=code, defaults={
            "code": code, "name": name, "level": "county", "parent": city, "path": f"/130900/{code}/",
            "population": population})
        ids[code] = county.pk
    return ids


def synthetic_person(i: int, codes: list[str]) -> tuple[str, str, str, str, str]:
    """(identity number, name, phone, address, county code) of resident number i."""
    from bohai.kernel.identities.validators import resident_id_check_char

    county = codes[i % len(codes)]
    birth = FIRST_BIRTH_DATE + timedelta(days=(i // len(codes)) % BIRTH_DAYS)
    sequence = i // (len(codes) * BIRTH_DAYS)
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
    phone = f"1{3 + i % 7}{(i * 7919) % 10**9:09d}"
    address = f"河北省沧州市{STREETS[i % len(STREETS)]}{i % 400 + 1}号"
    return first17 + resident_id_check_char(first17), name, phone, address, county


def stored_row(number: str, name: str, phone: str, address: str, region_id: int, now, engine: str) -> tuple:
    """The person as the table stores it: what identities.actions.person_from_fields computes."""
    from bohai.kernel.crypto.fields import blind_index, encrypt
    from bohai.kernel.identities.validators import mask_phone, mask_resident_id

    birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if engine == "sqlite":
        birth = birth.isoformat()
    return (
        encrypt(number), blind_index(number), mask_resident_id(number), name,
        "male" if int(number[16]) % 2 else "female", birth,
        encrypt(phone), blind_index(phone), mask_phone(phone) if phone else "", address, region_id, now, now,
    )


def now_for(engine: str):
    """The current time as each database is given it (SQLite keeps Django's naive UTC text)."""
    now = django_timezone.now()
    return now.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ") if engine == "sqlite" else now


def insert_rows(engine: str, rows: list[tuple]) -> None:
    """Plain bulk insert of stored rows on Django's connection: executemany (SQLite) or COPY (PostgreSQL)."""
    from django.db import connection

    columns = ", ".join(PERSON_COLUMNS)
    if engine == "sqlite":
        placeholders = ", ".join("?" * len(PERSON_COLUMNS))
        connection.connection.executemany(f"INSERT INTO identities_person ({columns}) VALUES ({placeholders})", rows)
        return
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY identities_person ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
