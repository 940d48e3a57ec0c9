"""Import jobs: create one for an uploaded (or command-line) file and run it.

A job runs once to completion: the import is a single transaction, so a run
that dies writes nothing and the job can simply be run again (the background
worker may retry it). While it runs, progress is written to a small JSON file
next to the uploads (``MEDIA_ROOT/imports/progress/<id>.json``): the import's
transaction keeps its own database writes invisible until it commits, so the
job row cannot carry live progress.
"""
from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone

from .context import change_context
from .importing import ImportResult, ProgressCallback, get_importer, write_errors_csv
from .models import ImportJob

logger = logging.getLogger(__name__)
PREVIEW_ERRORS = 200


def create_job(importer: str, file, *, user=None, mode: str = "create", file_name: str | None = None,
               source: str = "web", encoding: str = "") -> ImportJob:
    """Store the file and create a pending job. ``file``: a path or a Django ``File``."""
    cls = get_importer(importer)
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        file_name = file_name or path.name
        with open(path, "rb") as fh:
            return _create(cls, File(fh, name=path.name), user, mode, file_name, source, encoding)
    file_name = file_name or Path(getattr(file, "name", "upload")).name
    return _create(cls, file, user, mode, file_name, source, encoding)


def _create(cls, file, user, mode, file_name, source, encoding) -> ImportJob:
    job = ImportJob(user=user, importer=cls.name, model=cls.object_type(), mode=mode,
                    source=source, file_name=file_name[:255], encoding=encoding or "")
    job.file.save(Path(file_name).name or "upload.csv", file, save=False)
    job.save()
    return job


def progress_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job.pk}.json"


def read_progress(job: ImportJob) -> dict:
    """``{"phase", "done", "total"}`` of a running job (from its progress file)."""
    if job.is_finished:
        return {"phase": "finished", "done": job.processed, "total": job.total}
    try:
        return json.loads(progress_path(job).read_text())
    except (OSError, ValueError):
        return {"phase": job.status, "done": job.processed, "total": job.total}


def _progress_writer(job: ImportJob, outer: ProgressCallback | None):
    path = progress_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    last = [0.0, ""]

    def callback(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase != last[1] or now - last[0] >= 0.5 or done == total:
            last[0], last[1] = now, phase
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
            os.replace(tmp, path)
        if outer:
            outer(phase, done, total)

    return callback


@contextmanager
def _local_path(job: ImportJob):
    try:
        yield job.file.path
    except NotImplementedError:  # a storage without local paths
        suffix = Path(job.file_name).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp, job.file.open("rb") as src:
            shutil.copyfileobj(src, tmp)
            tmp.flush()
            yield tmp.name


def process_job(job_id: int, progress: ProgressCallback | None = None) -> ImportResult | None:
    """Run a pending (or interrupted) job; a finished job is left as it is."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.is_finished:
        return None
    job.status = ImportJob.Status.RUNNING
    job.started = timezone.now()
    job.save(update_fields=["status", "started"])
    importer = get_importer(job.importer)(user=job.user, mode=job.mode)
    callback = _progress_writer(job, progress)
    try:
        with change_context(user=job.user, source=job.source if job.source == "cli" else "job"), \
                _local_path(job) as path:
            result = importer.run(path, job.file_name, encoding=job.encoding or None,
                                  progress=callback, job_id=job.pk)
    except Exception as exc:
        logger.exception("import job %s crashed", job.pk)
        job.status = ImportJob.Status.FAILED
        job.message = f"{type(exc).__name__}: {exc}"
        job.finished = timezone.now()
        job.save()
        progress_path(job).unlink(missing_ok=True)
        raise
    job.total = result.total
    job.encoding = result.encoding or job.encoding
    job.sha256 = result.sha256
    job.error_count = result.error_count
    job.created_count = result.created
    job.updated_count = result.updated
    job.first_id, job.last_id = result.first_id, result.last_id
    job.errors_preview = [e.as_dict() for e in result.errors[:PREVIEW_ERRORS]]
    if result.file_error is not None:
        job.message = result.file_error.message
    if result.errors:
        buf = io.BytesIO()
        write_errors_csv(result.errors, buf, importer.columns)
        job.errors_file.save(f"{Path(job.file_name).stem}.errors.csv", ContentFile(buf.getvalue()),
                             save=False)
    job.processed = result.total if result.ok else 0
    job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED
    job.finished = timezone.now()
    job.save()
    progress_path(job).unlink(missing_ok=True)
    return result
