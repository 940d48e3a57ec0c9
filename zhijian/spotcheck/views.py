"""Spot-check staff pages: plans, commitment, draw, publication, tasks, dashboard, conflicts.

The list / detail / edit / delete pages are the generic scoped views of
``zhijian.core.views``. The workflow pages (commit, draw, publish, task steps,
publish result) find their object through ``restrict(user, "change")`` — an
object outside the user's scope is 404 — and hand the work to the services
(``drawing.py``, ``services.py``), which check state, role and scope again
inside their transaction and are audited. No page here decides scope by hand.

The draw's secret never reaches the server before the draw: the commit page
generates it in the browser (Web Crypto) and posts only its SHA-256.
"""
from __future__ import annotations

import datetime as dt
import json
import mimetypes

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from django.views import View
from django_tables2 import RequestConfig

from zhijian.core import views as generic
from zhijian.core.querysets import scope_q
from zhijian.core.scope import scope_for
from zhijian.registry.views import division_choices

from . import drawing, services
from .filtersets import InspectorConflictFilterSet, PlanFilterSet, TaskFilterSet
from .forms import (
    CommitForm,
    DrawForm,
    InspectorConflictForm,
    PlanForm,
    PlanLabFormSet,
    PublicValueForm,
    step_form,
)
from .models import Draw, InspectorConflict, Plan, PlanLab, Task, TaskAttachment
from .tables import InspectorConflictTable, PlanTable, TaskTable

T = Task.Status
UNQUALIFIED = Task.Verdict.UNQUALIFIED


def step_label(name: str) -> str:
    t = services.TRANSITIONS[name]
    return str(t.label or name)


def today() -> dt.date:
    return timezone.localdate()


def error_messages(exc: ValidationError) -> list[str]:
    """The messages of a ValidationError, field names included ("secret: …")."""
    if hasattr(exc, "error_dict"):
        out = []
        for field, errors in exc.message_dict.items():
            for message in errors:
                out.append(message if field == "__all__" else f"{field}: {message}")
        return out
    return list(exc.messages)


def next_deadline(task: Task) -> tuple[str, dt.date] | None:
    """The deadline that matters now for a task (label, date), or None."""
    if task.status == T.ASSIGNED:
        return _("sampling by"), task.plan.ends_on
    if task.status == T.NOTIFIED and task.verdict == UNQUALIFIED and task.objection_due:
        return _("re-inspection request due"), task.objection_due
    if task.status == T.RECTIFYING and task.rectification_due:
        return _("rectify by"), task.rectification_due
    if not task.published_on and task.publication_due and task.status not in (T.OBJECTION, T.NOT_SAMPLED):
        return _("publish by"), task.publication_due
    return None


class SpotcheckListView(generic.ObjectListView):
    url_namespace = "spotcheck"
    filter_labels = {"division": gettext_lazy("Division (and below)"), "q": gettext_lazy("Search")}

    def customize_filter_form(self, form):
        super().customize_filter_form(form)
        field = form.fields.get("division")
        if field is not None and "division" in self.filter_fields:
            form.fields["division"] = forms.ChoiceField(
                label=field.label, required=False, choices=division_choices(self.request.user))


# --------------------------------------------------------------------------- plans

PLAN_QS = Plan.objects.select_related("division")


class PlanListView(SpotcheckListView):
    model = Plan
    queryset = PLAN_QS.annotate(task_count=Count("tasks"))
    filterset_class = PlanFilterSet
    table_class = PlanTable
    filter_fields = ("kind", "year", "status", "division")


