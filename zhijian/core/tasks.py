"""Background tasks of the core package (django-tasks; ``manage.py db_worker`` runs them)."""
from django_tasks import task


@task()
def run_import_job(job_id: int) -> dict:
    """Run an import job created by the import page."""
    from .jobs import process_job

    result = process_job(job_id)
    if result is None:
        return {"job": job_id, "skipped": True}
    return {"job": job_id, "ok": result.ok, "rows": result.total, "errors": result.error_count,
            "created": result.created, "updated": result.updated}
