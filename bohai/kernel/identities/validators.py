"""Validators for Chinese identity numbers used across Bohai.

Pure Python (no Django) so that forms, the API, importers and batch jobs share
one implementation:

* resident identity numbers, GB 11643-1999 (check: ISO 7064 MOD 11-2);
* unified social credit codes, GB 32100-2015, including the embedded
  GB 11714 organisation code and its own check character;
* mainland mobile phone numbers, plus masking helpers for display and logs.

Errors are raised as ``IdentityValidationError`` with a machine ``code``, a
precise Chinese ``message`` and an English ``message_en``.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

logger = logging.getLogger(__name__)

# 83 is the prefix of residence permits for Taiwan residents (830000), which carry the same layout.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
# Organisations registered by national authorities carry the national code 100000.
CREDIT_DIVISION_PREFIXES = PROVINCE_PREFIXES | {"10"}

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_DATE = date(1890, 1, 1)

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ORGANISATION_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# GB 32100-2015 appendix A: registering authority -> {category: name}.
ENTITY_TYPES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
          "5": "仲裁委员会", "9": "其他"},
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
          "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
          "9": "其他"},
    "Y": {"1": "其他"},
}
AUTHORITY_NAMES = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "市场监督管理（工商）", "A": "中央军委改革和编制办公室",
    "N": "农业", "Y": "其他",
}

_DIGITS = frozenset("0123456789")
_RESIDENT_LAST_CHARS = frozenset("0123456789X")
_CREDIT_CHARSET = frozenset(CREDIT_CODE_ALPHABET)
_CREDIT_ALPHABET_BYTES = CREDIT_CODE_ALPHABET.encode()
_ENTITY_TYPE_PAIRS = frozenset(a + t for a, types in ENTITY_TYPES.items() for t in types)
_ORG_VALUES = {c: v for v, c in enumerate(ORGANISATION_CODE_ALPHABET)}
# Check characters indexed by (weighted sum mod 11) and (weighted sum mod 31).
_ORG_CHECK_BY_REMAINDER = "0X987654321"
_CREDIT_CHECK_BY_REMAINDER = "".join(CREDIT_CODE_ALPHABET[-r % 31] for r in range(31))
# Rewrites GB 32100 characters (as bytes) as base-34 digits of the same value.
_CREDIT_TO_BASE34 = bytes.maketrans(CREDIT_CODE_ALPHABET.encode(),
                                    ORGANISATION_CODE_ALPHABET[:31].encode())


class IdentityValidationError(ValueError):
    """An identity value is invalid; ``str(e)`` is the Chinese message."""

    def __init__(self, code: str, message: str, message_en: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_en = message_en
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.message_en, self.field))


class PilotCodeCheckFailed(IdentityValidationError):
    """A structurally valid credit code fails its check character(s).

    Some early pilot-area codes are legal yet fail the checks, so this must be
    shown as a warning that an authorised user may override.
    ``failed_checks`` holds "org_code_check" and/or "check_digit".
    """

    def __init__(self, message: str, message_en: str, field: str | None = None,
                 failed_checks: tuple[str, ...] = ()):
        super().__init__("pilot_check_failed", message, message_en, field)
        self.failed_checks = failed_checks

    def __reduce__(self):
        return (type(self), (self.message, self.message_en, self.field, self.failed_checks))


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    division_code: str
    birth_date: date
    sequence: int
    gender: str  # "male" or "female"


@dataclass(frozen=True, slots=True)
class CreditCode:
    code: str
    authority: str  # character 1, the registering authority
    entity_type: str  # characters 1-2, e.g. "91" for an enterprise
    division_code: str
    organisation_code: str  # characters 9-17, including its own check character
    pilot_override: bool = False

    @property
    def authority_name(self) -> str:
        return AUTHORITY_NAMES[self.authority]

    @property
    def entity_type_name(self) -> str:
        return ENTITY_TYPES[self.authority][self.entity_type[1]]


# --- check characters -------------------------------------------------------

def resident_id_check_char(first17: str) -> str:
    _require(len(first17) == 17 and first17.isascii() and first17.isdigit(),
             "first17 must be 17 ASCII digits")
    return _resident_check_char(first17)


def credit_code_check_char(first17: str) -> str:
    _require(len(first17) == 17 and _CREDIT_CHARSET.issuperset(first17),
             "first17 must be 17 characters of the GB 32100 alphabet")
    return _credit_check_char(first17.encode())


def organisation_code_check_char(first8: str) -> str:
    _require(len(first8) == 8 and all(c in _ORG_VALUES for c in first8),
             "first8 must be 8 characters of 0-9 and A-Z")
    weighted = sum(_ORG_VALUES[c] * w for c, w in zip(first8, ORGANISATION_CODE_WEIGHTS))
    return _ORG_CHECK_BY_REMAINDER[weighted % 11]


# The hot paths below replace the per-character weighted sums with one int()
# call in C. Each weight table is a power series modulo the check modulus, and
# int(text, base) sums digit * base**k, so a base congruent to the series ratio
# gives the same remainder.
assert RESIDENT_ID_WEIGHTS == tuple(2 ** (18 - i) % 11 for i in range(1, 18))
assert CREDIT_CODE_WEIGHTS == tuple(3 ** (i - 1) % 31 for i in range(1, 18))
assert ORGANISATION_CODE_WEIGHTS == tuple(2 ** (9 - i) % 11 for i in range(1, 9))

def _resident_check_char(first17: str) -> str:
    # Weights are 2**(18-i) mod 11; 13 = 2 (mod 11).
    return RESIDENT_ID_CHECK_CHARS[2 * int(first17, 13) % 11]


def _credit_check_char(code: bytes) -> str:
    """Check character for the first 17 characters of ``code``."""
    # Weights are 3**(i-1) mod 31; 34 = 3 (mod 31). Reversed so that the
    # first character gets the power 0.
    return _CREDIT_CHECK_BY_REMAINDER[int(code[16::-1].translate(_CREDIT_TO_BASE34), 34) % 31]


def _embedded_org_check_char(body8: bytes) -> str:
    # Weights are 2**(9-i) mod 11; 35 = 2 (mod 11). Inside a credit code the
    # body is 0-9A-Y, whose GB 11714 values equal their base-35 digit values.
    return _ORG_CHECK_BY_REMAINDER[2 * int(body8, 35) % 11]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# --- resident identity numbers ----------------------------------------------

def validate_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate a GB 11643-1999 number; ``today`` defaults to the local date."""
    number = _normalise(value)
    if len(number) != 18:
        raise _length_error(len(number))
    first17, last = number[:17], number[17]
    if last == "x":
        last = "X"
        number = first17 + last
    if not (first17.isascii() and first17.isdigit() and last in _RESIDENT_LAST_CHARS):
        raise _resident_charset_error(number)
    if number[:2] not in PROVINCE_PREFIXES:
        raise _province_error(number[:6])
    digits = number[6:14]
    birth_date = _known_birth_dates.get(digits) or _parse_birth_date(digits)
    today_digits = _today_digits() if today is None else f"{today:%Y%m%d}"
    if digits > today_digits:
        raise _future_birth_date_error(birth_date, today_digits)
    expected = _resident_check_char(first17)
    if last != expected:
        raise IdentityValidationError(
            "check_digit",
            f"校验码应为 {expected}，实际为 {last}",
            f"check character should be {expected}, got {last}",
        )
    sequence = int(number[14:17])
    return ResidentId(number, number[:6], birth_date, sequence,
                      "male" if sequence & 1 else "female")