class PlanDetailView(generic.ObjectDetailView):
    model = Plan
    queryset = PLAN_QS.prefetch_related("categories", "scope_divisions")
    url_namespace = "spotcheck"
    template_name = "spotcheck/plan_detail.html"
    detail_fields = ("title", "kind", "year", "period", "starts_on", "ends_on", "division", "level",
                     "categories", "scope_divisions", "strata_level", "quota_mode", "quota_count",
                     "quota_ratio", "risk_weighting", "class_ratios", "inspectors_per_task", "status",
                     "notes")

    def get_extra_context(self, plan):
        user = self.request.user
        can_change = self.can("change") and Plan.objects.is_allowed(user, "change", plan)
        draft = plan.status == Plan.Status.DRAFT
        labs = {pl.category_id: pl.lab for pl in PlanLab.objects.filter(plan=plan).select_related("lab")}
        categories = [{"category": c, "lab": labs.get(c.pk)} for c in plan.categories.all()]
        draw = Draw.objects.restrict(user, "view").filter(plan=plan).first()
        tasks = (Task.objects.restrict(user, "view").filter(plan=plan)
                 .select_related("plan", "enterprise", "category", "division", "lab"))
        counts = dict(tasks.order_by().values_list("status").annotate(n=Count("id")))
        status_counts = [{"status": s, "label": label, "count": counts[s]}
                         for s, label in T.choices if counts.get(s)]
        table = TaskTable(tasks, exclude=("plan",))
        RequestConfig(self.request, paginate={"per_page": 50}).configure(table)
        return {
            "edit_url": reverse("spotcheck:plan_edit", args=[plan.pk]) if can_change and draft else None,
            "delete_url": (reverse("spotcheck:plan_delete", args=[plan.pk])
                           if draft and self.can("delete") and Plan.objects.is_allowed(user, "delete", plan)
                           else None),
            "commit_url": reverse("spotcheck:plan_commit", args=[plan.pk]) if can_change and draft else None,
            "draw_url": (reverse("spotcheck:plan_draw", args=[plan.pk])
                         if can_change and plan.status == Plan.Status.COMMITTED else None),
            "publish_url": (reverse("spotcheck:plan_publish", args=[plan.pk])
                            if can_change and plan.status == Plan.Status.DRAWN else None),
            "public_url": _public_plan_url(plan),
            "category_rows": categories,
            "draw": draw,
            "status_counts": status_counts,
            "task_total": sum(counts.values()),
            "tasks_table": table,
        }


def _public_plan_url(plan):
    from django.urls import NoReverseMatch

    if plan.status not in (Plan.Status.PUBLISHED, Plan.Status.CLOSED):
        return None
    try:
        return reverse("portal:spotcheck_plan_detail", args=[plan.pk])
    except NoReverseMatch:
        return None


class PlanEditView(generic.ObjectEditView):
    """Create or edit a draft plan with its labs per category (one transaction)."""

    model = Plan
    form_class = PlanForm
    url_namespace = "spotcheck"
    template_name = "spotcheck/plan_edit.html"

    def get_object(self, pk):
        obj = super().get_object(pk)
        if obj.pk and obj.status != Plan.Status.DRAFT:
            raise PermissionDenied(_("Only a draft plan can be changed; this plan is %(status)s.")
                                   % {"status": obj.get_status_display()})
        return obj

    def get_initial(self):
        """Add pages take initial values from the query string; so does the "update the
        category choices" button (a GET of the form's current values, edit pages too)."""
        params = self.request.GET
        refresh = "refresh" in params
        if self.action == "add" or refresh:
            initial = {key: value for key, value in params.items()
                       if key not in ("return_url", "csrfmiddlewaretoken", "refresh")
                       and not key.startswith("labs-")}
        else:
            initial = {}
        for key in ("categories", "scope_divisions"):
            if key in params:
                initial[key] = params.getlist(key)
        if "class_ratios" in initial:
            try:
                initial["class_ratios"] = json.loads(initial["class_ratios"])
            except ValueError:
                del initial["class_ratios"]
        if refresh:
            initial["risk_weighting"] = "risk_weighting" in params  # an unticked box is not sent
        if self.action == "add":
            initial.setdefault("year", today().year)
            initial.setdefault("period", str(initial.get("year")))
            initial.setdefault("division", getattr(getattr(self.request.user, "profile", None),
                                                   "division_id", None))
        return initial

    def get_formset(self, obj, form, data=None):
        categories = form.fields["categories"].queryset
        return PlanLabFormSet(data, instance=obj, prefix="labs", user=self.request.user,
                              categories=categories)

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.get_form(obj)
        return self._render(obj, form, self.get_formset(obj, form))

    def _render(self, obj, form, formset, status=200):
        context = {
            **self.model_context(),
            "object": obj,
            "form": form,
            "formset": formset,
            "is_new": self.action == "add",
            "season_months": form.season_months,
            "return_url": generic.safe_return_url(
                self.request, obj.get_absolute_url() if obj.pk else reverse("spotcheck:plan_list")),
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST, request.FILES)
        form_ok = form.is_valid()
        formset = self.get_formset(obj, form, request.POST)
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            formset_ok = formset.clean_against(form.cleaned_data["categories"])
        if not (form_ok and formset_ok):
            return self._render(obj, form, formset)
        with transaction.atomic():
            obj = form.save()
            formset.instance = obj
            formset.save()
            if not Plan.objects.is_allowed(request.user, self.action, obj):
                raise PermissionDenied(_("The plan would be outside your scope; nothing was saved."))
        msg = _("Created %(model)s “%(object)s”.") if self.action == "add" else \
            _("Saved %(model)s “%(object)s”.")
        messages.success(request, msg % {"model": Plan._meta.verbose_name, "object": obj})
        return redirect(generic.safe_return_url(request, obj.get_absolute_url()))


