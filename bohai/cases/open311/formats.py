"""GeoReport v2 on the wire: the same rows as XML (required by the spec) or JSON, the spec's error
list, ISO 8601 times in the city's offset (+08:00), and the protocol's own messages in Chinese
(English under Accept-Language: en).

XML is written by hand rather than through ElementTree: the element names are fixed by the spec,
values are escaped here, and characters XML 1.0 forbids (control characters a client may have put
in a description) are dropped, so every answer parses.
"""
import json
import re
from datetime import datetime
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Containers whose children are named by the spec: <attributes><attribute>, <values><value> …
CHILD_NAMES = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso(moment: datetime | None) -> str | None:
    """2026-11-02T09:00:00+08:00: seconds, with the offset, as the spec requires."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime):
        return iso(value)
    return escape(_NOT_XML.sub("", str(value)))


def _element(name: str, value, out: list[str]) -> None:
    if value is None or value == "":
        out.append(f"<{name}/>")
    elif isinstance(value, dict):
        out.append(f"<{name}>")
        for key, inner in value.items():
            _element(key, inner, out)
        out.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        child = CHILD_NAMES.get(name, "item")
        out.append(f"<{name}>")
        for inner in value:
            _element(child, inner, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def to_xml(root: str, data, item: str | None = None) -> str:
    """`data` a list (each entry an <item> under <root>) or a dict (the children of <root>)."""
    out = [XML_DECLARATION]
    if isinstance(data, list):
        out.append(f"<{root}>")
        for entry in data:
            _element(item, entry, out)
        out.append(f"</{root}>")
    else:
        _element(root, data, out)
    return "".join(out)


def _json_default(value):
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def render(fmt: str, data, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    else:
        body = to_xml(root, data, item)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"]))


# Errors ----------------------------------------------------------------------------------------

class Open311Error(Exception):
    """Answered as the spec's error list: each description one {code, description}."""

    def __init__(self, status: int, descriptions: list[str]):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def error_response(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt if fmt in CONTENT_TYPES else "xml", errors, root="errors", item="error", status=status)


# The protocol's own messages (the actions' field messages come from the actions, in Chinese).
MESSAGES = {
    "bad_format": ("不支持的格式“%(fmt)s”，可用 xml 或 json", "Unsupported format '%(fmt)s': use xml or json"),
    "method": ("此地址不支持 %(method)s 请求", "%(method)s is not allowed here"),
    "api_key": ("缺少或无效的 api_key：提交诉求须使用本平台签发的接口密钥",
                "Missing or invalid api_key: posting a request needs a key issued by this platform"),
    "rate_limited": ("请求过于频繁，请稍后再试", "Too many requests, try again later"),
    "too_large": ("提交的内容过大（照片每张不超过 10 MB）", "Request too large (photos at most 10 MB each)"),
    "no_service": ("没有编码为“%(code)s”的在用服务", "No active service with code '%(code)s'"),
    "service_code_missing": ("service_code：必填", "service_code is required"),
    "no_request": ("没有编号为“%(id)s”的诉求", "No service request '%(id)s'"),
    "no_token": ("没有令牌为“%(token)s”的诉求", "No service request with token '%(token)s'"),
    "no_media": ("没有这张照片", "No such photo"),
    "location_missing": ("位置：须提供 lat 与 long，或 address_string，或 address_id",
                         "Location: give lat and long, or address_string, or address_id"),
    "lat_long_pair": ("lat/long：经纬度须同时提供", "lat/long: give both lat and long"),
    "lat_long_number": ("lat/long：经纬度应为数字", "lat/long: must be numbers"),
    "address_id": ("address_id：没有标识为“%(id)s”的区划或网格", "address_id: no region or grid '%(id)s'"),
    "address_string": ("address_string：无法从地址“%(address)s”确定所在区县，请提供 lat 与 long",
                       "address_string: cannot tell the county from '%(address)s'; give lat and long"),
    "attribute_required": ("attribute[%(code)s]：必填", "attribute[%(code)s] is required"),
    "attribute_value": ("attribute[%(code)s]：“%(value)s”不是可选值（%(choices)s）",
                        "attribute[%(code)s]: '%(value)s' is not one of %(choices)s"),
    "date_format": ("%(field)s：日期时间格式不正确，应为 ISO 8601，如 2026-11-02T09:00:00+08:00",
                    "%(field)s: not an ISO 8601 date-time such as 2026-11-02T09:00:00+08:00"),
    "date_order": ("end_date 不能早于 start_date", "end_date is before start_date"),
    "date_span": ("start_date 与 end_date 相隔不能超过 90 天，现为 %(days)s 天",
                  "start_date and end_date may be at most 90 days apart (%(days)s given)"),
    "status_value": ("status：只能是 open 或 closed（可用逗号分隔），收到“%(value)s”",
                     "status: open or closed (comma-separated), got '%(value)s'"),
    "service_code_value": ("service_code：没有编码为“%(code)s”的服务", "service_code: no service '%(code)s'"),
    "too_many_ids": ("service_request_id：一次最多查询 %(limit)s 个编号", "service_request_id: at most %(limit)s ids"),
    "media_url_ignored": ("未采用 media_url（平台不下载外部链接），照片请以 media 字段随诉求上传",
                          "media_url was not used (the platform fetches no outside links): upload the photo as media"),
    "received_city": ("已收到，案卷号 %(id)s；监督中心将在 1 个工作小时内核实立案", "Received as %(id)s; the supervision "
                      "centre checks and files it within one working hour"),
    "received_hotline": ("已收到，诉求编号 %(id)s；12345 将在 2 小时内派单至承办单位", "Received as %(id)s; 12345 routes it "
                         "to the responsible unit within two hours"),
}


def english(request) -> bool:
    return (getattr(request, "LANGUAGE_CODE", "") or "").lower().startswith("en")


def message(request, key: str, **params) -> str:
    chinese, english_text = MESSAGES[key]
    return (english_text if english(request) else chinese) % params
