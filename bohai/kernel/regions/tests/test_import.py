import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.regions import actions
from bohai.kernel.regions.models import Level, Region

from .conftest import SYSTEM, region

GOOD_AND_BAD_CSV = """key,code,name,level,parent_key,lng,lat
130903101,130903101,水月寺街道,township,130903,116.84,38.30
130903101001,130903101001,水月寺社区,community,130903101,,
130903101002,130903101002,未知上级社区,community,139999999,,
130903101003,130903101003,层级错误,village,130903101,,
130903101001,130903101009,重复标识,community,130903101,,
130903101004,130903101004,经度越界,community,130903101,200,38.3
130903101001001,130903101001001,一号网格,grid,130903101001,,
"""


def _upload(text: str, name: str):
    file = io.BytesIO(text.encode("utf-8"))
    file.name = name
    return file


def _errors(report) -> dict[int, tuple[str, str]]:
    return {e.line: (e.field, e.reason) for e in report.errors}


def test_csv_import_keeps_good_rows_and_reports_bad_ones_by_line(cangzhou):
    report = actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=SYSTEM)
    assert report.created == 3
    assert set(Region.objects.filter(level__in=["township", "community", "grid"]).values_list("key", flat=True)) == {
        "130903101", "130903101001", "130903101001001"}
    errors = _errors(report)
    assert sorted(errors) == [4, 5, 6, 7]
    assert errors[4][0] == "parent_key" and "不存在" in errors[4][1]
    assert errors[5][0] == "level" and "无效" in errors[5][1]
    assert errors[6][0] == "code" and "重复" in errors[6][1] and "第 3 行" in errors[6][1]
    assert errors[7][0] == "lng" and "经度" in errors[7][1]


def test_imported_rows_hang_in_the_tree(cangzhou):
    actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=SYSTEM)
    grid = region("130903101001001")
    assert grid.path == "/130900/130903/130903101/130903101001/130903101001001/"
    assert [a.key for a in grid.ancestors()] == ["130900", "130903", "130903101", "130903101001"]
    street = region("130903101")
    assert (street.centroid_lng, street.centroid_lat) == (116.84, 38.30)
    assert street.source == "导入文件：streets.csv"


def test_children_may_come_before_their_parents_in_the_file(cangzhou):
    text = "code,name,level,parent_key\n130903101001,社区,community,130903101\n130903101,街道,township,130903\n"
    report = actions.import_divisions(_upload(text, "reversed.csv"), actor=SYSTEM)
    assert report.errors == [] and report.created == 2


def test_a_child_of_a_rejected_row_says_why(cangzhou):
    text = "code,name,level,parent_key\n130903101,街道,town,130903\n130903101001,社区,community,130903101\n"
    report = actions.import_divisions(_upload(text, "chain.csv"), actor=SYSTEM)
    assert "所在行有误" in _errors(report)[3][1]


def test_a_level_cannot_hang_under_a_deeper_one(cangzhou):
    text = "code,name,level,parent_key\n130903101,街道,township,130903\n130903102,街道二,township,130903101\n"
    report = actions.import_divisions(_upload(text, "levels.csv"), actor=SYSTEM)
    assert _errors(report)[3][0] == "level"


def test_importing_the_same_file_twice_changes_nothing(cangzhou):
    actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=SYSTEM)
    report = actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=SYSTEM)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_a_code_held_by_another_region_is_a_duplicate(cangzhou):
    text = "key,code,name,level,parent_key\nX1,130903,冒用代码,township,130903\n"
    report = actions.import_divisions(_upload(text, "dup.csv"), actor=SYSTEM)
    assert _errors(report)[2][0] == "code"


def test_gb18030_spreadsheet_exports_are_read(cangzhou):
    text = "code,name,level,parent_key\n130903101,水月寺街道,township,130903\n"
    file = io.BytesIO(text.encode("gb18030"))
    file.name = "excel.csv"
    actions.import_divisions(file, actor=SYSTEM)
    assert region("130903101").name == "水月寺街道"


def _square(west, south, size=0.01):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


def _feature(code, name, level, parent, geometry):
    return {"type": "Feature", "properties": {"code": code, "name": name, "level": level, "parent": parent},
            "geometry": geometry}