class PlanDeleteView(generic.ObjectDeleteView):
    model = Plan
    url_namespace = "spotcheck"

    def get_object(self, pk):
        obj = super().get_object(pk)
        if obj.status != Plan.Status.DRAFT:
            raise PermissionDenied(_("Only a draft plan can be deleted; this plan is %(status)s.")
                                   % {"status": obj.get_status_display()})
        return obj


class PlanActionView(generic.ScopedObjectMixin, View):
    """A workflow page of one plan inside the user's change scope (else 404)."""

    model = Plan
    action = "change"
    url_namespace = "spotcheck"

    def get_plan(self, pk) -> Plan:
        return get_object_or_404(self.get_queryset("change").select_related("division"), pk=pk)


class PlanCommitView(PlanActionView):
    """Publish the commitment SHA-256(secret); the secret stays in the officer's browser."""

    template_name = "spotcheck/plan_commit.html"

    def get(self, request, pk):
        plan = self.get_plan(pk)
        return self.page(plan, CommitForm())

    def page(self, plan, form, status=200):
        return render(self.request, self.template_name, {
            **self.model_context(), "object": plan, "plan": plan, "form": form,
            "draft": plan.status == Plan.Status.DRAFT}, status=status)

    def post(self, request, pk):
        plan = self.get_plan(pk)
        form = CommitForm(request.POST)
        if not form.is_valid():
            return self.page(plan, form)
        try:
            drawing.commit(plan, request.user, form.cleaned_data["commitment"],
                           public_value_source=form.cleaned_data["public_value_source"],
                           public_value_at=form.cleaned_data["public_value_at"])
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error(None, message)
            return self.page(plan, form)
        except PermissionDenied:
            raise Http404
        messages.success(request, _("Commitment published for “%(plan)s”. Keep the secret: you need it "
                                    "for the draw.") % {"plan": plan})
        return redirect(plan.get_absolute_url())


