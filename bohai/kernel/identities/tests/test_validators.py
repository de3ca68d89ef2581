import logging
import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bohai.kernel.identities.validators import (
    CREDIT_CODE_ALPHABET,
    ENTITY_TYPES,
    PROVINCE_PREFIXES,
    CreditCode,
    IdentityValidationError,
    PilotCodeCheckFailed,
    ResidentId,
    credit_code_check_char,
    make_credit_code,
    make_resident_id,
    mask_phone,
    mask_resident_id,
    organisation_code_check_char,
    resident_id_check_char,
    validate_credit_code,
    validate_mobile_phone,
    validate_resident_id,
)

TODAY = date.today()
FIXED_TODAY = date(2025, 6, 1)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


def rejection(call, *args, **kwargs) -> IdentityValidationError:
    with pytest.raises(IdentityValidationError) as info:
        call(*args, **kwargs)
    return info.value


def resident_id_with(first17: str) -> str:
    """first17 plus its correct check character, so only the tested part is wrong."""
    return first17 + resident_id_check_char(first17)


# --- reference implementations, written straight from the standards ---------

def reference_resident_check(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = 0
    for char, weight in zip(first17, weights):
        total += int(char) * weight
    return "10X98765432"[total % 11]


def reference_credit_check(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = 0
    for char, weight in zip(first17, weights):
        total += alphabet.index(char) * weight
    check = 31 - total % 31
    return alphabet[0 if check == 31 else check]


def reference_organisation_check(first8: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = 0
    for char, weight in zip(first8, weights):
        total += alphabet.index(char) * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# --- strategies ---------------------------------------------------------------

division_codes = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_PREFIXES)),
    st.text("0123456789", min_size=4, max_size=4),
)
birth_dates = st.dates(min_value=date(1890, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
entity_types = st.sampled_from(sorted(a + t for a, types in ENTITY_TYPES.items() for t in types))
organisation_bodies = st.text(CREDIT_CODE_ALPHABET, min_size=8, max_size=8)
resident_ids = st.builds(make_resident_id, division_codes, birth_dates, sequences)
credit_codes = st.builds(make_credit_code, entity_types, division_codes, organisation_bodies)


# --- resident identity numbers ------------------------------------------------

def test_known_resident_id_is_valid_and_parsed():
    assert validate_resident_id("34052419800101001X") == ResidentId(
        number="34052419800101001X",
        division_code="340524",
        birth_date=date(1980, 1, 1),
        sequence=1,
        gender="male",
    )


def test_even_sequence_is_female():
    number = make_resident_id("130902", date(1990, 5, 17), 124)
    assert validate_resident_id(number).gender == "female"


@pytest.mark.parametrize(
    "value", ["34052419800101001x", "  34052419800101001X\n", "\u3000３４０５２４１９８００１０１００１ｘ"]
)
def test_lowercase_x_whitespace_and_full_width_are_normalised(value):
    assert validate_resident_id(value).number == "34052419800101001X"


def test_make_resident_id_reproduces_known_number():
    assert make_resident_id("340524", date(1980, 1, 1), 1) == "34052419800101001X"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("34052419800101001", "length", "长度应为 18 位，实际为 17 位"),
        ("34052419800101001X0", "length", "实际为 19 位"),
        ("3405241980A101001X", "charset", "第 11 位字符“A”无效"),
        ("34052419800101001Y", "charset", "第 18 位（校验码）必须是数字或 X，实际为“Y”"),
        ("340524198001010011", "check_digit", "校验码应为 X，实际为 1"),
        (resident_id_with("99052419800101001"), "province", "前两位 99 不是有效的省级代码"),
        (resident_id_with("34052419801301001"), "birth_date", "月份 13 不存在"),
        (resident_id_with("34052419800230001"), "birth_date", "1980 年 2 月没有 30 日"),
        (resident_id_with("34052419800100001"), "birth_date", "1980 年 1 月没有 0 日"),
        (resident_id_with("34052418891231001"), "birth_date", "早于 1890-01-01"),
        (resident_id_with("34052420250602001"), "future_birth_date", "晚于今天（2025-06-01）"),
    ],
)
def test_resident_id_errors_name_the_reason(value, code, message):
    error = rejection(validate_resident_id, value, today=FIXED_TODAY)
    assert error.code == code
    assert message in error.message
    assert str(error) == error.message
    assert error.message_en
    assert error.field is None


