"""The duty roster page: a department head puts their staff on duty; the first alarm notice goes to them."""
from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.engines.alarms.models import DutyShift
from bohai.engines.alarms.recipients import on_duty
from bohai.kernel.audit.models import AuditRecord

pytestmark = pytest.mark.django_db

ROSTER = "/work/iot/duty/"


@pytest.fixture
def water(iot_city, make_staff, client_for):
    """沧县 water department: its head (signed in) and two of its staff; 青县's water department and one of its staff."""
    unit, other = iot_city["units"]["water"], iot_city["units"]["qing_water"]
    head = make_staff("department_head", iot_city["cang"], organisation=unit)
    return {"unit": unit, "other": other, "head": client_for(head), "head_user": head,
            "staff": [make_staff(None, iot_city["cang"], organisation=unit) for _ in range(2)],
            "stranger": make_staff(None, iot_city["qing"], organisation=other),
            "other_head": client_for(make_staff("department_head", iot_city["qing"], organisation=other))}


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def shift_form(unit, user, starts_at, hours=12, days=1) -> dict:
    return {"organisation": unit.pk, "user": user.pk, "starts_at": local(starts_at),
            "ends_at": local(starts_at + timedelta(hours=hours)), "days": days}


def test_a_head_rosters_a_week_and_the_person_on_duty_hears_of_alarms(water):
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    response = water["head"].post(ROSTER, shift_form(water["unit"], water["staff"][0], start, days=7), follow=True)
    assert "已排班 7 个班次" in response.content.decode()
    shifts = DutyShift.objects.filter(user=water["staff"][0]).order_by("starts_at")
    assert shifts.count() == 7
    assert shifts[6].starts_at - shifts[0].starts_at == timedelta(days=6)
    assert on_duty(water["unit"].pk, timezone.now()) == [water["staff"][0].pk]
    assert AuditRecord.objects.filter(action="alarms.duty.add").count() == 7
    page = response.content.decode()
    assert page.count('data-shift="') == 7 and "在岗" in page


def test_bad_shifts_are_refused_field_by_field_and_nothing_is_kept(water):
    start = timezone.now() + timedelta(days=1)
    backwards = {**shift_form(water["unit"], water["staff"][0], start), "ends_at": local(start - timedelta(hours=1))}
    response = water["head"].post(ROSTER, backwards)
    assert response.status_code == 422 and "结束时间须晚于开始时间" in response.content.decode()

    # someone of another county's department is not even offered: the choice is invalid
    response = water["head"].post(ROSTER, shift_form(water["unit"], water["stranger"], start))
    assert response.status_code == 422 and 'id="id_user"' in response.content.decode()

    water["head"].post(ROSTER, shift_form(water["unit"], water["staff"][1], start))
    response = water["head"].post(ROSTER, shift_form(water["unit"], water["staff"][1], start + timedelta(hours=2), days=3))
    assert response.status_code == 422 and "已有值班安排" in response.content.decode()
    assert DutyShift.objects.count() == 1  # the three-day roster was refused as a whole


def test_another_countys_head_neither_sees_nor_cancels_the_shift(water):
    start = timezone.now() + timedelta(days=1)
    water["head"].post(ROSTER, shift_form(water["unit"], water["staff"][0], start))
    shift = DutyShift.objects.get()
    assert f'data-shift="{shift.pk}"' not in water["other_head"].get(ROSTER).content.decode()
    assert water["other_head"].post(f"/work/iot/duty/{shift.pk}/remove/").status_code == 404
    assert DutyShift.objects.filter(pk=shift.pk).exists()

    water["head"].post(f"/work/iot/duty/{shift.pk}/remove/")
    assert not DutyShift.objects.filter(pk=shift.pk).exists()
    assert AuditRecord.objects.filter(action="alarms.duty.remove").count() == 1


def test_staff_without_the_roster_permission_cannot_add(water, client_for):
    response = client_for(water["staff"][0]).post(ROSTER, shift_form(water["unit"], water["staff"][0], timezone.now()))
    assert response.status_code == 403
    assert not DutyShift.objects.exists()


def test_the_admin_changes_a_shift_through_the_same_checks_and_keeps_it_when_refused(water, iot_city, make_staff,
                                                                                  client_for):
    admin = client_for(make_staff(None, iot_city["city"], superuser=True))
    start = timezone.now() + timedelta(days=1)
    water["head"].post(ROSTER, shift_form(water["unit"], water["staff"][0], start))
    shift = DutyShift.objects.get()
    url = f"/admin/alarms/dutyshift/{shift.pk}/change/"
    fields = {"organisation": water["unit"].pk, "starts_at_0": timezone.localtime(start).strftime("%Y-%m-%d"),
              "starts_at_1": timezone.localtime(start).strftime("%H:%M:%S"),
              "ends_at_0": timezone.localtime(start + timedelta(hours=12)).strftime("%Y-%m-%d"),
              "ends_at_1": timezone.localtime(start + timedelta(hours=12)).strftime("%H:%M:%S")}

    refused = admin.post(url, {**fields, "user": water["stranger"].pk})
    assert refused.status_code == 200 and "不是" in refused.content.decode()
    assert DutyShift.objects.get().user == water["staff"][0]  # nothing removed on the way

    admin.post(url, {**fields, "user": water["staff"][1].pk})
    assert DutyShift.objects.get(pk=shift.pk).user == water["staff"][1]
    assert AuditRecord.objects.filter(action="alarms.duty.change").count() == 1
