"""What a simulated device reads at a given moment: a daily cycle, noise, slow drift, occasional anomalies and
outages, per device type and metric.

Every value is a pure function of (seed, device code, metric, time): the same seed gives the same history, the
backfill and the live simulator agree, and nothing is kept between readings. Randomness comes from a keyed hash
of those parts, so a device's noise does not depend on which other devices are simulated.

Anomalies and outages are drawn per device and hour ("slot"): with probability `anomaly_probability` an anomaly
of the device type's kind (a pressure drop, a leak, an open manhole …) starts somewhere in that hour and lasts
ANOMALY_MINUTES; with probability `outage_probability` the device goes silent for OUTAGE_MINUTES. Values stay
within each metric's valid range (MetricSpec.minimum/maximum); only `bad_ratio` (off by default) injects
readings the platform must reject.
"""
import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

SLOT_SECONDS = 3600
LOCAL_OFFSET_SECONDS = 8 * 3600        # Asia/Shanghai, no daylight saving
ANOMALY_MINUTES = (15, 60)
OUTAGE_MINUTES = (20, 120)
DEFAULT_ANOMALY_PROBABILITY = 0.01     # per device and hour
DEFAULT_OUTAGE_PROBABILITY = 0.003     # per device and hour
DRIFT_PERIOD_DAYS = (3.0, 9.0)
DEFAULT_RELATIVE_NOISE = 0.03
HEATING_SEASON = ((11, 15), (3, 15))   # Cangzhou's public heating season, 15 Nov to 15 Mar


def unit(*parts) -> float:
    """A uniform number in [0, 1) determined by the parts (the simulator's only source of randomness)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 11) / float(1 << 53)


def gaussian(*parts) -> float:
    """A standard normal number determined by the parts (Box-Muller on the two halves of one digest)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    u1 = max(int.from_bytes(digest[:4], "little") / 4294967296.0, 1e-12)
    u2 = int.from_bytes(digest[4:], "little") / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@dataclass(frozen=True, slots=True)
class Moment:
    """The facts about a time that the profiles use."""

    epoch: float
    hour: float          # local hour of day, 0 <= hour < 24
    day_of_year: int     # local
    month: int
    day: int

    @classmethod
    def of(cls, ts: datetime) -> "Moment":
        epoch = ts.timestamp()
        local = datetime.fromtimestamp(epoch + LOCAL_OFFSET_SECONDS, tz=timezone.utc)
        hour = local.hour + local.minute / 60 + local.second / 3600
        return cls(epoch, hour, local.timetuple().tm_yday, local.month, local.day)

    @property
    def winter(self) -> float:
        """1 in mid-January, 0 in mid-July (northern China's seasons)."""
        return 0.5 + 0.5 * math.cos(2 * math.pi * (self.day_of_year - 15) / 365.25)

    @property
    def heating_season(self) -> bool:
        (start_month, start_day), (end_month, end_day) = HEATING_SEASON
        return (self.month, self.day) >= (start_month, start_day) or (self.month, self.day) < (end_month, end_day)


def bump(hour: float, centre: float, width: float) -> float:
    """A bell of height 1 around `centre` o'clock, wrapping round midnight."""
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-0.5 * (distance / width) ** 2)


def diurnal(hour: float, warmest: float = 14.5) -> float:
    """-1 at the coolest moment before dawn, +1 in the afternoon (a temperature-like cycle)."""
    return math.cos(2 * math.pi * (hour - warmest) / 24)


def water_demand(hour: float) -> float:
    """Household water use: 0.25 in the small hours, peaks around 7:30 and 19:30."""
    return 0.25 + 0.75 * max(bump(hour, 7.5, 1.3), 0.85 * bump(hour, 19.5, 1.6), 0.45 * bump(hour, 12.0, 1.2))


def power_demand(hour: float) -> float:
    return 0.35 + 0.65 * max(0.85 * bump(hour, 10.5, 2.0), bump(hour, 20.0, 1.8), 0.7 * bump(hour, 15.0, 1.5))


def traffic_demand(hour: float) -> float:
    return 0.06 + 0.94 * max(bump(hour, 8.0, 1.0), 0.95 * bump(hour, 18.0, 1.2), 0.55 * bump(hour, 13.0, 2.5))


