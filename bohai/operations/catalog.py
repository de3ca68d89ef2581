"""The vital signs the operations centre computes: what each one is and how to read it."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SignSpec:
    code: str
    name: str
    unit: str
    good_direction: str
    description: str


AQI = "aqi"
WATER_PRESSURE = "water_pressure_compliance"
GAS_LEAKS = "gas_leak_alarms"
ONLINE_RATE = "device_online_rate"
ACTIVE_ALARMS = "active_alarms"
CONGESTION = "traffic_congestion_index"

SIGNS = (
    SignSpec(AQI, _("空气质量指数"), "", "lower", _(
        "实时 AQI（HJ 633-2012）：各县（市、区）空气质量监测设备最近一小时的平均浓度取站点算术平均，"
        "SO₂、NO₂、CO、O₃ 按 1 小时浓度限值、PM₁₀ 与 PM₂.₅ 按 24 小时浓度限值计算分指数，取最大值；"
        "AQI 大于 50 时列出首要污染物。全市数值取全部站点的平均浓度。")),
    SignSpec(WATER_PRESSURE, _("供水压力合格率"), "%", "higher", _(
        "最近一小时平均压力不低于服务压力下限的供水监测点所占比例。下限默认 0.14 MPa，"
        "即《城镇供水管网运行、维护及安全技术规程》（CJJ 207-2013）对管网末梢压力的要求，"
        "可由设置 BOHAI_OPS_MIN_WATER_PRESSURE_MPA 调整。没有数据的监测点不计入。")),
    SignSpec(GAS_LEAKS, _("燃气泄漏告警"), _("起"), "lower", _(
        "燃气管网监测设备上尚未解除（活动或已确认）的告警数。")),
    SignSpec(ONLINE_RATE, _("设备在线率"), "%", "higher", _(
        "启用状态的设备中，在其设备类型的离线判定时长内上报过数据的比例；按县（市、区）和权属部门分别统计。")),
    SignSpec(ACTIVE_ALARMS, _("未解除告警"), _("起"), "lower", _(
        "物联感知设备上活动或已确认、尚未解除的告警数，明细按紧急、严重、一般、提示分级。")),
    SignSpec(CONGESTION, _("交通拥堵指数"), "", "lower", _(
        "0～10 的道路交通运行指数：每个交通检测点的行程时间比 = 自由流速度 ÷ 最近 15 分钟平均速度，"
        "自由流速度取该点近 7 天速度的第 85 百分位；指数 = (行程时间比 − 1) × 10 ÷ 1.5，限定在 0～10，"
        "按车流量加权平均。0～2 畅通，2～4 基本畅通，4～6 轻度拥堵，6～8 中度拥堵，8～10 严重拥堵"
        "（分级同北京市《城市道路交通运行评价指标体系》DB11/T 785）。")),
)

CONGESTION_GRADES = ((2, _("畅通")), (4, _("基本畅通")), (6, _("轻度拥堵")), (8, _("中度拥堵")), (10.0001, _("严重拥堵")))


def congestion_grade(index: float | None) -> str:
    if index is None:
        return ""
    return str(next(name for upper, name in CONGESTION_GRADES if index < upper))