def test_geojson_import_checks_geometries(cangzhou):
    bow_tie = {"type": "Polygon", "coordinates": [[[116.80, 38.30], [116.81, 38.31], [116.81, 38.30],
                                                   [116.80, 38.31], [116.80, 38.30]]]}
    collection = {"type": "FeatureCollection", "features": [
        _feature("130903101", "街道", "township", "130903", _square(116.80, 38.30)),
        _feature("130903102", "自相交街道", "township", "130903", bow_tie),
        _feature("130903103", "线状街道", "township", "130903", {"type": "LineString", "coordinates": [[116.8, 38.3], [116.9, 38.4]]}),
        _feature("130903101001", "社区", "community", "130903101", _square(116.80, 38.30, 0.005)),
        _feature("130903104", "投影坐标街道", "township", "130903", _square(500_000, 4_240_000, 500)),
    ]}
    report = actions.import_divisions(_upload(json.dumps(collection), "streets.geojson"), actor=SYSTEM)
    assert report.created == 2
    errors = _errors(report)
    assert errors[2][0] == "geometry" and "自相交" in errors[2][1]
    assert errors[3][0] == "geometry" and "LineString" in errors[3][1]
    assert errors[5][0] == "geometry" and "经纬度" in errors[5][1]
    street = region("130903101")
    assert street.boundary["type"] == "Polygon"
    assert street.area_km2 == pytest.approx(0.0001 * 111.195 ** 2 * 0.7846, rel=0.01)  # cos(38.305°)


def test_a_file_that_is_not_geojson_is_a_file_error(cangzhou):
    with pytest.raises(ValidationError) as raised:
        actions.import_divisions(_upload('{"type": "Feature"}', "one.geojson"), actor=SYSTEM)
    assert "file" in raised.value.message_dict


def test_a_csv_without_the_needed_columns_is_a_file_error(cangzhou):
    with pytest.raises(ValidationError) as raised:
        actions.import_divisions(_upload("编码,名称\n130903101,街道\n", "wrong.csv"), actor=SYSTEM)
    assert "key/code" in raised.value.message_dict["file"][0]


def test_import_writes_one_summary_audit_record(cangzhou):
    before = set(AuditRecord.objects.values_list("pk", flat=True))
    actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=SYSTEM)
    # The new record by difference: unsealed records have no seq yet, and PostgreSQL sorts NULLs first.
    [entry] = AuditRecord.objects.exclude(pk__in=before)
    assert entry.action == "regions.import_divisions"
    assert entry.after["file"] == "streets.csv"
    assert entry.after["created"] == 3 and entry.after["rejected"] == 4
    assert entry.after["rejected_lines"] == [4, 5, 6, 7]


def test_a_user_needs_the_import_permission(cangzhou, make_user):
    with pytest.raises(PermissionDenied):
        actions.import_divisions(_upload(GOOD_AND_BAD_CSV, "streets.csv"), actor=make_user("clerk"))


def test_a_county_officer_imports_only_under_their_county(cangzhou, make_user):
    officer = make_user("yunhe", permissions=("regions.import_region",), region_key="130903")
    text = "code,name,level,parent_key\n130903101,运河街道,township,130903\n130902101,新华街道,township,130902\n"
    report = actions.import_divisions(_upload(text, "two.csv"), actor=officer)
    assert report.created == 1
    # Outside the scope reads as absent, as in the API.
    assert "不存在" in _errors(report)[3][1]
    assert not Region.objects.filter(key="130902101").exists()
    assert AuditRecord.objects.order_by("-id").first().actor_id == officer.pk


def test_load_divisions_command_imports_a_file(cangzhou, tmp_path, capsys):
    path = tmp_path / "streets.csv"
    path.write_text(GOOD_AND_BAD_CSV, encoding="utf-8")
    call_command("load_divisions", str(path))
    output = capsys.readouterr()
    assert "新增 3" in output.out
    assert "第 4 行 parent_key" in output.err
    assert Region.objects.filter(level=Level.GRID).count() == 1
    assert AuditRecord.objects.order_by("-id").first().channel == "cli"