@pytest.mark.parametrize(
    ("birth_date", "is_real"),
    [("20000229", True), ("20240229", True), ("19000229", False), ("20230229", False), ("21000229", False)],
)
def test_february_29_only_in_leap_years(birth_date, is_real):
    number = resident_id_with(f"130902{birth_date}001")
    if is_real:
        assert validate_resident_id(number, today=date(2200, 1, 1)).birth_date.day == 29
    else:
        assert rejection(validate_resident_id, number, today=date(2200, 1, 1)).code == "birth_date"


def test_birth_on_today_is_valid_and_tomorrow_is_future():
    born_today = resident_id_with(f"130902{FIXED_TODAY:%Y%m%d}001")
    born_tomorrow = resident_id_with(f"130902{FIXED_TODAY + timedelta(days=1):%Y%m%d}001")
    assert validate_resident_id(born_today, today=FIXED_TODAY).birth_date == FIXED_TODAY
    assert rejection(validate_resident_id, born_tomorrow, today=FIXED_TODAY).code == "future_birth_date"


def test_future_check_does_not_depend_on_earlier_validations():
    number = resident_id_with("13090220200101001")
    validate_resident_id(number, today=date(2021, 1, 1))
    assert rejection(validate_resident_id, number, today=date(2019, 12, 31)).code == "future_birth_date"


def test_default_today_rejects_a_far_future_birth_date():
    assert rejection(validate_resident_id, resident_id_with("13090299991231001")).code == "future_birth_date"


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        validate_resident_id(34052419800101001)


def test_errors_survive_pickling():
    error = rejection(validate_resident_id, "340524198001010011")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.message_en) == (error.code, error.message, error.message_en)


@PROPERTY_SETTINGS
@given(division_codes, birth_dates, sequences)
def test_generated_resident_ids_validate_and_round_trip(division_code, birth_date, sequence):
    parsed = validate_resident_id(make_resident_id(division_code, birth_date, sequence))
    assert (parsed.division_code, parsed.birth_date, parsed.sequence) == (division_code, birth_date, sequence)
    assert parsed.gender == ("male" if sequence % 2 else "female")


@PROPERTY_SETTINGS
@given(resident_ids, st.data())
def test_any_single_character_change_breaks_a_resident_id(number, data):
    position = data.draw(st.integers(min_value=0, max_value=17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != number[position]))
    rejection(validate_resident_id, number[:position] + replacement + number[position + 1:])


@PROPERTY_SETTINGS
@given(st.text("0123456789", min_size=17, max_size=17))
def test_resident_check_char_matches_reference(first17):
    assert resident_id_check_char(first17) == reference_resident_check(first17)


# --- unified social credit codes ----------------------------------------------

@pytest.mark.parametrize("code", ["91430111MA4L41YT1U", "91350200776049653A", "91350200MA2YJ1XR9G"])
def test_known_credit_codes_are_valid(code):
    parsed = validate_credit_code(code)
    assert parsed.code == code
    assert parsed.pilot_override is False


def test_credit_code_is_parsed_into_its_parts():
    parsed = validate_credit_code(" 91430111ma4l41yt1u ")
    assert parsed == CreditCode(
        code="91430111MA4L41YT1U",
        authority="9",
        entity_type="91",
        division_code="430111",
        organisation_code="MA4L41YT1",
    )
    assert parsed.entity_type_name == "企业"


def test_make_credit_code_reproduces_known_code():
    assert make_credit_code("91", "430111", "MA4L41YT") == "91430111MA4L41YT1U"
    assert make_credit_code("91", "350200", "77604965") == "91350200776049653A"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("91430111MA4L41YT1", "length", "长度应为 18 位，实际为 17 位"),
        ("91430111MA4L41IT1U", "charset", "第 15 位字符“I”不在统一社会信用代码字符集中"),
        ("91430111MA4L41YT1Z", "charset", "第 18 位字符“Z”"),
        ("B1430111MA4L41YT1U", "entity_type", "第 1 位登记管理部门代码“B”无效"),
        ("94430111MA4L41YT1U", "entity_type", "第 2 位机构类别代码“4”对登记管理部门“9”无效"),
        ("9143A111MA4L41YT1U", "division", "行政区划代码“43A111”必须是 6 位数字"),
        ("91990111MA4L41YT1U", "province", "前两位 99 不是有效的省级代码"),
    ],
)
def test_credit_code_structure_errors_name_the_reason(value, code, message):
    for allow_pilot_override in (False, True):
        error = rejection(validate_credit_code, value, allow_pilot_override=allow_pilot_override)
        assert error.code == code
        assert message in str(error)
        assert not isinstance(error, PilotCodeCheckFailed)


