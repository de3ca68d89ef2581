"""The cases pages through Django's test client: who may see which page (403 for the wrong role, 404 outside
scope), the portal report and its field errors, tracking by number and its limit, the public list without
personal data, 12345 intake that routes at once, the live suggestion, the grid worker's report, duplicates and
verification, the queue, the case page's panel through the seven stages, and a stale dispatch."""
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bohai.cases import actions
from bohai.cases.models import Case, CasePhoto, PhotoStage, Source, Status, Track
from bohai.cases.queries import redact
from bohai.engines.workflows import actions as workflow
from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_resident_id
from bohai.testing.fixtures import signed_in_client

from .conftest import INSIDE, OUTSIDE

pytestmark = pytest.mark.django_db

PERSONAL = "路口井盖丢了很危险，联系我13812345678或0317-5551234，身份证130921199005011234，我叫王小红，车牌冀J12345"


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (16, 12), (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # the rate-limit budget lives in the cache table


@pytest.fixture
def resident(city):
    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1990, 5, 1), 123),
                                        name="张明", phone="13812345678", region=city["township"])
    return account_actions.create_resident_account(actor="test", username="zhangming", password="Test-pass-2026!",
                                                   person=person)


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def patrol(city, people, text="解放路和永济路口有个井盖丢了，很危险", code="P0101", where=INSIDE):
    return actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=where[0], lat=where[1])


def open_task(case, stage):
    return WorkflowTask.objects.get(instance_id=case.workflow_id, stage_key=stage, status=TaskStatus.OPEN)


def act(client, case, command, stage=None, **data):
    payload = {"command": command, **data}
    if stage:
        task = open_task(case, stage)
        payload.update(task=task.pk, version=task.version)
    return client.post(f"/work/cases/{case.pk}/act/", payload)


def text_of(response) -> str:
    return response.content.decode()


# Who may see what ------------------------------------------------------------------------------------------

def test_public_pages_and_sign_in(city, resident):
    anonymous = Client()
    assert anonymous.get("/cases/track/").status_code == 200
    assert anonymous.get("/cases/recent/").status_code == 200
    assert anonymous.get("/cases/report/").status_code == 302          # residents sign in to report
    for url in ("/work/cases/grid/", "/work/cases/queue/", "/work/cases/", "/work/cases/hotline/new/"):
        assert anonymous.get(url)["Location"].startswith("/accounts/login/")
    signed_in = signed_in_client(resident)
    assert signed_in.get("/cases/report/").status_code == 200
    for url in ("/work/cases/grid/", "/work/cases/queue/", "/work/cases/", "/work/cases/hotline/new/"):
        assert signed_in.get(url).status_code == 403


def test_each_workbench_page_for_its_role(city, people):
    grid_worker, operator = signed_in_client(people["grid_worker"]), signed_in_client(people["operator"])
    assert grid_worker.get("/work/cases/grid/").status_code == 200
    assert grid_worker.get("/work/cases/hotline/new/").status_code == 403
    assert operator.get("/work/cases/hotline/new/").status_code == 200
    assert operator.get("/work/cases/grid/").status_code == 403
    for user in ("supervisor", "dispatcher", "urban", "grid_worker", "operator"):
        client = signed_in_client(people[user])
        assert client.get("/work/cases/queue/").status_code == 200, user
        assert client.get("/work/cases/").status_code == 200, user


def test_menu_entries_follow_role_and_permission(city, people, resident):
    page = text_of(signed_in_client(people["grid_worker"]).get("/work/cases/queue/"))
    assert "网格巡查" in page and "12345 受理" not in page and "我的案件待办" in page
    page = text_of(signed_in_client(people["operator"]).get("/work/cases/queue/"))
    assert "12345 受理" in page and "网格巡查" not in page
    portal = text_of(Client().get("/cases/recent/"))
    assert all(label in portal for label in ("问题上报", "案件查询", "最新案件"))


