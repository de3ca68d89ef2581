"""The admin pages render, and a rule saved there goes through the audited action."""
import pytest

from bohai.engines.alarms.evaluation import evaluate
from bohai.engines.alarms.models import Alarm, Rule
from bohai.kernel.audit.models import AuditRecord
from bohai.testing.fixtures import signed_in_client

from .conftest import KIND, T0, reading

pytestmark = pytest.mark.django_db


def test_admin_pages_and_a_rule_added_through_the_action(devices, make_staff, cangzhou):
    admin = signed_in_client(make_staff(None, cangzhou["city"], superuser=True))
    response = admin.post("/admin/alarms/rule/add/", {
        "name": "井盖倾斜", "subject_kind": KIND, "subject_type": "manhole_cover", "metric": "tilt", "kind": "above",
        "threshold": "15", "parts": "[]", "hysteresis": "0", "severity": "critical", "escalation_minutes": "15",
        "active": "on", "region": cangzhou["city"].pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = Rule.objects.get()
    assert AuditRecord.objects.filter(action="alarms.rule.create", target_id=str(rule.pk)).exists()
    evaluate([reading(7, "tilt", 30)], now=T0)  # the admin's change reached this process's rules at once
    alarm = Alarm.objects.get()
    for path in ("/admin/alarms/rule/", f"/admin/alarms/rule/{rule.pk}/change/", "/admin/alarms/alarm/",
                 f"/admin/alarms/alarm/{alarm.pk}/change/", "/admin/alarms/dutyshift/", "/admin/alarms/dutyshift/add/",
                 "/admin/alarms/subjectmetricstate/"):
        assert admin.get(path).status_code == 200, path


def test_a_rule_changed_in_the_admin_is_audited(devices, make_staff, cangzhou):
    from bohai.engines.alarms.actions import create_rule

    rule = create_rule(actor="test", name="水压过低", subject_kind=KIND, metric="pressure", kind="below", threshold=0.2,
                       region=cangzhou["city"])
    admin = signed_in_client(make_staff(None, cangzhou["city"], superuser=True))
    response = admin.post(f"/admin/alarms/rule/{rule.pk}/change/", {
        "name": "水压过低", "subject_kind": KIND, "subject_type": "", "metric": "pressure", "kind": "below",
        "threshold": "0.15", "parts": "[]", "hysteresis": "0.02", "severity": "major", "escalation_minutes": "10",
        "active": "on", "region": cangzhou["city"].pk})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.severity) == (0.15, "major")
    changed = AuditRecord.objects.get(action="alarms.rule.update", target_id=str(rule.pk))
    assert changed.after["threshold"] == 0.15
