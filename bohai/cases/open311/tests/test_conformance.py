"""GeoReport v2 conformance: every endpoint in XML and JSON (the XML parsed and its element names and
value types checked), each error with its status and format, the filters alone and together, tokens,
photos, the city boundary, and no personal data in what anyone may read."""
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from bohai.cases import actions
from bohai.cases.models import Case, CasePhoto, Source, Status, Track
from bohai.cases.open311 import views
from bohai.cases.tests.conftest import INSIDE, OUTSIDE
from bohai.kernel.api.actions import revoke_api_key
from bohai.kernel.api.models import ApiKey
from bohai.kernel.api.quota import KeyQuota

BASE = "/open311/v2"
FORMATS = ["xml", "json"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


# Reading answers -------------------------------------------------------------------------------

def xml_root(response, root: str) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root
    return element


def json_body(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def flat(element: ET.Element) -> dict:
    """An XML record as {tag: text or None}, checking the tags come in order and each once."""
    return {child.tag: child.text for child in element}


def rows(response, fmt: str) -> list[dict]:
    """A <service_requests> answer as a list of dicts (XML text values; JSON native values)."""
    if fmt == "json":
        return json_body(response)
    return [flat(request) for request in xml_root(response, "service_requests")]


def errors(response, fmt: str, status: int) -> list[str]:
    assert response.status_code == status, response.content.decode()
    if fmt == "json":
        body = json_body(response)
        assert isinstance(body, list) and body
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
        return [e["description"] for e in body]
    root = xml_root(response, "errors")
    assert [e.tag for e in root] == ["error"] * len(root) and len(root)
    for error in root:
        assert [c.tag for c in error] == ["code", "description"] and error.findtext("code") == str(status)
    return [e.findtext("description") for e in root]


def ids(response, fmt: str) -> set[str]:
    assert response.status_code == 200, response.content.decode()
    return {r["service_request_id"] for r in rows(response, fmt)}


def png(colour=(200, 30, 30)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# Reports ---------------------------------------------------------------------------------------

def post(client, api_key, fmt="json", **fields):
    data = {"api_key": api_key, "service_code": "P0101", "lat": str(INSIDE[1]), "long": str(INSIDE[0]),
            "description": "解放路和永济路口井盖丢了", **fields}
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def reported(client, api_key, **fields) -> Case:
    response = post(client, api_key, **fields)
    assert response.status_code == 201, response.content.decode()
    return Case.objects.get(number=json_body(response)[0]["service_request_id"])


def patrol(city, people, *, days_ago: float, code="P0102", text="小区门口路灯不亮好几天了"):
    return actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=INSIDE[0], lat=INSIDE[1],
                               at=timezone.now() - timedelta(days=days_ago))


# Discovery and services ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, city, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        endpoint = json_body(response)["endpoints"][0]
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        root = xml_root(response, "discovery")
        endpoint = flat(root.find("endpoints/endpoint"))
        assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(client, city, fmt):
    city["classes"]["P0104"].active = False
    city["classes"]["P0104"].save()
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        services = json_body(response)
        assert all(list(s) == SERVICE_FIELDS for s in services)
        assert all(s["metadata"] is True and s["type"] == "realtime" for s in services)
    else:
        root = xml_root(response, "services")
        assert {e.tag for e in root} == {"service"}
        assert all([c.tag for c in e] == SERVICE_FIELDS for e in root)
        services = [flat(e) for e in root]
        assert all(s["metadata"] == "true" and s["type"] == "realtime" for s in services)
    by_code = {s["service_code"]: s for s in services}
    # Minor classes of both trees and the 12345 topics; no major class, nothing inactive.
    assert {"P0101", "E0101", "T-water_supply"} <= set(by_code)
    assert not {"P01", "E01", "T", "P0104"} & set(by_code)
    assert len(by_code) == 24 - 1 + 25
    assert by_code["P0101"]["service_name"] == "井盖破损丢失" and by_code["P0101"]["group"] == "公用设施"
    assert by_code["T-gas"]["group"] == "12345诉求"
    assert by_code["P0101"]["keywords"].startswith("井盖破损丢失, ")
    assert list(by_code)[0].startswith("P") and list(by_code)[-1].startswith("T-")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, city, fmt):
    topic = client.get(f"{BASE}/services/T-gas.{fmt}")
    part = client.get(f"{BASE}/services/P0101.{fmt}")
    assert topic.status_code == part.status_code == 200
    if fmt == "json":
        topic, part = json_body(topic), json_body(part)
    else:
        definitions = []
        for response in (topic, part):
            root = xml_root(response, "service_definition")
            assert [c.tag for c in root] == ["service_code", "attributes"]
            attributes = []
            for element in root.find("attributes"):
                assert element.tag == "attribute" and [c.tag for c in element] == ATTRIBUTE_FIELDS
                attribute = flat(element)
                attribute["values"] = [flat(v) for v in element.find("values")]
                assert all(v.tag == "value" and [c.tag for c in v] == ["key", "name"] for v in element.find("values"))
                # Typed as the spec's values: booleans as true/false, order a whole number.
                attribute.update(variable=attribute["variable"] == "true", required=attribute["required"] == "true",
                                 order=int(attribute["order"]))
                attributes.append(attribute)
            definitions.append({"service_code": root.findtext("service_code"), "attributes": attributes})
        topic, part = definitions
    assert topic["service_code"] == "T-gas" and part["service_code"] == "P0101"
    appeal, urgent = topic["attributes"]
    assert list(appeal) == ATTRIBUTE_FIELDS
    assert (appeal["code"], appeal["datatype"], appeal["required"], appeal["order"], appeal["variable"]) == (
        "appeal_type", "singlevaluelist", True, 1, True)
    assert [v["key"] for v in appeal["values"]] == ["consult", "help", "complaint", "report", "suggestion", "praise"]
    assert [v["name"] for v in appeal["values"]] == ["咨询", "求助", "投诉", "举报", "建议", "表扬"]
    assert (urgent["code"], urgent["required"], urgent["order"]) == ("urgent", False, 2)
    assert [v["key"] for v in urgent["values"]] == ["normal", "urgent"]
    assert [a["code"] for a in part["attributes"]] == ["urgent"] and part["attributes"][0]["order"] == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_resources_are_404_in_the_format_asked(client, city, fmt):
    assert "P9999" in errors(client.get(f"{BASE}/services/P9999.{fmt}"), fmt, 404)[0]
    assert "P01" in errors(client.get(f"{BASE}/services/P01.{fmt}"), fmt, 404)[0]      # a major class is no service
    assert errors(client.get(f"{BASE}/requests/CG202611020000099.{fmt}"), fmt, 404)
    assert errors(client.get(f"{BASE}/tokens/no-such-token.{fmt}"), fmt, 404)


def test_unsupported_format_and_method(client, city):
    assert "csv" in errors(client.get(f"{BASE}/services.csv"), "xml", 404)[0]
    response = client.put(f"{BASE}/requests.json")
    assert "PUT" in errors(response, "json", 405)[0] and response["Allow"] == "GET, POST, HEAD"
    errors(client.post(f"{BASE}/services.xml"), "xml", 405)


# POST requests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_post_answers_the_id_and_a_token(client, city, api_key, fmt):
    response = post(client, api_key, fmt, account_id="app-user-42")
    assert response.status_code == 201, response.content.decode()
    if fmt == "json":
        (answer,) = json_body(response)
        assert list(answer) == ["service_request_id", "token", "service_notice", "account_id"]
    else:
        root = xml_root(response, "service_requests")
        assert [r.tag for r in root] == ["request"]
        assert [c.tag for c in root[0]] == ["service_request_id", "token", "service_notice", "account_id"]
        answer = flat(root[0])
    case = Case.objects.get(number=answer["service_request_id"])
    assert (case.track, case.source, case.status) == (Track.CITY, Source.OPEN311, Status.REPORTED)
    assert case.external_token == answer["token"] and len(answer["token"]) >= 20
    assert case.reporter.api_keys.exists()             # the key's service account is the reporter of record
    assert case.case_class.code == "P0101" and case.township == city["township"]
    assert case.suggestion["top"]                      # dispatch suggestion made at intake, as for any report
    assert case.number in answer["service_notice"] and answer["account_id"] == "app-user-42"


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_gives_the_request_id(client, city, api_key, fmt):
    response = post(client, api_key)
    answer = json_body(response)[0]
    token_answer = client.get(f"{BASE}/tokens/{answer['token']}.{fmt}")
    assert token_answer.status_code == 200
    assert rows(token_answer, fmt) == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]