class PlanDrawView(PlanActionView):
    """The draw: a second officer enters the public value after its announced moment, then the
    secret is revealed and the draw made (docs/draw.md §2)."""

    template_name = "spotcheck/plan_draw.html"

    def get(self, request, pk):
        plan = self.get_plan(pk)
        return self.page(plan)

    def page(self, plan, form=None, status=200):
        draw = Draw.objects.filter(plan=plan).first()
        value_step = draw is not None and not draw.public_value
        if form is None:
            form = PublicValueForm() if value_step else DrawForm()
        now = timezone.now()
        return render(self.request, self.template_name, {
            **self.model_context(), "object": plan, "plan": plan, "form": form, "draw": draw,
            "committed": plan.status == Plan.Status.COMMITTED, "value_step": value_step,
            "announced": draw is not None and draw.public_value_at is not None and now >= draw.public_value_at,
            "is_committer": draw is not None and draw.committed_by_id == self.request.user.pk,
            "action_url": reverse("spotcheck:plan_public_value" if value_step else "spotcheck:plan_draw",
                                  args=[plan.pk])}, status=status)

    def run(self, plan, form):
        draw = drawing.perform_draw(plan, self.request.user, secret=form.cleaned_data["secret"])
        n = Task.objects.filter(plan=plan).count()
        return _("Drawn: %(n)d tasks from a pool of %(pool)d. Record SHA-256 %(hash)s.") % {
            "n": n, "pool": draw.pool_size, "hash": draw.record_hash}

    form_class = DrawForm

    def post(self, request, pk):
        plan = self.get_plan(pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.page(plan, form)
        try:
            message = self.run(plan, form)
        except drawing.DrawFailed as exc:
            form.add_error(None, _("The draw failed: %(reason)s") % {"reason": "; ".join(exc.messages)})
            return self.page(plan, form)
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error(None, message)
            return self.page(plan, form)
        except PermissionDenied as exc:
            if not exc.args:
                raise Http404
            form.add_error(None, str(exc))
            return self.page(plan, form, status=403)
        messages.success(request, message)
        return redirect(plan.get_absolute_url())


class PlanPublicValueView(PlanDrawView):
    """A second officer enters the announced public value (posted from the draw page)."""

    form_class = PublicValueForm

    def run(self, plan, form):
        draw = drawing.enter_public_value(plan, self.request.user, form.cleaned_data["public_value"])
        return _("Public value entered: %(value)s (%(source)s). The draw can now be made.") % {
            "value": draw.public_value, "source": draw.public_value_source}


class PlanPublishView(PlanActionView):
    def get(self, request, pk):
        plan = self.get_plan(pk)
        return redirect(plan.get_absolute_url())

    def post(self, request, pk):
        plan = self.get_plan(pk)
        try:
            drawing.publish_draw(plan, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(error_messages(exc)))
        except PermissionDenied:
            raise Http404
        else:
            messages.success(request, _("The plan, its draw record and pool are public now."))
        return redirect(plan.get_absolute_url())


# --------------------------------------------------------------------------- tasks

TASK_QS = Task.objects.select_related("plan", "enterprise", "category", "division", "lab")


class TaskListView(SpotcheckListView):
    model = Task
    queryset = TASK_QS
    filterset_class = TaskFilterSet
    table_class = TaskTable
    filter_fields = ("plan", "status", "category", "division", "overdue", "mine")


class TaskDetailView(generic.ObjectDetailView):
    model = Task
    queryset = TASK_QS.select_related("product", "plan__division").prefetch_related("inspectors")
    url_namespace = "spotcheck"
    template_name = "spotcheck/task_detail.html"
    detail_fields = ()

    def get_extra_context(self, task, forms_by_step=None):
        user = self.request.user
        in_change_scope = Task.objects.is_allowed(user, "change", task)
        steps = []
        if in_change_scope:
            forms_by_step = forms_by_step or {}
            for t in services.available_transitions(task, user):
                steps.append({"name": t.name, "label": step_label(t.name),
                              "url": reverse("spotcheck:task_step", args=[task.pk, t.name]),
                              "form": forms_by_step.get(t.name) or step_form(t.name, task)})
        scope = scope_for(user)
        can_publish = (in_change_scope and not task.published_on
                       and (scope.role in services.OFFICERS or user.is_superuser)
                       and task.status not in (T.ASSIGNED, T.SAMPLED, T.DELIVERED, T.TESTED, T.NOT_SAMPLED))
        on = today()
        deadlines = []
        for label, value in ((_("sampling by"), task.plan.ends_on if task.status == T.ASSIGNED else None),
                             (_("re-inspection request due"), task.objection_due),
                             (_("rectify by"), task.rectification_due),
                             (_("publish by"), task.publication_due)):
            if value:
                deadlines.append({"label": label, "date": value,
                                  "past": value < on and not (label == _("publish by") and task.published_on)})
        items = list(task.items.select_related("standard"))
        return {
            "edit_url": None,
            "delete_url": None,
            "steps": steps,
            "publish_url": reverse("spotcheck:task_publish", args=[task.pk]) if can_publish else None,
            "deadlines": deadlines,
            "items": [i for i in items if not i.retest],
            "retest_items": [i for i in items if i.retest],
            "events": list(task.events.select_related("user")),
            "attachments": list(task.attachments.all()) if in_change_scope else [],
            "show_files": in_change_scope,
            "today": on,
        }

    def render_with_forms(self, task, forms_by_step, status=200):
        context = {
            **self.model_context(),
            "object": task,
            "attributes": [],
            **self.get_extra_context(task, forms_by_step),
        }
        return render(self.request, self.template_name, context, status=status)


def _task_in_change_scope(request, pk) -> Task:
    if not request.user.is_authenticated:
        raise PermissionDenied
    return get_object_or_404(Task.objects.restrict(request.user, "change"), pk=pk)


class TaskStepView(generic.ScopedObjectMixin, View):
    """POST one transition of a task: the form's data goes to ``services.apply``."""

    model = Task
    action = "change"
    url_namespace = "spotcheck"

    def get(self, request, pk, step):
        return redirect(_task_in_change_scope(request, pk).get_absolute_url())

    def post(self, request, pk, step):
        task = _task_in_change_scope(request, pk)
        if step not in services.TRANSITIONS:
            raise Http404
        form = step_form(step, task, request.POST, request.FILES)
        detail = TaskDetailView()
        detail.setup(request, pk=pk)
        if not form.is_valid():
            messages.error(request, _("Please correct the errors of “%(step)s”.")
                           % {"step": step_label(step)})
            return detail.render_with_forms(task, {step: form})
        try:
            with transaction.atomic():
                task = services.apply(task, step, request.user, form.step_data())
                self.save_files(task, form)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not take this step."))
            return detail.render_with_forms(Task.objects.get(pk=task.pk), {step: form}, status=403)
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
            return detail.render_with_forms(Task.objects.get(pk=task.pk), {step: form})
        messages.success(request, _("Done: %(step)s. The task is %(status)s now.") % {
            "step": step_label(step), "status": task.get_status_display()})
        return redirect(task.get_absolute_url())

    def save_files(self, task, form):
        if not form.has_files:
            return
        record = form.cleaned_data.get("sampling_record")
        if record:
            task.sampling_record.save(record.name, record, save=True)
        for photo in form.cleaned_data.get("photos") or []:
            TaskAttachment.objects.create(task=task, kind=TaskAttachment.Kind.PHOTO, file=photo,
                                          name=photo.name, uploaded_by=self.request.user)


class TaskPublishView(generic.ScopedObjectMixin, View):
    model = Task
    action = "change"
    url_namespace = "spotcheck"

    def get(self, request, pk):
        return redirect(_task_in_change_scope(request, pk).get_absolute_url())

    def post(self, request, pk):
        task = _task_in_change_scope(request, pk)
        try:
            services.publish_result(task, request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(error_messages(exc)))
        else:
            messages.success(request, _("The result is published on the public portal."))
        return redirect(task.get_absolute_url())


class TaskFileView(View):
    """A task's sampling record or attachment, for users whose change scope holds the task."""

    def get(self, request, pk, attachment=None):
        task = _task_in_change_scope(request, pk)
        if attachment is None:
            if not task.sampling_record:
                raise Http404
            fieldfile, name = task.sampling_record, task.sampling_record.name.rsplit("/", 1)[-1]
        else:
            obj = get_object_or_404(TaskAttachment, task=task, pk=attachment)
            fieldfile, name = obj.file, obj.name
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(fieldfile.open("rb"), as_attachment=True, filename=name,
                            content_type=content_type)


# --------------------------------------------------------------------------- dashboard


class DashboardView(View):
    """Counts by status and the overdue lists, within the user's scope."""

    def get(self, request):
        user = request.user
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        scope = scope_for(user)
        if not (scope.unrestricted or scope.is_staff_role):
            raise PermissionDenied(_("The spot-check dashboard is for officers and inspectors."))
        tasks = Task.objects.restrict(user, "view")
        counts = dict(tasks.order_by().values_list("status").annotate(n=Count("id")))
        status_counts = [{"status": s, "label": label, "count": counts.get(s, 0),
                          "url": reverse("spotcheck:task_list") + f"?status={s}"}
                         for s, label in T.choices]
        lists = services.overdue(tasks, today())
        sections = [
            ("sampling", _("Sampling overdue (plan ended)")),
            ("publication", _("Publication overdue")),
            ("rectification", _("Rectification overdue")),
            ("awaiting_disposition", _("Awaiting disposition (objection period over)")),
        ]
        plans = (Plan.objects.restrict(user, "view").exclude(status__in=[Plan.Status.CLOSED,
                                                                           Plan.Status.CANCELLED])
                 .select_related("division").annotate(task_count=Count("tasks"))[:20])
        return render(request, "spotcheck/dashboard.html", {
            "status_counts": status_counts,
            "total": sum(counts.values()),
            "overdue": [{"key": k, "label": label, "tasks": lists[k][:100], "count": len(lists[k])}
                        for k, label in sections],
            "plans": plans,
            "today": today(),
            "can_add_plan": scope_q(Plan, user, "add") is not None,
        })


# --------------------------------------------------------------------------- conflicts

CONFLICT_QS = InspectorConflict.objects.select_related("inspector__division", "enterprise")


class InspectorConflictListView(SpotcheckListView):
    model = InspectorConflict
    queryset = CONFLICT_QS
    filterset_class = InspectorConflictFilterSet
    table_class = InspectorConflictTable
    filter_fields = ("inspector",)


class InspectorConflictDetailView(generic.ObjectDetailView):
    model = InspectorConflict
    queryset = CONFLICT_QS
    url_namespace = "spotcheck"
    detail_fields = ("inspector", "enterprise", "reason", "created")


class InspectorConflictEditView(generic.ObjectEditView):
    model = InspectorConflict
    form_class = InspectorConflictForm
    url_namespace = "spotcheck"


class InspectorConflictDeleteView(generic.ObjectDeleteView):
    model = InspectorConflict
    url_namespace = "spotcheck"