def test_a_case_outside_scope_is_not_found(city, people):
    case = patrol(city, people)
    photo_case = actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description="路灯不亮",
                                     lng=INSIDE[0], lat=INSIDE[1], photos=[png()])
    photo = photo_case.photos.get()
    outsider = signed_in_client(people["qing_handler"])
    assert outsider.get(f"/work/cases/{case.pk}/").status_code == 404
    assert outsider.get(f"/work/cases/{photo_case.pk}/photos/{photo.pk}/").status_code == 404
    insider = signed_in_client(people["supervisor"])
    assert insider.get(f"/work/cases/{case.pk}/").status_code == 200
    shown = insider.get(f"/work/cases/{photo_case.pk}/photos/{photo.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png" and shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == PNG


# The portal: report, track, recent -------------------------------------------------------------------------

def test_a_resident_reports_a_problem(city, resident):
    client = signed_in_client(resident)
    response = client.post("/cases/report/", {
        "description": "小区门口的路灯坏了一个星期", "lng": INSIDE[0], "lat": INSIDE[1], "case_class": "P0102",
        "address": "旧州镇东街 8 号", "photos": [png("a.png"), png("b.png")]})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/report/{case.number}/"
    assert (case.track, case.source, case.reporter, case.township) == (Track.CITY, Source.PORTAL, resident, city["township"])
    assert case.case_class.code == "P0102" and case.photos.filter(stage=PhotoStage.REPORT).count() == 2
    done = text_of(client.get(response["Location"]))
    assert case.number in done and "上报成功" in done
    assert case.number in text_of(client.get("/cases/report/"))                  # 我的上报
    other = signed_in_client(account_actions.create_resident_account(
        actor="test", username="lisi", password="Test-pass-2026!", person=identities.register_person(
            actor="test", id_number=make_resident_id("130921", date(1985, 1, 1), 7), name="李四", region=city["township"])))
    assert other.get(response["Location"]).status_code == 404                    # only the reporter's own receipt


def test_the_report_form_shows_field_errors(city, resident):
    client = signed_in_client(resident)
    response = client.post("/cases/report/", {
        "description": "  ", "lng": OUTSIDE[0], "lat": OUTSIDE[1],
        "photos": [SimpleUploadedFile("scan.png", b"%PDF-1.4 not an image", content_type="image/png")]})
    page = text_of(response)
    assert response.status_code == 422 and not Case.objects.exists()
    assert 'data-field-error="description"' in page and "请描述问题" in page
    assert "data-location-error" in page and "不在本市范围内" in page
    assert "data-photo-error" in page and "第 1 张照片" in page
    response = client.post("/cases/report/", {"description": "井盖丢了"})
    assert response.status_code == 422 and "请在地图上标注位置，或选择所在区县" in text_of(response)
    response = client.post("/cases/report/", {"description": "井盖丢了", "region": city["township"].key,
                                              "address": "旧州镇东街口"})
    assert response.status_code == 302 and Case.objects.get().township == city["township"]


def test_track_by_number_shows_the_public_timeline(city, people):
    case = actions.file_case(patrol(city, people, text=PERSONAL), actor=people["supervisor"])
    actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    client = Client()
    response = client.get("/cases/track/", {"number": case.number.lower()})
    page = text_of(response)
    assert response.status_code == 200 and 'data-result="found"' in page
    assert "派遣至" in page and city["units"]["urban_management"].name in page and "待签收" in page
    for secret in ("13812345678", "130921199005011234", "王小红", "冀J12345", people["supervisor"].username):
        assert secret not in page
    assert "[电话已隐去]" in page
    missing = client.post("/cases/track/", {"number": "CG20260101999999"})
    assert 'data-result="not_found"' in text_of(missing)


def test_track_is_limited_per_address(city, people, settings):
    settings.BOHAI_CASES_TRACK_RATE = "2/min"
    case = patrol(city, people)
    client = Client()
    assert client.get("/cases/track/", {"number": case.number}).status_code == 200
    assert client.get("/cases/track/", {"number": "CG1"}).status_code == 200
    limited = client.get("/cases/track/", {"number": case.number})
    assert limited.status_code == 429 and 'data-result="rate_limited"' in text_of(limited)
    assert client.get("/cases/track/").status_code == 200                        # the empty form costs nothing
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/cases/track/", {"number": case.number}).status_code == 200


def test_the_public_list_carries_no_personal_data(city, people):
    shown = actions.file_case(patrol(city, people, text=PERSONAL), actor=people["supervisor"])
    unfiled = patrol(city, people, text="还没立案的问题", code="P0102")
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="complaint",
                                 description="我家楼下邻居天天吵架，我叫李华电话13900001111", region=city["township"],
                                 caller_name="李华", caller_phone="13900001111")
    page = text_of(Client().get("/cases/recent/"))
    assert shown.number in page and appeal.number in page and unfiled.number not in page
    for secret in ("13812345678", "0317-5551234", "130921199005011234", "王小红", "冀J12345", "13900001111", "李华",
                   "邻居天天吵架", "139****1111", "/photos/"):
        assert secret not in page, secret
    assert "[电话已隐去]" in page and "[证件号码已隐去]" in page and "[车牌已隐去]" in page
    assert "（12345 诉求内容不公开）" in page
    closed_only = text_of(Client().get("/cases/recent/", {"state": "closed"}))
    assert shown.number not in closed_only


