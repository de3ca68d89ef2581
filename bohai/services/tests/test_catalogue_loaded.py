"""The shipped catalogue loads, every item's workflow builds, and registration items create the business."""
import pytest

from bohai.kernel.identities.models import LegalEntity
from bohai.licenses.models import License
from bohai.services import actions
from bohai.services.models import ServiceItem, Status
from bohai.services.processes import decision_stage, process_for
from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.testing.fixtures import organisation_in

from .conftest import at


@pytest.fixture
def shipped(catalogue):
    actions.load_catalogue(actor="test")
    return ServiceItem.objects.exclude(code__startswith="TEST-")


def test_every_item_loads_with_a_process_that_fits_its_limit(shipped):
    assert shipped.count() >= 60
    assert len(set(shipped.values_list("department", flat=True))) >= 15
    for item in shipped:
        process = process_for(item)
        assert process.days <= max(item.statutory_days, 0) or item.workflow, item.name
        assert process.stages[0].key == "accept", item.name
        decision_stage(process)


def test_loading_twice_adds_nothing(shipped):
    assert actions.load_catalogue(actor="test") == {"items": 0}


def test_search_text_holds_name_keywords_and_life_events(shipped):
    assert ServiceItem.objects.filter(search_text__contains="开饭店").exists() or \
        ServiceItem.objects.filter(search_text__contains="餐饮").exists()
    assert ServiceItem.objects.filter(search_text__contains="出生").exists()


def test_individual_business_registration_creates_the_business(shipped, resident, cangzhou, staff, catalogue):
    item = shipped.get(name="个体工商户设立登记")
    organisation_in(cangzhou["cang"], item.department)
    person = resident.person
    form = {"applicant_name": person.name, "applicant_id_number": person.id_number, "applicant_phone": "13812345678",
            "business_name": "沧县张明小吃店", "organisation_form": "个人经营", "premises": "沧县旧州镇中心街 8 号",
            "premises_region": cangzhou["township"].key, "business_scope": "小吃服务", "employees": "2", "capital": "5"}
    uploads = _uploads_for(item)
    application = actions.submit_application(item, actor=resident, applicant_person=person, form_data=form,
                                             uploads=uploads, at=at("2026-11-02T09:00"))
    instance_tasks = lambda: WorkflowTask.objects.filter(instance_id=application.workflow_id, status=TaskStatus.OPEN)
    for _round in range(10):
        open_tasks = list(instance_tasks())
        if not open_tasks:
            break
        for task in open_tasks:
            application = actions.handle_step(application, task, outcome="approve", actor="system:test",
                                              at=at("2026-11-03T10:00"))
    assert application.status == Status.COMPLETED
    business = LegalEntity.objects.get(name="沧县张明小吃店")
    assert business.credit_code.startswith("92130921MA")
    assert License.objects.get(number=application.license_number).holder_entity == business


def _uploads_for(item):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PNG

    return {m.code: SimpleUploadedFile(f"{m.code}.png", PNG) for m in item.materials.filter(requirement="required")}
