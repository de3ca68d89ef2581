"""AQI after HJ 633-2012 against worked examples computed by hand (the arithmetic is in each comment).

IAQI = (I_hi - I_lo) / (BP_hi - BP_lo) * (C - BP_lo) + I_lo, rounded up to a whole number.
"""
from bohai.operations.aqi import daily_aqi, grade_of, hourly_aqi, iaqi


def test_a_lightly_polluted_hour_names_pm25_as_primary():
    # PM2.5 80 in 75–115 (100–150): 50/40 × 5 + 100 = 106.25 → 107
    # PM10 120 in 50–150 (50–100): 50/100 × 70 + 50 = 85
    # SO2 1 h 30 in 0–150 (0–50): 50/150 × 30 = 10;  NO2 1 h 60 in 0–100: 30
    # CO 1 h 1.2 mg/m³ in 0–5: 50/5 × 1.2 = 12;  O3 1 h 100 in 0–160: 31.25 → 32
    result = hourly_aqi({"pm25": 80, "pm10": 120, "so2": 30, "no2": 60, "co": 1.2, "o3": 100})

    assert result.iaqi == {"pm25": 107, "pm10": 85, "so2": 10, "no2": 30, "co": 12, "o3": 32}
    assert result.aqi == 107
    assert str(result.grade.name) == "轻度污染" and result.grade.level == 3
    assert result.primary == ("pm25",)


def test_an_excellent_hour_has_no_primary_pollutant():
    # PM2.5 20: 50/35 × 20 = 28.57 → 29;  PM10 40: 50/50 × 40 = 40;  NO2 1 h 20: 10
    result = hourly_aqi({"pm25": 20, "pm10": 40, "no2": 20})

    assert result.aqi == 40
    assert str(result.grade.name) == "优"
    assert result.primary == ()


def test_exactly_fifty_is_excellent_and_names_no_primary_pollutant():
    # PM2.5 35 is the first breakpoint: IAQI 50; AQI 50 is not above 50
    result = hourly_aqi({"pm25": 35})

    assert result.aqi == 50 and result.primary == () and str(result.grade.name) == "优"


def test_two_pollutants_at_the_maximum_are_both_primary():
    # PM2.5 75 and PM10 150 are both the breakpoint of IAQI 100
    result = hourly_aqi({"pm25": 75, "pm10": 150, "so2": 10})

    assert result.aqi == 100
    assert str(result.grade.name) == "良"
    assert set(result.primary) == {"pm25", "pm10"}


def test_so2_above_800_in_the_hour_is_indexed_by_its_24_hour_average():
    # SO2 1 h 900 > 800: not indexed on the 1-hour table (which stops at 800).
    # SO2 24 h 300 in 150–475 (100–150): 50/325 × 150 + 100 = 123.08 → 124
    # PM2.5 30: 50/35 × 30 = 42.86 → 43
    result = hourly_aqi({"so2": 900, "pm25": 30}, so2_24h=300)

    assert result.iaqi["so2"] == 124
    assert result.aqi == 124 and result.primary == ("so2",)
    assert str(result.grade.name) == "轻度污染"


def test_so2_above_800_without_a_24_hour_average_is_left_out():
    result = hourly_aqi({"so2": 900, "pm25": 30})

    assert "so2" not in result.iaqi
    assert result.aqi == 43


def test_a_daily_report_with_ozone_8_hours_as_primary():
    # O3 8 h 240 in 215–265 (150–200): 50/50 × 25 + 150 = 175
    # O3 1 h max 210 in 200–300 (100–150): 50/100 × 10 + 100 = 105
    # PM2.5 24 h 60 in 35–75 (50–100): 50/40 × 25 + 50 = 81.25 → 82
    # NO2 24 h 50 in 40–80 (50–100): 50/40 × 10 + 50 = 62.5 → 63
    result = daily_aqi({"o3_8h": 240, "o3": 210, "pm25": 60, "no2": 50})

    assert result.iaqi == {"o3_8h": 175, "o3": 105, "pm25": 82, "no2": 63}
    assert result.aqi == 175 and result.primary == ("o3_8h",)
    assert str(result.grade.name) == "中度污染"


def test_ozone_8_hours_above_800_falls_back_to_the_1_hour_value():
    # O3 8 h 850 > 800: not indexed. O3 1 h max 900 in 800–1000 (300–400): 100/200 × 100 + 300 = 350
    # PM2.5 24 h 60: 82 (as above)
    result = daily_aqi({"o3_8h": 850, "o3": 900, "pm25": 60})

    assert "o3_8h" not in result.iaqi
    assert result.iaqi["o3"] == 350
    assert result.aqi == 350 and result.primary == ("o3",)
    assert str(result.grade.name) == "严重污染" and result.grade.colour == "#7e0023"


def test_daily_24_hour_tables_differ_from_the_hourly_ones():
    # CO 6 mg/m³: 24 h table 4–14 (100–150): 50/10 × 2 + 100 = 110; 1 h table 5–10 (50–100): 10 + 50 = 60
    # SO2 100 µg/m³: 24 h table 50–150 (50–100): 25 + 50 = 75; 1 h table 0–150: 50/150 × 100 = 33.3 → 34
    assert daily_aqi({"co": 6, "so2": 100}).iaqi == {"co": 110, "so2": 75}
    assert hourly_aqi({"co": 6, "so2": 100}).iaqi == {"co": 60, "so2": 34}


def test_beyond_the_top_breakpoint_the_index_is_500():
    assert iaqi("pm25_24h", 600) == 500
    assert iaqi("pm25_24h", 500) == 500
    assert iaqi("o3_8h", 800) is None          # the 8-hour table ends at IAQI 300
    assert iaqi("pm25_24h", None) is None


def test_grades_follow_the_bands_of_the_standard():
    assert [str(grade_of(v).name) for v in (0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500)] == [
        "优", "优", "良", "良", "轻度污染", "轻度污染", "中度污染", "中度污染", "重度污染", "重度污染", "严重污染", "严重污染"]
    assert hourly_aqi({}).aqi is None