def working_hours(hour: float) -> float:
    """An industrial plant: a night shift at 60 %, the day shift at full load."""
    return 0.6 + 0.4 * bump(hour, 13.0, 3.5)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    label: str
    metrics: dict           # metric -> (how, amount): ("times", f) multiplies, ("plus", x) adds, ("set", x) sets


# What goes wrong with each device type, in the terms the alarm rules watch for.
ANOMALIES = {
    "water_supply": Anomaly("pressure_drop", "管网压力骤降（疑似爆管）",
                            {"pressure": ("times", 0.3), "flow": ("times", 1.8), "turbidity": ("plus", 3.0)}),
    "power": Anomaly("overload", "线路过载、电压跌落", {"load": ("times", 1.7), "current": ("times", 1.7),
                                                     "voltage": ("plus", -28.0)}),
    "gas_pipeline": Anomaly("leak", "燃气泄漏浓度突升", {"leak_concentration": ("plus", 35.0),
                                                    "pipeline_pressure": ("times", 0.75)}),
    "heating": Anomaly("boiler_fault", "供水温度骤降（热源故障）", {"supply_temperature": ("plus", -22.0),
                                                          "return_temperature": ("plus", -12.0)}),
    "traffic": Anomaly("congestion", "严重拥堵", {"speed": ("times", 0.2), "occupancy": ("plus", 45.0),
                                              "flow": ("times", 0.6)}),
    "air_quality": Anomaly("pm25_episode", "细颗粒物污染过程", {"pm25": ("plus", 200.0), "pm10": ("plus", 260.0),
                                                        "co": ("times", 2.0)}),
    "weather": Anomaly("rainstorm", "短时强降水、大风", {"rainfall": ("plus", 35.0), "wind_speed": ("plus", 12.0),
                                                  "humidity": ("plus", 30.0)}),
    "water_level": Anomaly("flood_rise", "水位快速上涨", {"water_level": ("plus", 4.0)}),
    "manhole_cover": Anomaly("cover_open", "井盖倾斜或开启", {"tilt": ("plus", 35.0), "open": ("set", 1)}),
    "energy_meter": Anomaly("consumption_spike", "能耗异常升高", {"electricity": ("times", 3.0),
                                                           "natural_gas": ("times", 3.0)}),
    "emission_monitor": Anomaly("exceedance", "排放浓度超标", {"so2": ("plus", 45.0), "nox": ("plus", 60.0),
                                                         "particulates": ("plus", 12.0)}),
}


@dataclass(frozen=True)
class Metric:
    """How one metric behaves: `level(moment, device_factor)` is its noiseless value; `noise` (standard deviation)
    and `drift` (amplitude) are fractions of the level; a metric with `absolute_noise` (in its unit) has no
    relative noise unless `noise` is given too; `decimals` rounds what is sent."""

    level: object
    noise: float | None = None
    absolute_noise: float = 0.0
    drift: float = 0.02
    decimals: int = 2
    valid: tuple = (None, None)     # the platform's valid range when no MetricSpec says otherwise
    per_interval: bool = False      # consumption since the previous reading: scales with the interval
    integer: bool = False

    @property
    def relative_noise(self) -> float:
        if self.noise is not None:
            return self.noise
        return 0.0 if self.absolute_noise else DEFAULT_RELATIVE_NOISE


def _heating_supply(m: Moment, f: float) -> float:
    if not m.heating_season:
        return 28 + 2 * f
    return 52 + 8 * m.winter + 4 * f - 3 * diurnal(m.hour)


def _heating_return(m: Moment, f: float) -> float:
    return _heating_supply(m, f) - (12 if m.heating_season else 3)


def _temperature(m: Moment, f: float) -> float:
    seasonal = 12.5 - 15.5 * (2 * m.winter - 1)      # Cangzhou: about -3 °C in January, 28 °C in July
    return seasonal + 5.5 * diurnal(m.hour) + (f - 1) * 4


def _pm25(m: Moment, f: float) -> float:
    # Winter nights trap fine particles under the inversion; summer air is cleaner all day.
    base = 25 + 40 * m.winter
    night = m.winter * 0.4 * max(bump(m.hour, 22.0, 3.0), bump(m.hour, 2.0, 3.0))
    return base * f * (1 + night - 0.25 * bump(m.hour, 14.5, 2.5))


def _speed(m: Moment, f: float) -> float:
    return 62 * f * (1 - 0.55 * traffic_demand(m.hour) ** 2)


