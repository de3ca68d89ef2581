"""Imports and exports of the identity registers, as audited actions.

An import checks the whole file first (size, type, encoding, required columns) and refuses it
before anything is stored. It then cleans row by row, keeps the good rows and stores them in
batches through the register's bulk actions (one audit record per batch), and reports every
rejected row with its line, field and reason. Duplicates are looked up with one query per batch.
"""
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import actor_label, record
from bohai.kernel.audit.service import service_action

from bohai.kernel.jobs.registry import enqueue

from . import storage
from .importers import Importer, importer_for
from .models import ImportRun, ImportStatus
from .sources import UPLOAD_LIMIT, FileRefused, InspectedFile, inspect_file, read_rows

BATCH_SIZE = 2000
MAX_STORED_ERRORS = 20_000
IMPORT_JOB = "transfer.import_file"
# Larger uploads are imported by a background job, so that the request returns at once.
INLINE_IMPORT_BYTES = 2 * 1024 * 1024


@dataclass
class RowError:
    line: int
    field: str
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Tally:
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False

    def reject(self, error: RowError) -> None:
        self.rejected_lines.add(error.line)
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)
        else:
            self.errors_truncated = True


@dataclass(frozen=True)
class CheckedFile:
    importer: Importer
    inspected: InspectedFile
    positions: dict[str, int]  # field -> column
    header: list[str]


def check_file(kind: str, stream, *, actor, max_bytes=UPLOAD_LIMIT) -> CheckedFile:
    """Everything that can refuse a whole file: size, type, encoding, required columns (FileRefused)."""
    importer = importer_for(kind, actor)
    inspected = inspect_file(stream, max_bytes)
    with closing(read_rows(stream, inspected)) as rows:
        first = next(rows, None)
    if first is None:
        raise FileRefused(_("文件中没有内容"))
    _line, header = first
    return CheckedFile(importer, inspected, importer.map_header(header), header)


def import_file(kind: str, stream, *, actor, file_name: str, batch_size: int = BATCH_SIZE,
                progress: Callable[[int], None] | None = None, max_bytes=UPLOAD_LIMIT) -> ImportRun:
    """Import a CSV or XLSX file of persons or entities now; raises FileRefused before storing anything.

    The upload size limit applies unless `max_bytes` says otherwise (None: the CLI's own files).
    """
    checked = check_file(kind, stream, actor=actor, max_bytes=max_bytes)
    run = start_import(actor=actor, kind=kind, file_name=file_name, inspected=checked.inspected)
    return import_rows(run, checked, stream, actor=actor, batch_size=batch_size, progress=progress)


def import_upload(kind: str, upload, *, actor) -> ImportRun:
    """An uploaded file: imported now when small, else checked now and imported by a background job."""
    if upload.size > INLINE_IMPORT_BYTES:
        return queue_import(kind, upload.file, actor=actor, file_name=upload.name)
    return import_file(kind, upload.file, actor=actor, file_name=upload.name)


def import_rows(run: ImportRun, checked: CheckedFile, stream, *, actor, batch_size: int = BATCH_SIZE,
                progress: Callable[[int], None] | None = None) -> ImportRun:
    """Clean and store the rows of a checked file into `run`; the run ends succeeded or failed."""
    tally = Tally()
    try:
        with closing(read_rows(stream, checked.inspected)) as rows:
            next(rows)  # the header
            _RowImport(run, checked, tally, actor=actor, batch_size=batch_size, progress=progress).import_all(rows)
    except Exception as error:
        finish_import(run, tally, actor=actor, failure=str(error) or error.__class__.__name__)
        raise
    return finish_import(run, tally, actor=actor)


