"""The small template language of the corpus material.

`[a|b|c]` picks one alternative (nested brackets are allowed; `[a|]` makes a part optional);
`{slot}` is replaced by a value drawn from places.py (`{place}` a location phrase, `{street}`,
`{compound}`, `{district}`, `{town}`, `{village}`, `{when}`, `{since}`, `{dur}`, `{night}`, `{money}`,
`{months}`, `{num}`, `{shop}`, `{company}`, `{school}`, `{hospital}`, `{bus}`, `{building}`,
`{cross}`, `{place2}`). Every choice goes through the generator's seeded random.Random.
"""
import random
import re

from . import places as P

_INNERMOST = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")


def expand(template: str, rng: random.Random, fixed: dict[str, str] | None = None) -> str:
    """Expand a template; `fixed` holds slot values that stay the same across one text (its place)."""
    text = template
    while True:
        match = _INNERMOST.search(text)
        if match is None:
            break
        choice = rng.choice(match.group(1).split("|"))
        text = text[:match.start()] + choice + text[match.end():]
    fixed = fixed or {}
    return _SLOT.sub(lambda m: fixed[m.group(1)] if m.group(1) in fixed else slot(m.group(1), rng), text)


def county(rng: random.Random) -> str:
    name = rng.choice(sorted(P.COUNTIES))
    return P.COUNTY_SHORT.get(name, name) if rng.random() < 0.3 else name


def village(rng: random.Random) -> str:
    return rng.choice(P.VILLAGE_PATTERNS).format(s=rng.choice(P.SURNAMES))


def district(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(P.CITY_DISTRICTS)
    if roll < 0.55:
        return rng.choice(P.ZONES)
    return county(rng)


def building(rng: random.Random) -> str:
    return rng.choice(P.BUILDINGS).format(n=rng.randint(1, 28), m=rng.randint(1, 4), f=rng.randint(1, 18))


def street(rng: random.Random) -> str:
    return rng.choice(P.CITY_ROADS) if rng.random() < 0.8 else rng.choice(P.COUNTY_ROADS)


def place(rng: random.Random) -> str:
    """A location phrase in one of the shapes people use on the phone."""
    roll = rng.random()
    if roll < 0.16:
        return rng.choice(P.CITY_DISTRICTS) + rng.choice(P.CITY_ROADS)
    if roll < 0.30:
        first, second = rng.sample(P.CITY_ROADS, 2)
        return f"{first}和{second}{rng.choice(['交叉口', '路口', '交口', '十字路口'])}"
    if roll < 0.42:
        return street(rng) + rng.choice(["", "", "上", "东头", "西段", "南头", "那边", "中间那段"])
    if roll < 0.58:
        return rng.choice(["", "", rng.choice(P.CITY_DISTRICTS)]) + rng.choice(P.COMPOUNDS) + rng.choice(["", "", building(rng), "门口", "北门", "后面"])
    if roll < 0.66:
        return rng.choice(P.STREET_OFFICES) + rng.choice(P.COMPOUNDS)
    if roll < 0.74:
        return rng.choice(P.LANDMARKS) + rng.choice(["附近", "旁边", "门口", "那一片", ""])
    if roll < 0.86:
        name = rng.choice(sorted(P.COUNTIES))
        seat = ["市区", "城里", ""] if name.endswith("市") else ["县城", "城里", ""]
        return county_name(name, rng) + rng.choice(seat) + rng.choice(P.COUNTY_ROADS)
    name = rng.choice(sorted(P.COUNTIES))
    return county_name(name, rng) + rng.choice(P.COUNTIES[name]) + rng.choice(["", village(rng)])


def county_name(name: str, rng: random.Random) -> str:
    return P.COUNTY_SHORT.get(name, name) if rng.random() < 0.3 else name


def town(rng: random.Random) -> str:
    name = rng.choice(sorted(P.COUNTIES))
    return rng.choice(["", county_name(name, rng)]) + rng.choice(P.COUNTIES[name])


def number(rng: random.Random) -> str:
    return rng.choice(P.NUMBERS_CN) if rng.random() < 0.7 else str(rng.randint(2, 9))


SLOTS = {
    "place": place,
    "place2": place,
    "street": street,
    "compound": lambda rng: rng.choice(P.COMPOUNDS),
    "district": district,
    "town": town,
    "village": village,
    "building": building,
    "cross": lambda rng: rng.choice(P.CROSS),
    "when": lambda rng: rng.choice(P.WHEN),
    "since": lambda rng: rng.choice(P.SINCE),
    "dur": lambda rng: rng.choice(P.DURATION),
    "night": lambda rng: rng.choice(P.NIGHT),
    "money": lambda rng: rng.choice(P.MONEY),
    "months": lambda rng: rng.choice(P.MONTHS),
    "num": number,
    "shop": lambda rng: rng.choice(P.SHOPS),
    "company": lambda rng: rng.choice(P.COMPANY_PREFIX) + rng.choice(P.COMPANY_KIND),
    "school": lambda rng: rng.choice(["", rng.choice(P.CITY_DISTRICTS), county(rng)]) + rng.choice(P.SCHOOLS),
    "hospital": lambda rng: rng.choice(P.HOSPITALS),
    "bus": lambda rng: rng.choice(P.BUS_LINES) if rng.random() < 0.85 else f"{county(rng)}的城乡公交",
}


def slot(name: str, rng: random.Random) -> str:
    try:
        return SLOTS[name](rng)
    except KeyError:
        raise KeyError(f"unknown slot {{{name}}} in the corpus material") from None