def test_hotline_topic_needs_its_appeal_type(client, city, api_key):
    fields = {"service_code": "T-water_supply", "description": "我们小区停水两天了也没人通知"}
    messages = errors(post(client, api_key, **fields), "json", 400)
    assert messages == ["attribute[appeal_type]：必填"]
    messages = errors(post(client, api_key, **fields, **{"attribute[appeal_type]": "angry"}), "json", 400)
    assert "angry" in messages[0] and "consult" in messages[0]
    case = reported(client, api_key, **fields, **{"attribute[appeal_type]": "complaint", "attribute[urgent]": "urgent"})
    assert (case.track, case.status, case.appeal_type, case.urgency) == (Track.HOTLINE, Status.ACCEPTED, "complaint",
                                                                        "urgent")


def test_empty_description_takes_the_service_name_and_optional_fields_may_be_empty(client, city, api_key):
    case = reported(client, api_key, description="", email="", phone="", first_name="", **{"attribute[urgent]": ""})
    assert case.description == "井盖破损丢失" and case.caller_phone_masked == "" and case.urgency == "urgent"


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_missing_bad_or_revoked_is_403(client, city, api_key, fmt):
    assert "api_key" in errors(post(client, None, fmt), fmt, 403)[0]
    errors(post(client, "not-a-key-at-all", fmt), fmt, 403)
    errors(post(client, api_key[:-2] + "xx", fmt), fmt, 403)
    revoke_api_key(ApiKey.objects.get(), actor="test")
    errors(post(client, api_key, fmt), fmt, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_reports_are_400_with_the_reason(client, city, api_key, fmt):
    cases = [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "P9999"}, "P9999"),
        ({"service_code": "P01"}, "P01"),
        ({"lat": None, "long": None}, "address_string"),
        ({"lat": ""}, "lat/long"),
        ({"long": "东经116度"}, "lat/long"),
        ({"lat": str(OUTSIDE[1]), "long": str(OUTSIDE[0])}, "不在本市范围内"),
        ({"description": "字" * 4001}, "4000"),
        ({"lat": None, "long": None, "address_id": "999999"}, "address_id"),
        ({"lat": None, "long": None, "address_string": "北京市朝阳区建国路"}, "address_string"),
        ({"attribute[urgent]": "very"}, "attribute[urgent]"),
        ({"phone": "12345"}, "phone"),
    ]
    for fields, expected in cases:
        messages = errors(post(client, api_key, fmt, **fields), fmt, 400)
        assert any(expected in m for m in messages), (fields, messages)
    assert not Case.objects.exists()
    assert reported(client, api_key, description="字" * 4000).description == "字" * 4000