def test_redaction_of_numbers_plates_and_names():
    assert redact("电话 138 1234 5678，+86-13912345678") == "电话 [电话已隐去]，[电话已隐去]"
    assert redact("座机0317-5551234") == "座机[电话已隐去]"
    assert redact("身份证13092119900501123X号") == "身份证[证件号码已隐去]号"
    assert redact("车牌冀J·D12345停在路边") == "车牌[车牌已隐去]停在路边"
    assert redact("联系人：张三丰，王先生说") == "联系人：[姓名已隐去]，某先生说"
    assert redact("发到 wang.xh@example.com 就行") == "发到 [邮箱已隐去] 就行"
    assert redact("解放路12号楼下井盖丢了") == "解放路12号楼下井盖丢了"


# 12345 intake and the live suggestion ------------------------------------------------------------------------

def test_the_suggestion_fragment_answers(city, people):
    client = signed_in_client(people["operator"])
    water = city["units"]["water"]
    fragment = text_of(client.post("/work/cases/suggest/", {"description": "我们小区停水两天了也没人通知",
                                                             "region": city["township"].key}))
    assert "data-suggestions" in fragment and water.name in fragment and "%" in fragment
    assert fragment.index('data-suggestion="T-water_supply"') < fragment.index("data-suggestion=", fragment.index(
        'data-suggestion="T-water_supply"') + 1)
    assert f'name="route" value="T-water_supply|{water.pk}" checked' in fragment
    located = text_of(client.post("/work/cases/suggest/", {"description": "我们小区停水两天了也没人通知",
                                                            "lng": INSIDE[0], "lat": INSIDE[1]}))
    assert "按“旧州镇”的属地找责任单位" in located
    assert "data-suggestions-hint" in text_of(client.post("/work/cases/suggest/", {"description": "停水"}))
    picked = text_of(client.post("/work/cases/suggest/", {"description": "停水好几天了", "case_class": "T-power_supply",
                                                           "region": city["township"].key}))
    assert picked.index('data-suggestion="T-power_supply"') < picked.index('data-suggestion="T-water_supply"')
    assert Client().post("/work/cases/suggest/", {"description": "x"}).status_code == 302
    assert signed_in_client(people["urban"]).post("/work/cases/suggest/", {"description": "停水"}).status_code == 403


def test_an_operator_takes_a_call_and_routes_it(city, people):
    client = signed_in_client(people["operator"])
    response = client.post("/work/cases/hotline/new/", {
        "caller_phone": "13900001111", "caller_name": "王小红", "appeal_type": "complaint",
        "description": "我们小区停水两天了也没人通知", "region": city["township"].key, "urgency": "normal",
        "command": "route", "route": f"T-water_supply|{city['units']['water'].pk}"})
    assert response.status_code == 302 and response["Location"] == "/work/cases/hotline/new/"
    appeal = Case.objects.get()
    assert (appeal.track, appeal.source, appeal.status) == (Track.HOTLINE, Source.HOTLINE, Status.HANDLING)
    assert appeal.organisation == city["units"]["water"] and appeal.case_class.code == "T-water_supply"
    assert appeal.caller_phone_masked == "139****1111" and appeal.caller_name_masked == "王*红"
    assert "13900001111" not in appeal.caller_phone_cipher
    page = text_of(client.get(response["Location"]))
    assert appeal.number in page and "已受理并派单" in page
    assert "13900001111" not in text_of(client.get(f"/work/cases/{appeal.pk}/"))


