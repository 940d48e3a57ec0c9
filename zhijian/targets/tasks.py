"""Background tasks of targets (django-tasks; ``manage.py db_worker`` runs them)."""
from django_tasks import task


@task()
def build_quality_report_task(report_id: int) -> dict:
    """Build a quality-status report requested on the page or by the schedule."""
    from zhijian.core.context import change_context

    from .models import QualityReport
    from .report.jobs import execute

    report = QualityReport.objects.select_related("requested_by").get(pk=report_id)
    with change_context(user=report.requested_by, source="job"):
        report = execute(report_id)
    return {"report": report.pk, "status": report.status, "charts": report.chart_count}