def test_failed_check_character_raises_pilot_warning():
    error = rejection(validate_credit_code, "91430111MA4L41YT1A")
    assert isinstance(error, PilotCodeCheckFailed)
    assert error.code == "pilot_check_failed"
    assert error.failed_checks == ("check_digit",)
    assert "第 18 位校验码应为 U，实际为 A" in error.message
    assert "授权" in error.message


def test_failed_organisation_check_is_reported_separately():
    error = rejection(validate_credit_code, "91430111MA4L41YT2U")
    assert error.failed_checks == ("org_code_check", "check_digit")
    assert "第 17 位组织机构代码校验码应为 1，实际为 2" in error.message


def test_pilot_override_accepts_but_flags_and_logs(caplog):
    with caplog.at_level(logging.WARNING):
        parsed = validate_credit_code("91430111MA4L41YT1A", allow_pilot_override=True)
    assert parsed.pilot_override is True
    assert "91430111MA4L41YT1A" in caplog.text


def test_override_flag_is_false_for_a_correct_code():
    assert validate_credit_code("91430111MA4L41YT1U", allow_pilot_override=True).pilot_override is False


@PROPERTY_SETTINGS
@given(credit_codes)
def test_generated_credit_codes_validate(code):
    parsed = validate_credit_code(code)
    assert parsed.code == code
    assert parsed.pilot_override is False
    assert parsed.organisation_code[-1] == reference_organisation_check(code[8:16])


@PROPERTY_SETTINGS
@given(credit_codes, st.data())
def test_any_single_character_change_breaks_a_credit_code(code, data):
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from(CREDIT_CODE_ALPHABET).filter(lambda c: c != code[position]))
    mutated = code[:position] + replacement + code[position + 1:]
    rejection(validate_credit_code, mutated)
    try:
        parsed = validate_credit_code(mutated, allow_pilot_override=True)
    except IdentityValidationError as error:
        assert not isinstance(error, PilotCodeCheckFailed)
    else:
        assert parsed.pilot_override is True


@PROPERTY_SETTINGS
@given(st.text(CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
def test_credit_check_char_matches_reference(first17):
    assert credit_code_check_char(first17) == reference_credit_check(first17)


@PROPERTY_SETTINGS
@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8))
def test_organisation_check_char_matches_reference(first8):
    assert organisation_code_check_char(first8) == reference_organisation_check(first8)


@pytest.mark.parametrize(
    "arguments",
    [("9", "430111", "MA4L41YT"), ("91", "43011", "MA4L41YT"), ("91", "430111", "MA4L41Y"),
     ("91", "430111", "MA4L41YO")],
)
def test_make_credit_code_rejects_malformed_parts(arguments):
    with pytest.raises(ValueError):
        make_credit_code(*arguments)


def test_make_resident_id_rejects_bad_parts():
    with pytest.raises(ValueError):
        make_resident_id("13090", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_resident_id("130902", date(1990, 1, 1), 1000)
    with pytest.raises(IdentityValidationError):
        make_resident_id("130902", TODAY + timedelta(days=1), 1)


# --- phones and masking -------------------------------------------------------

@pytest.mark.parametrize(
    "value", ["13812345678", " 138 1234 5678 ", "138-1234-5678", "+8613812345678", "+86 138 1234 5678", "008613812345678"]
)
def test_mobile_phone_is_normalised(value):
    assert validate_mobile_phone(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "message"),
    [("1381234567", "11 位数字"), ("138123456789", "11 位数字"), ("1381234567a", "11 位数字"),
     ("12812345678", "以 13–19 开头"), ("23812345678", "以 13–19 开头")],
)
def test_invalid_mobile_phone(value, message):
    error = rejection(validate_mobile_phone, value)
    assert error.code == "phone"
    assert message in error.message


def test_masks():
    assert mask_resident_id("13090219900101123X") == "130902********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("12345678") == "12****78"
    assert mask_phone("") == ""
    assert mask_phone("0086") == "0**6"


@given(st.text("0123456789+", max_size=30))
def test_phone_mask_always_hides_at_least_a_third(text):
    masked = mask_phone(text)
    assert len(masked) in (len(text), len(text) - 3, len(text) - 4)  # +86 / 0086 dropped
    assert masked.count("*") >= len(masked) // 3