def test_intake_without_routing_and_with_errors(city, people):
    client = signed_in_client(people["operator"])
    response = client.post("/work/cases/hotline/new/", {"caller_phone": "12345", "description": "",
                                                         "appeal_type": "help", "command": "accept"})
    page = text_of(response)
    assert response.status_code == 422 and not Case.objects.exists()
    assert 'data-field-error="description"' in page and 'data-field-error="caller_phone"' in page
    assert "data-location-error" in page
    response = client.post("/work/cases/hotline/new/", {"description": "咨询公积金提取需要什么材料", "appeal_type": "consult",
                                                         "region": city["cang"].key, "command": "accept"})
    appeal = Case.objects.get()
    assert response.status_code == 302 and appeal.status == Status.ACCEPTED and appeal.organisation is None
    task = open_task(appeal, "route")
    assert task.region == city["cang"]


# The grid worker ---------------------------------------------------------------------------------------------

def test_a_grid_worker_reports_and_sees_duplicates(city, people):
    client = signed_in_client(people["grid_worker"])
    response = client.post("/work/cases/grid/", {
        "description": "解放路口井盖丢了", "case_class": "P0101", "lng": INSIDE[0], "lat": INSIDE[1], "photos": [png()]})
    assert response.status_code == 302
    first = Case.objects.get()
    assert first.source == Source.PATROL and first.reporter == people["grid_worker"] and first.photos.count() == 1
    page = text_of(client.get("/work/cases/grid/"))
    assert f'data-case="{first.number}"' in page and "已上报" in page
    draft = {"description": "路口的井盖没了，差点有人掉下去", "case_class": "P0101", "lng": INSIDE[0] + 0.0002, "lat": INSIDE[1]}
    fragment = text_of(client.post("/work/cases/grid/duplicates/", draft))
    assert f'data-duplicate="{first.number}"' in fragment and "这是同一个问题" in fragment and "旧州镇" in fragment
    far = text_of(client.post("/work/cases/grid/duplicates/", {**draft, "description": "别的事", "case_class": "P0102"}))
    assert "data-duplicate=" not in far and "data-place" in far
    outside = text_of(client.post("/work/cases/grid/duplicates/", {**draft, "lng": OUTSIDE[0], "lat": OUTSIDE[1]}))
    assert "data-place-outside" in outside
    same = client.get("/work/cases/grid/", {"same": first.number}, follow=True)
    assert "未重复上报" in text_of(same) and Case.objects.count() == 1