def _normalise(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    text = value.strip()
    if text.isascii():
        return text
    # Full-width digits and letters typed with Chinese input methods.
    return unicodedata.normalize("NFKC", text).strip()


def _length_error(length: int) -> IdentityValidationError:
    return IdentityValidationError(
        "length", f"长度应为 18 位，实际为 {length} 位", f"must be 18 characters long, got {length}"
    )


def _resident_charset_error(number: str) -> IdentityValidationError:
    for position, char in enumerate(number[:17], start=1):
        if char not in _DIGITS:
            return IdentityValidationError(
                "charset",
                f"第 {position} 位字符“{char}”无效：前 17 位必须是数字",
                f"character {position} ({char!r}) is invalid: the first 17 must be digits",
            )
    return IdentityValidationError(
        "charset",
        f"第 18 位（校验码）必须是数字或 X，实际为“{number[17]}”",
        f"character 18 (check character) must be a digit or X, got {number[17]!r}",
    )


def _province_error(division_code: str) -> IdentityValidationError:
    return IdentityValidationError(
        "province",
        f"行政区划代码 {division_code} 的前两位 {division_code[:2]} 不是有效的省级代码",
        f"division code {division_code}: {division_code[:2]} is not a valid province prefix",
    )


# Real dates seen so far, keyed by "YYYYMMDD": a dict hit replaces parsing and
# building a date (at most ~50,000 entries, one per day since 1890).
_known_birth_dates: dict[str, date] = {}


def _future_birth_date_error(birth_date: date, today_digits: str) -> IdentityValidationError:
    return IdentityValidationError(
        "future_birth_date",
        f"出生日期 {birth_date.isoformat()} 晚于今天（{_iso(today_digits)}）",
        f"birth date {birth_date.isoformat()} is in the future (today is {_iso(today_digits)})",
    )


def _parse_birth_date(digits: str) -> date:
    if digits < EARLIEST_BIRTH_DATE.strftime("%Y%m%d"):
        raise IdentityValidationError(
            "birth_date",
            f"出生日期 {_iso(digits)} 早于 {EARLIEST_BIRTH_DATE.isoformat()}",
            f"birth date {_iso(digits)} is before {EARLIEST_BIRTH_DATE.isoformat()}",
        )
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise _impossible_date_error(digits, year, month, day) from None
    _known_birth_dates[digits] = birth_date
    return birth_date


def _impossible_date_error(digits: str, year: int, month: int, day: int) -> IdentityValidationError:
    if not 1 <= month <= 12:
        reason, reason_en = f"月份 {month:02d} 不存在", f"there is no month {month:02d}"
    else:
        reason, reason_en = f"{year} 年 {month} 月没有 {day} 日", f"{year}-{month:02d} has no day {day}"
    return IdentityValidationError(
        "birth_date",
        f"出生日期 {digits} 不是有效日期：{reason}",
        f"birth date {digits} is not a real date: {reason_en}",
    )


# date.today() costs about as much as the rest of a validation, so the local
# date is cached until the next local midnight.
_today_cache = [0.0, ""]  # [valid until (timestamp), today as "YYYYMMDD"]


def _today_digits() -> str:
    if time.time() >= _today_cache[0]:
        today = date.today()
        midnight = datetime.combine(today + timedelta(days=1), datetime.min.time())
        _today_cache[:] = [midnight.timestamp(), f"{today:%Y%m%d}"]
    return _today_cache[1]


def _iso(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


# --- unified social credit codes --------------------------------------------

def validate_credit_code(value: str, *, allow_pilot_override: bool = False) -> CreditCode:
    """Validate a GB 32100-2015 code.

    A structurally valid code whose check character(s) fail raises
    ``PilotCodeCheckFailed`` unless ``allow_pilot_override`` is set (an
    authorised user confirmed it), in which case the result is flagged with
    ``pilot_override=True``.
    """
    code = _normalise(value).upper()
    if len(code) != 18:
        raise _length_error(len(code))
    raw = code.encode()
    if raw.translate(None, _CREDIT_ALPHABET_BYTES):  # anything left is outside the alphabet
        raise _credit_charset_error(code)
    if code[:2] not in _ENTITY_TYPE_PAIRS:
        raise _entity_type_error(code)
    division_code = code[2:8]
    if not division_code.isdigit():
        raise IdentityValidationError(
            "division",
            f"第 3–8 位行政区划代码“{division_code}”必须是 6 位数字",
            f"characters 3-8 (division code {division_code!r}) must be 6 digits",
        )
    if division_code[:2] not in CREDIT_DIVISION_PREFIXES:
        raise _province_error(division_code)
    expected = _embedded_org_check_char(raw[8:16]) + _credit_check_char(raw)
    checks_pass = code[16:] == expected
    if not checks_pass:
        _handle_pilot_code(code, expected, allow_pilot_override)
    return CreditCode(code, code[0], code[:2], division_code, code[8:17], not checks_pass)


def _credit_charset_error(code: str) -> IdentityValidationError:
    position, char = next((i, c) for i, c in enumerate(code, start=1) if c not in _CREDIT_CHARSET)
    return IdentityValidationError(
        "charset",
        f"第 {position} 位字符“{char}”不在统一社会信用代码字符集中（不含 I、O、S、V、Z）",
        f"character {position} ({char!r}) is not in the credit code alphabet (no I, O, S, V, Z)",
    )


def _entity_type_error(code: str) -> IdentityValidationError:
    authority, category = code[0], code[1]
    if authority not in ENTITY_TYPES:
        return IdentityValidationError(
            "entity_type",
            f"第 1 位登记管理部门代码“{authority}”无效（应为 1–9、A、N 或 Y）",
            f"character 1 (registering authority {authority!r}) is invalid (expected 1-9, A, N or Y)",
        )
    allowed = list(ENTITY_TYPES[authority])
    return IdentityValidationError(
        "entity_type",
        f"第 2 位机构类别代码“{category}”对登记管理部门“{authority}”无效（应为 {'、'.join(allowed)}）",
        f"character 2 (entity type {category!r}) is invalid for registering authority "
        f"{authority!r} (expected one of {', '.join(allowed)})",
    )


_CHECK_CHARACTERS = (  # (check name, position, Chinese name, English name)
    ("org_code_check", 17, "组织机构代码校验码", "organisation code check character"),
    ("check_digit", 18, "校验码", "check character"),
)


def _handle_pilot_code(code: str, expected: str, allow_override: bool) -> None:
    """``expected`` holds the correct characters 17 and 18."""
    failures = [(name, pos, zh, en, exp, act)
                for (name, pos, zh, en), exp, act in zip(_CHECK_CHARACTERS, expected, code[16:])
                if exp != act]
    details = "；".join(f"第 {pos} 位{zh}应为 {exp}，实际为 {act}"
                       for _, pos, zh, _, exp, act in failures)
    details_en = "; ".join(f"character {pos} ({en}) should be {exp}, got {act}"
                           for _, pos, _, en, exp, act in failures)
    if allow_override:
        logger.warning("Credit code %s accepted by pilot-code override: %s", code, details_en)
        return
    raise PilotCodeCheckFailed(
        f"{details}。如确认为早期试点地区代码，需经授权人工确认",
        f"{details_en}. If this is a confirmed early pilot-area code, an authorised override is required",
        failed_checks=tuple(name for name, *_ in failures),
    )


# --- generators for demo data and tests -------------------------------------

def make_resident_id(division_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid number; raises IdentityValidationError if it cannot validate today."""
    _require(len(division_code) == 6 and division_code.isascii() and division_code.isdigit(),
             "division_code must be 6 digits")
    _require(0 <= sequence <= 999, "sequence must be within 0..999")
    first17 = f"{division_code}{birth_date:%Y%m%d}{sequence:03d}"
    number = first17 + resident_id_check_char(first17)
    validate_resident_id(number)
    return number


def make_credit_code(authority_type: str, division_code: str, organisation_body: str) -> str:
    """Build a valid code from e.g. ("91", "130902", "MA4L41YT")."""
    _require(len(authority_type) == 2, "authority_type must be 2 characters, e.g. '91'")
    _require(len(division_code) == 6, "division_code must be 6 digits")
    _require(len(organisation_body) == 8 and _CREDIT_CHARSET.issuperset(organisation_body),
             "organisation_body must be 8 characters of 0-9 and A-Z excluding I, O, S, V, Z")
    first16 = authority_type + division_code + organisation_body
    first17 = first16 + organisation_code_check_char(organisation_body)
    code = first17 + credit_code_check_char(first17)
    validate_credit_code(code)
    return code


# --- phone numbers and masking ----------------------------------------------

def validate_mobile_phone(value: str) -> str:
    """Return the 11-digit mainland mobile number, without separators or +86."""
    number = _compact_phone(_normalise(value))
    if not (len(number) == 11 and number.isascii() and number.isdigit()):
        raise IdentityValidationError(
            "phone",
            f"手机号码应为 11 位数字，实际为“{number}”",
            f"a mobile number must be 11 digits, got {number!r}",
        )
    if number[0] != "1" or number[1] in "012":
        raise IdentityValidationError(
            "phone",
            f"手机号码应以 13–19 开头，实际以 {number[:2]} 开头",
            f"a mobile number must start with 13-19, got {number[:2]}",
        )
    return number


def _compact_phone(text: str) -> str:
    number = "".join(text.split()).replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            return number[len(prefix):]
    return number


def mask_resident_id(number: str) -> str:
    """'130902199001011234' -> '130902********1234'."""
    return _mask(number.strip().upper(), head=6, tail=4)


def mask_phone(number: str) -> str:
    """'13812345678' -> '138****5678'."""
    return _mask(_compact_phone(number.strip()), head=3, tail=4)


def _mask(text: str, head: int, tail: int) -> str:
    hidden = len(text) - head - tail
    if hidden < len(text) // 3:
        # Too short for the standard pattern: reveal at most a quarter at each end.
        head = tail = len(text) // 4
        hidden = len(text) - head - tail
    return text[:head] + "*" * hidden + text[len(text) - tail:]