def _flue_gas(m: Moment, f: float) -> float:
    return 180_000 * f * working_hours(m.hour)


PROFILES = {
    "water_supply": {
        "pressure": Metric(lambda m, f: 0.34 * f * (1.12 - 0.28 * water_demand(m.hour)), 0.015, decimals=3,
                           valid=(0, 1.6)),
        "flow": Metric(lambda m, f: 900 * f * water_demand(m.hour), 0.05, decimals=1, valid=(0, 10_000)),
        "turbidity": Metric(lambda m, f: 0.35 * f, 0.1, decimals=2, valid=(0, 100)),
        "residual_chlorine": Metric(lambda m, f: 0.45 * f - 0.08 * water_demand(m.hour), 0.04, decimals=3,
                                    valid=(0, 5)),
    },
    "power": {
        "voltage": Metric(lambda m, f: 229 - 9 * power_demand(m.hour), absolute_noise=1.2, drift=0.005, decimals=1,
                          valid=(0, 500)),
        "current": Metric(lambda m, f: 520 * f * power_demand(m.hour), 0.04, decimals=1, valid=(0, 5000)),
        "load": Metric(lambda m, f: 340 * f * power_demand(m.hour), 0.04, decimals=1, valid=(0, 5000)),
    },
    "gas_pipeline": {
        "pipeline_pressure": Metric(lambda m, f: 220 * f * (1 - 0.12 * max(bump(m.hour, 11.5, 1), bump(m.hour, 18, 1)))
                                    * (1 - 0.08 * m.winter * bump(m.hour, 7, 2)), 0.01, decimals=1, valid=(0, 1600)),
        "leak_concentration": Metric(lambda m, f: 0.4 * f, absolute_noise=0.15, drift=0.1, decimals=2, valid=(0, 100)),
    },
    "heating": {
        "supply_temperature": Metric(_heating_supply, absolute_noise=0.6, drift=0.01, decimals=1, valid=(-20, 150)),
        "return_temperature": Metric(_heating_return, absolute_noise=0.6, drift=0.01, decimals=1, valid=(-20, 150)),
    },
    "traffic": {
        "flow": Metric(lambda m, f: 1800 * f * traffic_demand(m.hour), 0.08, decimals=0, valid=(0, 10_000),
                       integer=True),
        "speed": Metric(_speed, 0.06, decimals=1, valid=(0, 200)),
        "occupancy": Metric(lambda m, f: 3 + 42 * traffic_demand(m.hour) ** 1.5, 0.08, decimals=1, valid=(0, 100)),
    },
    "air_quality": {
        "pm25": Metric(_pm25, 0.06, drift=0.1, decimals=0, valid=(0, 1000), integer=True),
        "pm10": Metric(lambda m, f: 1.7 * _pm25(m, f) + 15, 0.06, drift=0.1, decimals=0, valid=(0, 2000),
                       integer=True),
        "so2": Metric(lambda m, f: (6 + 14 * m.winter) * f, 0.1, decimals=0, valid=(0, 2000), integer=True),
        "no2": Metric(lambda m, f: (18 + 14 * m.winter) * f * (0.7 + 0.6 * traffic_demand(m.hour)), 0.08, decimals=0,
                      valid=(0, 1000), integer=True),
        "o3": Metric(lambda m, f: (40 + 90 * (1 - m.winter)) * f * (0.3 + 0.7 * bump(m.hour, 15, 2.8)), 0.08,
                     decimals=0, valid=(0, 1000), integer=True),
        "co": Metric(lambda m, f: (0.5 + 0.7 * m.winter) * f, 0.08, decimals=2, valid=(0, 50)),
    },
    "weather": {
        "temperature": Metric(_temperature, absolute_noise=0.3, drift=0.0, decimals=1, valid=(-40, 50)),
        "humidity": Metric(lambda m, f: 58 - 20 * diurnal(m.hour) + 12 * (1 - m.winter) * f, absolute_noise=2.0,
                           drift=0.05, decimals=0, valid=(0, 100), integer=True),
        "wind_speed": Metric(lambda m, f: (2.2 + 1.2 * bump(m.hour, 15, 3)) * f, 0.25, decimals=1, valid=(0, 60)),
        "rainfall": Metric(lambda m, f: 0.0, 0.0, drift=0.0, decimals=1, valid=(0, 500), per_interval=True),
    },
    "water_level": {
        "water_level": Metric(lambda m, f: 3.2 * f + 0.4 * (1 - m.winter), absolute_noise=0.01, drift=0.05,
                              decimals=2, valid=(0, 50)),
    },
    "manhole_cover": {
        "tilt": Metric(lambda m, f: 1.0 * f, absolute_noise=0.25, drift=0.2, decimals=1, valid=(0, 90)),
        "open": Metric(lambda m, f: 0, 0.0, drift=0.0, decimals=0, valid=(0, 1), integer=True),
    },
    # Consumption since the previous reading: the per-hour rate times the interval.
    "energy_meter": {
        "electricity": Metric(lambda m, f: 2400 * f * working_hours(m.hour), 0.05, decimals=2, valid=(0, None),
                              per_interval=True),
        "natural_gas": Metric(lambda m, f: 380 * f * working_hours(m.hour), 0.06, decimals=2, valid=(0, None),
                              per_interval=True),
        "coal": Metric(lambda m, f: 900 * f * (0.85 + 0.15 * working_hours(m.hour)), 0.05, decimals=1,
                       valid=(0, None), per_interval=True),
        "steam": Metric(lambda m, f: 5200 * f * working_hours(m.hour), 0.05, decimals=1, valid=(0, None),
                        per_interval=True),
    },
    # Ultra-low emission limits are 35 (SO2), 50 (NOx) and 10 (particulates) mg/m³: normal running stays below.
    "emission_monitor": {
        "so2": Metric(lambda m, f: 16 * f * (0.8 + 0.2 * working_hours(m.hour)), 0.1, decimals=1, valid=(0, 5000)),
        "nox": Metric(lambda m, f: 26 * f * (0.8 + 0.2 * working_hours(m.hour)), 0.1, decimals=1, valid=(0, 5000)),
        "particulates": Metric(lambda m, f: 4.0 * f, 0.12, decimals=2, valid=(0, 1000)),
        "flue_gas_flow": Metric(_flue_gas, 0.04, decimals=0, valid=(0, 5_000_000), integer=True),
    },
}


