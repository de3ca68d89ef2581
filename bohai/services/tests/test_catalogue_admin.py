"""Administrators keep the catalogue: every change is checked and audited."""
import pytest
from django.core.exceptions import ValidationError

from bohai.kernel.audit.models import AuditRecord
from bohai.services.actions.catalogue import save_item


def test_a_bad_workflow_is_refused(catalogue):
    item = catalogue["employment"]
    item.workflow = {"stages": [{"key": "accept", "name": "受理", "role": "window_clerk"}]}
    with pytest.raises(ValidationError) as error:
        save_item(item, actor="test")
    assert "workflow.stages[0].days" in error.value.message_dict


def test_a_change_is_audited_and_searchable(catalogue):
    item = catalogue["employment"]
    item.keywords = "找工作 上班 灵活就业"
    save_item(item, actor="test")
    item.refresh_from_db()
    assert "灵活就业" in item.search_text
    assert AuditRecord.objects.filter(action="services.item.save").exists()


def test_promised_cannot_exceed_statutory(catalogue):
    item = catalogue["employment"]
    item.promised_days = item.statutory_days + 1
    with pytest.raises(ValidationError):
        save_item(item, actor="test")


def test_admin_page_saves_through_the_action(catalogue, make_staff, cangzhou):
    from bohai.testing.fixtures import signed_in_client

    admin = make_staff("platform_admin", cangzhou["city"], superuser=True)
    admin.is_staff = True
    admin.save()
    client = signed_in_client(admin)
    item = catalogue["employment"]
    response = client.get(f"/admin/services/serviceitem/{item.pk}/change/")
    assert response.status_code == 200