def test_a_grid_worker_verifies_on_site(city, people):
    case = actions.file_case(patrol(city, people), actor=people["supervisor"])
    case = actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    case = actions.sign_case(case, actor=people["urban"])
    case = actions.report_handled(case, actor=people["urban"], note="已更换新井盖", photos=[png()])
    client = signed_in_client(people["grid_worker"])
    page = text_of(client.get("/work/cases/grid/"))
    assert f'href="/work/cases/grid/verify/{case.pk}/"' in page
    verify_page = text_of(client.get(f"/work/cases/grid/verify/{case.pk}/"))
    assert "已更换新井盖" in verify_page and "data-verify-form" in verify_page
    refused = client.post(f"/work/cases/grid/verify/{case.pk}/", {"passed": "0", "note": ""})
    assert refused.status_code == 422 and "核查不通过时请写明问题所在" in text_of(refused)
    response = client.post(f"/work/cases/grid/verify/{case.pk}/", {"passed": "0", "note": "井盖仍然松动", "photos": [png()]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.rework_count == 1
    assert CasePhoto.objects.filter(case=case, stage=PhotoStage.VERIFY).count() == 1
    assert signed_in_client(people["urban"]).get(f"/work/cases/grid/verify/{case.pk}/").status_code == 403


# The queue, the list, the case page ------------------------------------------------------------------------------

def test_the_queue_shows_each_users_tasks_with_cards(city, people):
    first, second = patrol(city, people), patrol(city, people, text="小区门口路灯不亮", code="P0102")
    WorkflowTask.objects.filter(instance_id=first.workflow_id, status=TaskStatus.OPEN).update(warning=2)
    WorkflowTask.objects.filter(instance_id=second.workflow_id, status=TaskStatus.OPEN).update(warning=1)
    client = signed_in_client(people["supervisor"])
    page = text_of(client.get("/work/cases/queue/"))
    assert first.number in page and second.number in page
    assert 'data-warning-badge="2"' in page and 'data-warning-badge="1"' in page
    red_only = text_of(client.get("/work/cases/queue/", {"warning": "2"}))
    assert first.number in red_only and second.number not in red_only
    assert first.number not in text_of(client.get("/work/cases/queue/", {"stage": "dispatch"}))
    assert first.number not in text_of(signed_in_client(people["dispatcher"]).get("/work/cases/queue/"))


def test_the_list_of_cases_in_scope_and_its_filters(city, people):
    lamp = patrol(city, people, text="小区门口路灯不亮", code="P0102")
    cover = actions.file_case(patrol(city, people), actor=people["supervisor"])
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", description="停水两天了",
                                 region=city["township"])
    client = signed_in_client(people["supervisor"])
    everything = text_of(client.get("/work/cases/"))
    assert all(c.number in everything for c in (lamp, cover, appeal))
    def numbers(**query):
        page = text_of(client.get("/work/cases/", query))
        return {c.number for c in (lamp, cover, appeal) if f'data-case="{c.number}"' in page}
    assert numbers(track="hotline") == {appeal.number}
    assert numbers(status="filed") == {cover.number}
    assert numbers(case_class="P01") == {lamp.number, cover.number}
    assert numbers(case_class="P0102") == {lamp.number}
    assert numbers(region=city["township"].key) == {lamp.number, cover.number, appeal.number}
    assert numbers(region=city["qing"].key) == set()
    assert numbers(q=lamp.number) == {lamp.number}
    assert numbers(since="2000-01-01", until="2000-12-31") == set()
    assert numbers(overdue="on") == set()
    outsider = text_of(signed_in_client(people["qing_handler"]).get("/work/cases/"))
    assert lamp.number not in outsider


def test_the_seven_stages_through_the_panel(city, people):
    case = patrol(city, people)
    supervisor, dispatcher, urban = (signed_in_client(people[k]) for k in ("supervisor", "dispatcher", "urban"))
    page = text_of(supervisor.get(f"/work/cases/{case.pk}/"))
    assert 'data-panel="file"' in page and "data-case-suggestions" in page and "井盖破损丢失" in page
    assert act(supervisor, case, "file", "file", case_class="P0101", urgency="urgent").status_code == 302
    page = text_of(dispatcher.get(f"/work/cases/{case.pk}/"))
    unit = city["units"]["urban_management"]
    assert 'data-panel="dispatch"' in page and f'<option value="{unit.pk}" selected>' in page
    assert act(dispatcher, case, "dispatch", "dispatch", organisation=unit.pk, case_class="P0101").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.organisation == unit
    assert 'data-panel="sign"' in text_of(urban.get(f"/work/cases/{case.pk}/"))
    act(urban, case, "sign", "sign")
    empty = act(urban, case, "handled", "handle", note="")
    assert empty.status_code == 422 and "请写明处置情况" in text_of(empty)
    act(urban, case, "handled", "handle", note="已更换新井盖", photos=[png()])
    case.refresh_from_db()
    assert case.status == Status.HANDLED
    page = text_of(signed_in_client(people["grid_worker"]).get(f"/work/cases/{case.pk}/"))
    assert 'data-panel="verify"' in page and 'data-photo="handled"' in page and 'data-photo="report"' not in page
    act(signed_in_client(people["grid_worker"]), case, "verify", "verify", passed="1", note="现场已修复")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    timeline = text_of(supervisor.get(f"/work/cases/{case.pk}/"))
    for kind in ("reported", "filed", "dispatched", "signed", "handled", "verified"):
        assert f'data-event="{kind}"' in timeline


def test_refuse_merge_send_back_extension_and_backlog(city, people):
    supervisor, urban, water = (signed_in_client(people[k]) for k in ("supervisor", "urban", "water"))
    first = patrol(city, people)
    second = patrol(city, people, text="路口井盖没了，差点有人掉下去")
    page = text_of(supervisor.get(f"/work/cases/{second.pk}/"))
    assert f'data-merge="{first.number}"' in page
    act(supervisor, second, "merge", "file", duplicate_of=first.pk)
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.duplicate_of == first
    third = patrol(city, people, text="有人在公园遛狗不牵绳", code="P0102")
    assert act(supervisor, third, "refuse", "file", reason="").status_code == 422
    act(supervisor, third, "refuse", "file", reason="不属于城市管理范围")
    assert Case.objects.get(pk=third.pk).status == Status.INVALID

    case = actions.file_case(first, actor=people["supervisor"])
    case = actions.dispatch_case(case, organisation=city["units"]["water"], actor=people["dispatcher"])
    assert act(water, case, "send_back", "sign", reason="不").status_code == 422
    act(water, case, "send_back", "sign", reason="井盖属城管维护，非供水井")
    case.refresh_from_db()
    assert case.status == Status.FILED and case.sendback_count == 1
    case = actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    act(urban, case, "sign", "sign")
    act(urban, case, "extend", "handle", days="2", reason="需更换整段井座")
    page = text_of(supervisor.get(f"/work/cases/{case.pk}/"))
    assert "延期申请：2 个工作日" in page
    extension = case.extensions.get()
    act(supervisor, case, "approve_extension", extension=extension.pk)
    case.refresh_from_db()
    assert case.extended_days == 2
    assert act(supervisor, case, "defer", reason="").status_code == 422
    act(supervisor, case, "defer", reason="需列入明年改造计划")
    assert Case.objects.get(pk=case.pk).status == Status.DEFERRED
    act(supervisor, case, "resume")
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING
    assert act(urban, case, "defer", reason="想挂账").status_code == 302          # no power: refused, nothing changed
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_hotline_follow_up_through_the_panel(city, people):
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", description="停水两天了",
                                 region=city["township"], case_class=city["classes"]["T-water_supply"])
    appeal = actions.dispatch_case(appeal, organisation=city["units"]["water"], actor=people["operator"])
    water, operator = signed_in_client(people["water"]), signed_in_client(people["operator"])
    assert "答复群众" in text_of(water.get(f"/work/cases/{appeal.pk}/"))
    act(water, appeal, "handled", "handle", note="管道抢修完毕，已恢复供水")
    page = text_of(operator.get(f"/work/cases/{appeal.pk}/"))
    assert 'data-panel="follow_up"' in page and "管道抢修完毕" in page
    act(operator, appeal, "follow_up", "follow_up", satisfaction="satisfied")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.satisfaction == "satisfied"