def rain_intensity(seed, code: str, moment: Moment) -> float:
    """mm per hour: showers on some hours, more of them in summer (Cangzhou's rain falls mostly in July-August)."""
    slot = int(moment.epoch // SLOT_SECONDS)
    chance = 0.01 + 0.07 * (1 - moment.winter) ** 3
    if unit(seed, code, "rain", slot) >= chance:
        return 0.0
    return 0.2 + 8 * unit(seed, code, "rain-amount", slot) ** 2


@dataclass
class DeviceSignal:
    """The readings of one simulated device.

    `ranges`: {metric: (minimum, maximum)} from the device type's MetricSpec rows; `interval_seconds`: how often
    the device reports (consumption metrics scale with it); `metrics`: which metrics it reports (default: all the
    profile knows, or those of `ranges`).
    """

    code: str
    type_code: str
    seed: int = 0
    ranges: dict = field(default_factory=dict)
    interval_seconds: float = 60.0
    anomaly_probability: float = DEFAULT_ANOMALY_PROBABILITY
    outage_probability: float = DEFAULT_OUTAGE_PROBABILITY
    bad_ratio: float = 0.0
    metrics: tuple = ()

    def __post_init__(self):
        profile = PROFILES.get(self.type_code, {})
        names = self.metrics or tuple(self.ranges) or tuple(profile)
        self.metrics = tuple(names)
        self._models = {name: profile.get(name) or self._generic(name) for name in names}
        self.factor = 0.8 + 0.4 * unit(self.seed, self.code, "factor")
        self._metric_factor = {name: 0.9 + 0.2 * unit(self.seed, self.code, name, "factor") for name in names}
        self._drift = {name: self._drift_wave(name) for name in names}
        self.anomaly = ANOMALIES.get(self.type_code)
        self._windows: dict = {}

    def _drift_wave(self, name: str) -> tuple[float, float]:
        """(angular frequency, phase) of the metric's slow drift: a wave a few days long."""
        low, high = DRIFT_PERIOD_DAYS
        period = 86400 * (low + (high - low) * unit(self.seed, self.code, name, "drift-period"))
        return 2 * math.pi / period, 2 * math.pi * unit(self.seed, self.code, name, "drift-phase")

    def _generic(self, name: str) -> Metric:
        """A metric the profiles do not know: noise around the middle of its valid range."""
        low, high = self.ranges.get(name, (None, None))
        low = 0.0 if low is None else low
        high = low + 100.0 if high is None else high
        middle = low + (high - low) * 0.4
        return Metric(lambda m, f: middle, absolute_noise=(high - low) * 0.02, decimals=3, valid=(low, high))

    def valid_range(self, name: str) -> tuple:
        low, high = self.ranges.get(name, (None, None))
        default_low, default_high = self._models[name].valid
        return (default_low if low is None else low, default_high if high is None else high)

    # Outages and anomalies: windows drawn per device and hour.

    def _window(self, kind: str, probability: float, minutes: tuple, epoch: float):
        """The (start, end) epoch of a window of `kind` covering `epoch`, or None."""
        slot = int(epoch // SLOT_SECONDS)
        for candidate in range(slot - math.ceil(minutes[1] * 60 / SLOT_SECONDS), slot + 1):
            window = self._slot_window(kind, probability, minutes, candidate)
            if window is not None and window[0] <= epoch < window[1]:
                return window
        return None

    def _slot_window(self, kind: str, probability: float, minutes: tuple, slot: int):
        """The window of `kind` that starts in `slot`, if one does (remembered: neighbouring readings ask again)."""
        key = (kind, slot)
        if key not in self._windows:
            if len(self._windows) > 10_000:
                self._windows.clear()
            window = None
            if unit(self.seed, self.code, kind, slot) < probability:
                start = (slot + unit(self.seed, self.code, kind, slot, "start")) * SLOT_SECONDS
                length = 60 * (minutes[0] + (minutes[1] - minutes[0]) * unit(self.seed, self.code, kind, slot, "len"))
                window = (start, start + length)
            self._windows[key] = window
        return self._windows[key]

    def is_silent(self, ts: datetime) -> bool:
        return self._window("outage", self.outage_probability, OUTAGE_MINUTES, ts.timestamp()) is not None

    def anomaly_at(self, ts: datetime) -> Anomaly | None:
        if self.anomaly is None:
            return None
        window = self._window("anomaly", self.anomaly_probability, ANOMALY_MINUTES, ts.timestamp())
        return self.anomaly if window else None

    # Values.

    def values(self, ts: datetime) -> dict[str, float] | None:
        """The device's reading at `ts`, or None while it is silent."""
        if self.is_silent(ts):
            return None
        moment = Moment.of(ts)
        anomaly = self.anomaly_at(ts)
        reading = {name: self._value(name, moment, anomaly) for name in self.metrics}
        if self.bad_ratio and unit(self.seed, self.code, "bad", moment.epoch) < self.bad_ratio:
            reading.update(self._bad_value(moment))
        return reading

    def _value(self, name: str, moment: Moment, anomaly: Anomaly | None) -> float:
        model = self._models[name]
        factor = self.factor * self._metric_factor[name]
        level = model.level(moment, factor)
        if self.type_code == "weather" and name == "rainfall":
            level = rain_intensity(self.seed, self.code, moment)
        frequency, phase = self._drift[name]
        drift = model.drift * math.sin(frequency * moment.epoch + phase)
        noise = gaussian(self.seed, self.code, name, moment.epoch)
        value = level * (1 + drift + model.relative_noise * noise) + model.absolute_noise * noise
        if anomaly is not None and name in anomaly.metrics:
            value = _disturb(value, *anomaly.metrics[name])
        if model.per_interval:
            value *= self.interval_seconds / 3600
        return self._fit(name, value, model)

    def _fit(self, name: str, value: float, model: Metric) -> float:
        low, high = self.valid_range(name)
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        if model.integer:
            return int(round(value))
        return round(value, model.decimals)

    def _bad_value(self, moment: Moment) -> dict:
        """One reading the platform must reject: out of range, not a number, or a metric it does not know."""
        name = self.metrics[int(unit(self.seed, self.code, "bad-metric", moment.epoch) * len(self.metrics))]
        low, high = self.valid_range(name)
        choice = unit(self.seed, self.code, "bad-kind", moment.epoch)
        if choice < 0.5:
            return {name: high + 1_000_000 if high is not None else (low or 0) - 1_000_000}
        if choice < 0.8:
            return {name: "ERR"}
        return {"unknown_metric": 1.0}


def _disturb(value: float, how: str, amount: float) -> float:
    if how == "times":
        return value * amount
    if how == "plus":
        return value + amount
    return amount
