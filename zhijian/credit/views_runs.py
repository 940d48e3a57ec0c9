"""Grading-run pages: the runs list, starting a run (a background task), a run with its progress.

Starting needs the ``add`` permission on grading runs (province administrators); the list and the
run pages need ``view`` (staff). The run page polls its status with HTMX every second while the
run is queued or running, like the import pages.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from zhijian.core.tables import BaseTable
from zhijian.core.views import ObjectDetailView, ObjectListView, ScopedObjectMixin
from zhijian.registry.filtersets import SearchFilterSet

from . import jobs
from .models import GradingRun


class GradingRunFilterSet(SearchFilterSet):
    search_fields = ("method__version", "snapshot_sha256__startswith")
    status = django_filters.ChoiceFilter(choices=GradingRun.Status.choices, label=_("status"))
    trigger = django_filters.ChoiceFilter(choices=GradingRun._meta.get_field("trigger").choices,
                                          label=_("started by"))
    engine = django_filters.ChoiceFilter(choices=[(e, e) for e in jobs.ENGINES], label=_("engine"))

    class Meta:
        model = GradingRun
        fields = ["status", "trigger", "engine"]


class GradingRunTable(BaseTable):
    id = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="#")
    as_of = tables.DateColumn(linkify=lambda record: record.get_absolute_url())
    status = tables.Column()
    trigger = tables.Column()
    user = tables.Column()
    engine = tables.Column()
    method = tables.Column()
    started = tables.DateTimeColumn(format="Y-m-d H:i")
    duration_s = tables.Column()
    grade_count = tables.Column()

    class Meta(BaseTable.Meta):
        model = GradingRun
        fields = ("id", "as_of", "status", "trigger", "user", "engine", "method", "started", "duration_s",
                  "grade_count")


class GradingRunListView(ObjectListView):
    model = GradingRun
    queryset = GradingRun.objects.select_related("method", "user")
    filterset_class = GradingRunFilterSet
    table_class = GradingRunTable
    template_name = "credit/run_list.html"
    filter_fields = ("status", "trigger", "engine")

    def get_extra_context(self) -> dict:
        return {"can_start": self.can("add"), "active": jobs.active_run()}


def _progress_context(run: GradingRun) -> dict:
    progress = jobs.read_progress(run)
    total = progress.get("total") or 0
    return {"progress": progress, "active": run.status in jobs.ACTIVE,
            "percent": int(100 * progress.get("done", 0) / total) if total else 0}


class GradingRunDetailView(ObjectDetailView):
    model = GradingRun
    queryset = GradingRun.objects.select_related("method", "user")
    template_name = "credit/run_detail.html"
    detail_fields = ("method", "engine", "as_of", "trigger", "user", "started", "finished")

    def get(self, request, pk):
        if getattr(request, "htmx", False) and request.GET.get("partial"):
            run = self.get_object(pk)
            return render(request, "credit/run_status.html", {"object": run, **_progress_context(run)})
        return super().get(request, pk)

    def get_extra_context(self, obj) -> dict:
        return _progress_context(obj)


class StartRunForm(forms.Form):
    engine = forms.ChoiceField(label=_("Engine"), initial="duckdb",
                               choices=[("duckdb", _("DuckDB (on this server)")),
                                        ("spark", _("Spark (PySpark)"))])
    as_of = forms.DateField(label=_("Grade as of"), widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Events after this date are not counted."))

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise ValidationError(_("The grading date cannot be in the future."))
        return as_of


class GradingRunStartView(ScopedObjectMixin, View):
    """``credit:gradingrun_start``: choose engine and date; the run is queued for the worker."""

    model = GradingRun
    action = "add"
    template_name = "credit/run_start.html"

    def render_form(self, form, status=200):
        return render(self.request, self.template_name,
                      {**self.model_context(), "form": form, "active": jobs.active_run()}, status=status)

    def get(self, request):
        return self.render_form(StartRunForm(initial={"as_of": timezone.localdate()}))

    def post(self, request):
        from .tasks import run_grading_task

        form = StartRunForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            run = jobs.start_run(as_of=form.cleaned_data["as_of"], engine=form.cleaned_data["engine"],
                                 trigger="web", user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_form(form, status=409)
        try:
            run_grading_task.enqueue(run.pk)
        except Exception as exc:  # the queue is unreachable: the run must not block the next one
            run.status, run.finished = GradingRun.Status.FAILED, timezone.now()
            run.message = f"could not queue the run: {type(exc).__name__}: {exc}"[:2000]
            run.save()
            raise
        return redirect(run.get_absolute_url())