def test_coordinates_outside_cangzhou_are_refused(client, city, api_key):
    (message,) = errors(post(client, api_key, lat="30.0", long="120.0"), "json", 400)
    assert message.startswith("lat/long：") and "不在本市范围内" in message
    (message,) = errors(post(client, api_key, "xml", lat="38.305", long="0"), "xml", 400)
    assert "不在本市范围内" in message


def test_location_by_address_id_or_a_place_named_in_the_address(client, city, api_key):
    case = reported(client, api_key, lat=None, long=None, address_id=city["township"].key)
    assert case.township == city["township"] and case.county == city["cang"] and case.lng is None
    case = reported(client, api_key, lat=None, long=None, address_string="沧州市沧县旧州镇东街口")
    assert case.region == city["township"] and case.address == "沧州市沧县旧州镇东街口"
    case = reported(client, api_key, lat=None, long=None, address_string="青县某路")
    assert case.region == city["qing"]
    case = reported(client, api_key, address_string="解放路口东侧")           # coordinates win; the text is kept
    assert case.township == city["township"] and case.address == "解放路口东侧"


def test_photo_upload_and_its_public_address(client, city, api_key):
    picture = png()
    response = client.post(f"{BASE}/requests.json", {
        "api_key": api_key, "service_code": "P0101", "lat": INSIDE[1], "long": INSIDE[0], "description": "井盖丢了",
        "media": SimpleUploadedFile("photo.png", picture, content_type="image/png")})
    assert response.status_code == 201, response.content.decode()
    number = json_body(response)[0]["service_request_id"]
    assert CasePhoto.objects.filter(case__number=number, stage="report").count() == 1
    (row,) = rows(client.get(f"{BASE}/requests/{number}.json"), "json")
    assert row["media_url"].startswith("http://testserver/open311/v2/media/")
    photo = client.get(row["media_url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == picture
    (xml_row,) = rows(client.get(f"{BASE}/requests/{number}.xml"), "xml")
    assert xml_row["media_url"] == row["media_url"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_that_is_not_an_image_is_refused(client, city, api_key, fmt):
    response = client.post(f"{BASE}/requests.{fmt}", {
        "api_key": api_key, "service_code": "P0101", "lat": INSIDE[1], "long": INSIDE[0], "description": "井盖丢了",
        "media": SimpleUploadedFile("photo.png", b"%PDF-1.4 this is not a picture", content_type="image/png")})
    (message,) = errors(response, fmt, 400)
    assert message.startswith("media[0]：")
    assert not Case.objects.exists()


def test_media_url_is_not_fetched_and_the_notice_says_so(client, city, api_key):
    response = post(client, api_key, media_url="http://example.com/photo.jpg")
    assert "media_url" in json_body(response)[0]["service_notice"]
    assert not CasePhoto.objects.exists()


def test_posting_needs_no_csrf_token(city, api_key):
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, api_key).status_code == 201


# GET requests ----------------------------------------------------------------------------------

@pytest.fixture
def world(client, city, people, api_key):
    """Cases of both tracks and several ages and statuses."""
    recent = patrol(city, people, days_ago=1, code="P0101", text="解放路和永济路口有个井盖丢了")
    refused = actions.refuse_case(patrol(city, people, days_ago=10), reason="不在城管范围", actor=people["supervisor"])
    old = patrol(city, people, days_ago=100, code="E0101", text="路边堆着暴露垃圾")
    phoned = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="complaint",
                                 description="我叫王小红，住旧州镇幸福小区3号楼，电话13900001111，小区停水两天了",
                                 region=city["township"], address="幸福小区3号楼2单元501", caller_name="王小红",
                                 caller_phone="13900001111", case_class=city["classes"]["T-water_supply"],
                                 at=timezone.now() - timedelta(days=5))
    posted = reported(client, api_key, description="路灯不亮", service_code="P0102", first_name="建国", last_name="李",
                      phone="13711112222", email="lijianguo@example.com", device_id="device-0042",
                      account_id="acct-7")
    return {"recent": recent.number, "refused": refused.number, "old": old.number, "phoned": phoned.number,
            "posted": posted.number}


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_list_fields_and_types(client, world, fmt):
    response = client.get(f"{BASE}/requests.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        root = xml_root(response, "service_requests")
        assert all(e.tag == "request" and [c.tag for c in e] == REQUEST_FIELDS for e in root)
    found = rows(response, fmt)
    assert all(list(r) == REQUEST_FIELDS for r in found)
    # Newest first, the default window (the last 90 days) leaves the 100-day-old case out.
    assert [r["service_request_id"] for r in found] == [world[k] for k in ("posted", "recent", "phoned", "refused")]
    by_id = {r["service_request_id"]: r for r in found}
    recent = by_id[world["recent"]]
    assert recent["status"] == "open" and recent["status_notes"] == "待立案"
    assert (recent["service_code"], recent["service_name"]) == ("P0101", "井盖破损丢失")
    assert ISO_8601.match(recent["requested_datetime"]) and ISO_8601.match(recent["updated_datetime"])
    assert recent["service_notice"] == "处置时限 4 小时" and recent["address_id"] == "130921100"
    assert float(recent["lat"]) == INSIDE[1] and float(recent["long"]) == INSIDE[0]
    assert by_id[world["refused"]]["status"] == "closed" and by_id[world["refused"]]["status_notes"] == "不予立案"
    if fmt == "json":
        assert isinstance(recent["lat"], float) and recent["expected_datetime"] is None and recent["zipcode"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request(client, world, fmt):
    (found,) = rows(client.get(f"{BASE}/requests/{world['recent']}.{fmt}"), fmt)
    assert found["service_request_id"] == world["recent"] and list(found) == REQUEST_FIELDS
    (old,) = rows(client.get(f"{BASE}/requests/{world['old']}.{fmt}"), fmt)   # any age by its id
    assert old["service_code"] == "E0101"


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_one_by_one(client, world, fmt):
    def get(**params):
        return ids(client.get(f"{BASE}/requests.{fmt}", params), fmt)

    everything = {world[k] for k in ("posted", "recent", "phoned", "refused")}
    assert get(service_request_id=f"{world['recent']},{world['old']}") == {world["recent"], world["old"]}
    assert get(service_request_id=f" {world['recent']} , ") == {world["recent"]}
    assert get(service_code="P0101") == {world["recent"]}
    assert get(service_code="P0101,T-water_supply") == {world["recent"], world["phoned"]}
    assert get(status="open") == everything - {world["refused"]}
    assert get(status="closed") == {world["refused"]}
    assert get(status="open,closed") == everything
    assert get(status="CLOSED") == {world["refused"]}
    now = timezone.now()
    assert get(start_date=(now - timedelta(days=7)).isoformat()) == {world["posted"], world["recent"], world["phoned"]}
    assert get(end_date=(now - timedelta(days=2)).isoformat()) == {world["phoned"], world["refused"]}
    assert get(start_date=(now - timedelta(days=120)).isoformat(), end_date=(now - timedelta(days=50)).isoformat()) == {
        world["old"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_together_and_empty_arguments(client, world, fmt):
    def get(**params):
        return ids(client.get(f"{BASE}/requests.{fmt}", params), fmt)

    now = timezone.now()
    empty = {"service_request_id": "", "service_code": "", "start_date": "", "end_date": "", "status": ""}
    assert get(**empty) == get()
    assert get(service_code="P0102,P0101", status="open") == {world["recent"], world["posted"]}
    assert get(service_code="P0102", status="closed", start_date=(now - timedelta(days=30)).isoformat(),
               end_date=now.isoformat()) == {world["refused"]}
    assert get(service_code="P0101", status="closed") == set()
    assert get(service_code="E0101", start_date=(now - timedelta(days=110)).isoformat(), status="", end_date="") == {
        world["old"]}
    # service_request_id overrides every other argument (the spec).
    assert get(service_request_id=world["old"], status="closed", service_code="P0101") == {world["old"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_90_day_rule_and_date_formats(client, world, fmt):
    def get(**params):
        return client.get(f"{BASE}/requests.{fmt}", params)

    start = datetime(2026, 1, 1, tzinfo=timezone.get_default_timezone())
    assert get(start_date=start.isoformat(), end_date=(start + timedelta(days=90)).isoformat()).status_code == 200
    (message,) = errors(get(start_date=start.isoformat(), end_date=(start + timedelta(days=91)).isoformat()), fmt, 400)
    assert "90" in message and "91" in message
    assert "end_date" in errors(get(start_date="2026-03-01T00:00:00+08:00", end_date="2026-02-01T00:00:00+08:00"),
                                fmt, 400)[0]
    assert "start_date" in errors(get(start_date="yesterday"), fmt, 400)[0]
    assert "end_date" in errors(get(end_date="2026-13-01"), fmt, 400)[0]
    assert "status" in errors(get(status="pending"), fmt, 400)[0]
    assert "P9999" in errors(get(service_code="P0101,P9999"), fmt, 400)[0]
    # Accepted spellings: Z, an offset, a plain date (Beijing midnight), and '+' sent unencoded (read as a space).
    assert get(start_date="2026-01-01T00:00:00Z", end_date="2026-03-01").status_code == 200
    recent_day = timezone.localdate() - timedelta(days=1)
    raw = f"{BASE}/requests.{fmt}?start_date={recent_day}T00:00:00+08:00&service_code=P0101"
    assert ids(client.get(raw), fmt) == {world["recent"]}


def test_at_most_the_limit_newest_first(client, world, monkeypatch):
    monkeypatch.setattr(views, "LIMIT", 2)
    found = rows(client.get(f"{BASE}/requests.json"), "json")
    assert [r["service_request_id"] for r in found] == [world["posted"], world["recent"]]
    errors(client.get(f"{BASE}/requests.json", {"service_request_id": "a,b,c"}), "json", 400)


def test_no_personal_data_in_any_answer(client, world, city, people):
    texts = []
    for fmt in FORMATS:
        texts.append(client.get(f"{BASE}/requests.{fmt}").content.decode())
        texts.append(client.get(f"{BASE}/requests.{fmt}", {"service_request_id": ",".join(world.values())}).content
                     .decode())
        for key in ("phoned", "posted"):
            texts.append(client.get(f"{BASE}/requests/{world[key]}.{fmt}").content.decode())
        token = Case.objects.get(number=world["posted"]).external_token
        texts.append(client.get(f"{BASE}/tokens/{token}.{fmt}").content.decode())
    everything = "\n".join(texts)
    for secret in ("王小红", "小红", "13900001111", "1390000", "李建国", "建国", "13711112222", "lijianguo",
                   "example.com", "device-0042", "acct-7", "幸福小区3号楼", "2单元501", people["grid_worker"].username,
                   "open311-app"):
        assert secret not in everything, secret
    phoned = rows(client.get(f"{BASE}/requests/{world['phoned']}.json"), "json")[0]
    assert phoned["description"] is None and phoned["address"] is None and phoned["lat"] is None
    assert phoned["address_id"] == city["cang"].key and phoned["status"] == "open"
    assert rows(client.get(f"{BASE}/requests/{world['posted']}.json"), "json")[0]["description"] == "路灯不亮"


def test_descriptions_are_redacted_and_always_parse_as_xml(client, city, api_key):
    case = reported(client, api_key, description="井盖丢了\x01，联系13812345678或0317-1234567，身份证130921199001011234，"
                                                 "邮箱 a.b@example.cn")
    (row,) = rows(client.get(f"{BASE}/requests/{case.number}.xml"), "xml")
    assert row["description"] == "井盖丢了，联系138****5678或0317****67，身份证130921********1234，邮箱 a***@example.cn"


def test_status_follows_the_case(client, city, people, api_key):
    first = reported(client, api_key)
    second = reported(client, api_key, description="路口井盖没了")
    actions.refuse_case(second, reason="与先报案件重复", duplicate_of=first, actor=people["supervisor"])
    case = actions.file_case(first, actor=people["supervisor"])
    case = actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    case = actions.sign_case(case, actor=people["urban"])
    found = {r["service_request_id"]: r for r in rows(client.get(f"{BASE}/requests.json"), "json")}
    assert found[second.number]["status"] == "closed" and first.number in found[second.number]["status_notes"]
    handled = found[first.number]
    assert handled["status"] == "open" and handled["status_notes"] == "处置中"
    assert handled["agency_responsible"] == city["units"]["urban_management"].name
    assert handled["expected_datetime"] == timezone.localtime(case.due_at).isoformat(timespec="seconds")
    case = actions.defer_case(case, reason="需列入明年改造计划", actor=people["supervisor"])
    assert rows(client.get(f"{BASE}/requests.json", {"status": "open"}), "json")[0]["status_notes"] == "挂账"


# Limits and languages --------------------------------------------------------------------------

def test_reads_are_limited_per_address_and_reports_per_key(client, city, api_key, settings, monkeypatch):
    cache.clear()
    monkeypatch.setattr(KeyQuota, "clock", staticmethod(lambda: 1_800_000_030.0))  # mid-window, not at its edge
    settings.BOHAI_API_ANON_RATE = "3/min"
    for _ in range(3):
        assert client.get(f"{BASE}/services.json").status_code == 200
    errors(client.get(f"{BASE}/services.xml"), "xml", 429)
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.get(f"{BASE}/services.json").status_code == 200
    settings.BOHAI_API_AUTH_RATE = "2/min"
    assert post(client, api_key).status_code == 201 and post(client, api_key).status_code == 201
    errors(post(client, api_key, "json"), "json", 429)
    cache.clear()


def test_a_key_counts_each_report_once_whether_taken_or_refused(client, city, api_key, settings, monkeypatch):
    now = [1_800_000_030.0]
    monkeypatch.setattr(KeyQuota, "clock", staticmethod(lambda: now[0]))
    settings.BOHAI_API_AUTH_RATE = "4/min"
    key = ApiKey.objects.get()

    def used() -> int:
        key.refresh_from_db()
        return key.window_used

    assert post(client, api_key).status_code == 201
    assert used() == 1  # counted in the report's own transaction
    errors(post(client, api_key, service_code="P9999"), "json", 400)  # refused before the action
    assert used() == 2
    errors(post(client, api_key, lat=str(OUTSIDE[1]), long=str(OUTSIDE[0])), "json", 400)  # refused inside it
    assert used() == 3 and Case.objects.count() == 1
    assert post(client, api_key).status_code == 201
    errors(post(client, api_key), "json", 429)
    assert used() == 4 and Case.objects.count() == 2  # a request over the limit is neither taken nor counted
    now[0] += 60  # the next window
    assert post(client, api_key).status_code == 201
    assert used() == 1


def test_english_messages_under_accept_language_en(client, city, api_key):
    response = client.get(f"{BASE}/services/P9999.json", HTTP_ACCEPT_LANGUAGE="en")
    assert errors(response, "json", 404) == ["No active service with code 'P9999'"]
    response = client.post(f"{BASE}/requests.xml", {"service_code": "P0101"}, HTTP_ACCEPT_LANGUAGE="en")
    assert errors(response, "xml", 403)[0].startswith("Missing or invalid api_key")
