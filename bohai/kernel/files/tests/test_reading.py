"""Reading stored files back: verified against their digest, served with their detected type only."""
import logging
import os
import time
from datetime import timedelta

import pytest

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.files import storage
from bohai.kernel.files.actions import remove_orphan_files, store_upload
from bohai.kernel.files.jobs import remove_orphans
from bohai.kernel.files.models import StoredFile
from bohai.kernel.files.reading import StoredFileMissing, StoredFileTampered, file_response, open_stored
from bohai.kernel.jobs.registry import registry

pytestmark = pytest.mark.django_db


def test_open_stored_gives_the_content(pdf):
    stored = store_upload(pdf, name="a.pdf", actor="test")
    with open_stored(stored) as handle:
        assert handle.read() == pdf


def test_a_file_changed_on_disk_is_refused_and_logged(pdf, caplog):
    stored = store_upload(pdf, name="a.pdf", actor="test")
    path = storage.path_for(stored.digest)
    path.write_bytes(pdf.replace(b"/MediaBox", b"/MediaBoX"))  # same size, other content

    with caplog.at_level(logging.ERROR, logger="bohai.files"), pytest.raises(StoredFileTampered, match="篡改"):
        open_stored(stored)
    assert f"stored file {stored.digest}" in caplog.text and "altered" in caplog.text


def test_a_missing_file_is_reported_and_logged(pdf, caplog):
    stored = store_upload(pdf, name="a.pdf", actor="test")
    storage.path_for(stored.digest).unlink()

    with caplog.at_level(logging.ERROR, logger="bohai.files"), pytest.raises(StoredFileMissing, match="不存在"):
        open_stored(stored)
    assert "missing" in caplog.text


def test_file_response_sends_the_detected_type_and_forbids_sniffing(png):
    stored = store_upload(png, name="现场照片.pdf", actor="test")  # a PNG whatever its name says
    response = file_response(stored)

    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.pdf.png" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == png
    response.close()


def test_file_response_inline_with_a_chosen_name(pdf):
    stored = store_upload(pdf, name="a.pdf", actor="test")
    response = file_response(stored, download_name="营业执照.pdf", as_attachment=False)
    assert response["Content-Disposition"].startswith("inline")
    assert "filename*=utf-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf" in response["Content-Disposition"]
    response.close()


def age(path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_orphans_and_crashed_writes_older_than_a_day_are_removed(pdf, png, jpeg):
    kept = store_upload(pdf, name="kept.pdf", actor="test")
    old_orphan = store_upload(png, name="old.png", actor="test")
    young_orphan = store_upload(jpeg, name="young.jpg", actor="test")
    StoredFile.objects.filter(pk__in=[old_orphan.pk, young_orphan.pk]).delete()  # as if their rows never committed
    crashed = storage.path_for(kept.digest).with_name(storage.TEMP_PREFIX + "crashed")
    crashed.write_bytes(b"half")
    for path in (storage.path_for(kept.digest), storage.path_for(old_orphan.digest), crashed):
        age(path, days=2)

    assert remove_orphan_files(actor="test") == {"removed": 1, "temporary": 1}

    assert storage.path_for(kept.digest).exists() and storage.path_for(young_orphan.digest).exists()
    assert not storage.path_for(old_orphan.digest).exists() and not crashed.exists()
    assert AuditRecord.objects.get(action="files.remove_orphans").after["removed"] == 1


def test_the_clean_up_is_a_periodic_job_that_records_nothing_when_there_is_nothing_to_do(pdf):
    store_upload(pdf, name="a.pdf", actor="test")
    definition = registry.get("files.remove_orphans")
    assert definition.every == timedelta(hours=6)
    assert remove_orphans() == {"removed": 0, "temporary": 0}
    assert not AuditRecord.objects.filter(action="files.remove_orphans").exists()


def test_an_upload_of_an_old_orphans_content_makes_it_young_again(png):
    orphan = store_upload(png, name="a.png", actor="test")
    StoredFile.objects.filter(pk=orphan.pk).delete()
    age(storage.path_for(orphan.digest), days=2)

    store_upload(png, name="again.png", actor="test")

    assert remove_orphan_files(actor="test")["removed"] == 0
    assert storage.path_for(orphan.digest).exists()
