"""Air quality index after HJ 633-2012 (环境空气质量指数（AQI）技术规定（试行）).

Pure functions, no database: the individual index of one pollutant (IAQI), the AQI as the largest
IAQI, its grade, and the primary pollutant(s).

    IAQI_P = (IAQI_Hi - IAQI_Lo) / (BP_Hi - BP_Lo) * (C_P - BP_Lo) + IAQI_Lo    (HJ 633-2012, 5.2)

rounded up to a whole number, as the standard's worked practice does (进位取整).

Two reports, as the standard has them:
- the real-time (hourly) report uses 1-hour concentrations: SO2, NO2, CO and O3 with their 1-hour
  breakpoints; PM10 and PM2.5 have no 1-hour breakpoints in the standard and use the 24-hour ones;
- the daily report uses 24-hour averages, and for O3 the day's largest 1-hour value and largest 8-hour
  moving average, each indexed.
Table 1's notes: an SO2 1-hour concentration above 800 µg/m³ is not indexed, the SO2 IAQI is the one of
its 24-hour average instead; an O3 8-hour concentration above 800 µg/m³ is not indexed, the O3 IAQI is the
one of its 1-hour value instead. Above the top breakpoint of a table the IAQI is reported as 500.
Concentrations in µg/m³, CO in mg/m³.
"""
import math
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)

# Table 1 of HJ 633-2012: the concentration at each level of LEVELS (a shorter tuple stops earlier).
BREAKPOINTS = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}

POLLUTANT_NAMES = {
    "so2": "SO₂", "no2": "NO₂", "pm10": "PM₁₀", "pm25": "PM₂.₅", "co": "CO", "o3": "O₃", "o3_8h": "O₃（8小时）",
}

# The metric codes of the air_quality device type, in the order the standard lists them.
POLLUTANTS = ("so2", "no2", "pm10", "co", "o3", "pm25")

SO2_1H_LIMIT = 800
O3_8H_LIMIT = 800


@dataclass(frozen=True)
class Grade:
    level: int
    upper: int
    name: str
    colour: str


# Table 2 of HJ 633-2012 with the colours it prescribes (RGB).
GRADES = (
    Grade(1, 50, _("优"), "#00e400"),
    Grade(2, 100, _("良"), "#ffff00"),
    Grade(3, 150, _("轻度污染"), "#ff7e00"),
    Grade(4, 200, _("中度污染"), "#ff0000"),
    Grade(5, 300, _("重度污染"), "#99004c"),
    Grade(6, 10**9, _("严重污染"), "#7e0023"),
)


@dataclass(frozen=True)
class AqiResult:
    aqi: int | None
    grade: Grade | None
    primary: tuple[str, ...]
    iaqi: dict[str, int] = field(default_factory=dict)

    def as_detail(self) -> dict:
        return {
            "aqi": self.aqi, "grade": str(self.grade.name) if self.grade else "",
            "grade_level": self.grade.level if self.grade else None,
            "colour": self.grade.colour if self.grade else "", "primary": list(self.primary),
            "primary_labels": [pollutant_label(code) for code in self.primary], "iaqi": self.iaqi,
        }


def iaqi(table: str, concentration: float | None) -> int | None:
    """The individual index of one concentration on one breakpoint table (a key of BREAKPOINTS)."""
    if concentration is None or math.isnan(concentration):
        return None
    points = BREAKPOINTS[table]
    concentration = max(float(concentration), 0.0)
    if concentration >= points[-1]:
        return 500 if len(points) == len(LEVELS) else None
    for index in range(1, len(points)):
        if concentration <= points[index]:
            low, high = points[index - 1], points[index]
            value = (LEVELS[index] - LEVELS[index - 1]) / (high - low) * (concentration - low) + LEVELS[index - 1]
            return math.ceil(round(value, 6))
    return None  # unreachable: the loop ends at the top breakpoint


def grade_of(aqi_value: int | None) -> Grade | None:
    if aqi_value is None:
        return None
    return next(grade for grade in GRADES if aqi_value <= grade.upper)


def combine(indices: dict[str, int | None]) -> AqiResult:
    """AQI = the largest IAQI; primary pollutants are those at the maximum when AQI > 50 (HJ 633-2012, 5.3, 5.4)."""
    known = {pollutant: value for pollutant, value in indices.items() if value is not None}
    if not known:
        return AqiResult(None, None, ())
    top = max(known.values())
    primary = tuple(p for p, value in known.items() if value == top) if top > 50 else ()
    return AqiResult(top, grade_of(top), primary, known)


def hourly_aqi(concentrations: dict[str, float | None], *, so2_24h: float | None = None) -> AqiResult:
    """Real-time AQI from 1-hour concentrations keyed so2, no2, pm10, co, o3, pm25.

    SO2 above 800 µg/m³ in the hour: its IAQI is the 24-hour average's (`so2_24h`), none when not given.
    """
    so2 = concentrations.get("so2")
    indices = {
        "so2": iaqi("so2_24h", so2_24h) if so2 is not None and so2 > SO2_1H_LIMIT else iaqi("so2_1h", so2),
        "no2": iaqi("no2_1h", concentrations.get("no2")),
        "pm10": iaqi("pm10_24h", concentrations.get("pm10")),
        "co": iaqi("co_1h", concentrations.get("co")),
        "o3": iaqi("o3_1h", concentrations.get("o3")),
        "pm25": iaqi("pm25_24h", concentrations.get("pm25")),
    }
    return combine(indices)


def daily_aqi(concentrations: dict[str, float | None]) -> AqiResult:
    """Daily AQI from 24-hour averages keyed so2, no2, pm10, co, pm25, with o3 (the day's largest 1-hour value)
    and o3_8h (the day's largest 8-hour moving average), both indexed as the daily report lists them.
    O3 8 h above 800 µg/m³ is not indexed: the O3 index is then the 1-hour value's alone."""
    o3_8h = concentrations.get("o3_8h")
    indices = {
        "so2": iaqi("so2_24h", concentrations.get("so2")),
        "no2": iaqi("no2_24h", concentrations.get("no2")),
        "pm10": iaqi("pm10_24h", concentrations.get("pm10")),
        "co": iaqi("co_24h", concentrations.get("co")),
        "o3": iaqi("o3_1h", concentrations.get("o3")),
        "o3_8h": None if o3_8h is not None and o3_8h > O3_8H_LIMIT else iaqi("o3_8h", o3_8h),
        "pm25": iaqi("pm25_24h", concentrations.get("pm25")),
    }
    return combine(indices)


def pollutant_label(code: str) -> str:
    return POLLUTANT_NAMES.get(code, code)
