"""List-page tables of the spot-check staff pages (django-tables2).

Every column that follows a relation has the relation in the view's queryset.
"""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable
from zhijian.registry.tables import EnterpriseFlagsMixin, FlaggedEnterpriseColumn

from . import models


class PlanTable(BaseTable):
    title = tables.Column(linkify=True)
    division = tables.Column(verbose_name=_("issuing division"))
    task_count = tables.Column(verbose_name=_("tasks"), orderable=False)

    class Meta(BaseTable.Meta):
        model = models.Plan
        fields = ("title", "kind", "year", "period", "division", "starts_on", "ends_on", "status",
                  "task_count")


class TaskTable(EnterpriseFlagsMixin, BaseTable):
    id = tables.Column(verbose_name=_("task"), linkify=True)
    enterprise = FlaggedEnterpriseColumn()  # with e.g. "serious-violation list" (registry hooks)
    plan = tables.Column(linkify=True)
    deadline = tables.Column(verbose_name=_("next deadline"), empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = models.Task
        fields = ("id", "plan", "enterprise", "category", "division", "lab", "status", "verdict",
                  "deadline", "published_on")

    def render_id(self, value, record):
        return f"{record.plan_id}-{value}"

    def render_verdict(self, value, record):
        return record.get_verdict_display() + (
            f" → {record.get_retest_verdict_display()}" if record.retest_verdict else "")

    def render_deadline(self, record):
        from .views import next_deadline

        found = next_deadline(record)
        if found is None:
            return "—"
        label, date = found
        return f"{label}: {date:%Y-%m-%d}"


class InspectorConflictTable(BaseTable):
    id = tables.Column(verbose_name=_("conflict"), linkify=True)
    inspector = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.InspectorConflict
        fields = ("id", "inspector", "enterprise", "reason", "created")

    def render_id(self, value, record):
        return f"#{value}"