def test_a_stale_dispatch_shows_the_conflict(city, people):
    case = actions.file_case(patrol(city, people), actor=people["supervisor"])
    task = open_task(case, "dispatch")
    seen = {"command": "dispatch", "task": task.pk, "version": task.version,
            "organisation": city["units"]["water"].pk, "case_class": ""}
    workflow.claim_task(task, actor=people["dispatcher"])            # someone else touched the task meanwhile
    client = signed_in_client(people["dispatcher"])
    page = text_of(client.post(f"/work/cases/{case.pk}/act/", seen, follow=True))
    assert "该任务已由他人办理，请刷新后查看" in page
    assert Case.objects.get(pk=case.pk).status == Status.FILED
    task.refresh_from_db()
    fresh = {**seen, "version": task.version, "organisation": city["units"]["urban_management"].pk}
    assert client.post(f"/work/cases/{case.pk}/act/", fresh).status_code == 302
    again = text_of(client.post(f"/work/cases/{case.pk}/act/", fresh, follow=True))  # the second of two dispatchers
    assert "该任务已由他人办理，请刷新后查看" in again
    assert Case.objects.get(pk=case.pk).organisation == city["units"]["urban_management"]


def test_acting_without_the_task_is_refused(city, people):
    case = patrol(city, people)
    grid_worker = signed_in_client(people["grid_worker"])
    task = open_task(case, "file")
    page = text_of(grid_worker.post(f"/work/cases/{case.pk}/act/", {"command": "file", "task": task.pk,
                                                                      "version": task.version}, follow=True))
    assert "您不是该环节的办理人" in page and Case.objects.get(pk=case.pk).status == Status.REPORTED
    assert signed_in_client(people["qing_handler"]).post(f"/work/cases/{case.pk}/act/", {"command": "file"}).status_code == 404


def test_the_queue_shows_an_appeal_placed_only_at_the_city(city, people):
    """A 12345 appeal may be known only at city level (no county, no township): the queue still renders."""
    actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="consult",
                        description="想问一下公积金怎么提取", region=city["city"])
    response = signed_in_client(people["operator"]).get("/work/cases/queue/")
    assert response.status_code == 200 and "沧州市" in response.content.decode()
