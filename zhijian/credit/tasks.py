"""Background tasks of quality credit (django-tasks; ``manage.py db_worker`` runs them)."""
from django_tasks import task


@task()
def run_grading_task(run_id: int) -> dict:
    """Run a grading run queued by the runs page or the monthly schedule."""
    from zhijian.core.context import change_context

    from .jobs import execute_run
    from .models import GradingRun

    run = GradingRun.objects.select_related("user").get(pk=run_id)
    with change_context(user=run.user, source="job"):
        run = execute_run(run_id)
    return {"run": run.pk, "status": run.status, "grades": run.grade_count}