class _RowImport:
    """One pass over a file's rows: clean each, catch duplicates, store good rows batch by batch."""

    def __init__(self, run, checked: CheckedFile, tally: Tally, *, actor, batch_size, progress):
        self.run, self.importer, self.tally = run, checked.importer, tally
        self.positions = checked.positions
        self.columns = {field_name: checked.header[i] for field_name, i in checked.positions.items()}
        self.actor, self.batch_size, self.progress = actor, batch_size, progress
        self.seen: dict[str, int] = {}  # key -> first line
        self.pending: list[tuple[int, str, object]] = []

    def import_all(self, rows) -> None:
        for line, cells in rows:
            self.tally.total += 1
            self.take(line, {f: (cells[i] if i < len(cells) else "") for f, i in self.positions.items()})
            if len(self.pending) >= self.batch_size:
                self.flush()
        self.flush()

    def take(self, line: int, values: dict) -> None:
        try:
            cleaned = self.importer.clean(values)
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                self.reject(line, field_name, values.get(field_name, ""), "；".join(messages))
            return
        key = self.importer.key(cleaned)
        if key in self.seen:
            self.tally.duplicates += 1
            self.reject(line, self.importer.key_field, values.get(self.importer.key_field, ""),
                        _("与第 %(line)d 行重复") % {"line": self.seen[key]})
            return
        self.seen[key] = line
        self.pending.append((line, key, cleaned))

    def flush(self) -> None:
        """Store the batch's rows not registered yet. A row registered meanwhile by someone else makes
        the batch fail on the unique index, so the check is repeated once."""
        if not self.pending:
            return
        for attempt in (1, 2):
            registered = self.importer.existing([key for _line, key, _record in self.pending])
            fresh = [cleaned for _line, key, cleaned in self.pending if key not in registered]
            try:
                if fresh:
                    self.tally.imported += store_batch(self.run, self.importer, fresh, actor=self.actor)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        for line, key, cleaned in self.pending:
            if key in registered:
                self.tally.duplicates += 1
                self.reject(line, self.importer.key_field, self.importer.shown_key(cleaned),
                            str(self.importer.duplicate_in_register))
        if self.progress is not None:
            self.progress(len(self.pending))
        self.pending = []

    def reject(self, line: int, field_name: str, value: str, reason: str) -> None:
        importer = self.importer
        raw = (value or "").strip()
        # Validators quote the offending value in their message; personal values must not stay readable there.
        for shown in {raw, "".join(raw.split()).replace("-", "")} - {""}:
            reason = reason.replace(shown, importer.masked(field_name, shown))
        column = self.columns.get(field_name) or importer.label(field_name)
        self.tally.reject(RowError(line, field_name, column, importer.masked(field_name, raw), reason))


@service_action
def start_import(*, actor, kind: str, file_name: str, inspected: InspectedFile,
                 status: str = ImportStatus.RUNNING) -> ImportRun:
    run = ImportRun.objects.create(
        kind=kind, file_name=file_name[:255], file_format=inspected.file_format, file_size=inspected.size,
        digest=inspected.digest, actor=_user_or_none(actor), actor_label=actor_label(actor)[:150], status=status,
    )
    record(actor=actor, action="transfer.import.start", target=run,
           after={"kind": kind, "file_name": run.file_name, "digest": run.digest, "size": run.file_size,
                  "status": status})
    return run


@service_action
def queue_import(kind: str, stream, *, actor, file_name: str) -> ImportRun:
    """Check the file now, keep it encrypted and leave the rows to a background job (large files)."""
    checked = check_file(kind, stream, actor=actor)
    run = start_import(actor=actor, kind=kind, file_name=file_name, inspected=checked.inspected,
                       status=ImportStatus.QUEUED)
    storage.keep(run, stream)
    enqueue(IMPORT_JOB, run_id=run.pk)
    return run


def run_queued_import(run_id: int) -> ImportRun | None:
    """The job's work: import the kept file as the user who uploaded it, then delete the file."""
    run = ImportRun.objects.select_related("actor").filter(pk=run_id, status=ImportStatus.QUEUED).first()
    if run is None:  # already taken up, or finished
        return None
    actor = run.actor or run.actor_label
    try:
        stream = storage.open_kept(run)
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, updated_at=timezone.now())
        return import_rows(run, check_file(run.kind, stream, actor=actor), stream, actor=actor)
    except FileRefused as refused:
        return finish_import(run, Tally(), actor=actor, failure=refused.reason)
    finally:
        storage.discard(run)


@service_action
def store_batch(run: ImportRun, importer: Importer, records: list, *, actor) -> int:
    """Store one batch of clean, new records (the bulk action writes the batch's audit record)."""
    stored = importer.store(records, actor=actor, source=f"import #{run.pk} {run.file_name}")
    ImportRun.objects.filter(pk=run.pk).update(imported_count=F("imported_count") + stored, updated_at=timezone.now())
    return stored


@service_action
def finish_import(run: ImportRun, tally: Tally, *, actor, failure: str = "") -> ImportRun:
    run.total_rows = tally.total
    run.imported_count = tally.imported
    run.rejected_count = len(tally.rejected_lines)
    run.duplicate_count = tally.duplicates
    run.errors = [error.as_dict() for error in sorted(tally.errors, key=lambda error: error.line)]
    run.errors_truncated = tally.errors_truncated
    run.failure = failure[:2000]
    run.status = ImportStatus.FAILED if failure else ImportStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    record(actor=actor, action="transfer.import.finish", target=run,
           after={"status": run.status, "total": run.total_rows, "imported": run.imported_count,
                  "rejected": run.rejected_count, "duplicates": run.duplicate_count, "failure": run.failure})
    return run


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) and not isinstance(actor, str) else None
