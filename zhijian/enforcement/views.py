"""Staff pages of enforcement (namespace ``enforcement``, mounted at ``/enforcement/``).

Lists and details come from the generic views (rows ``restrict``-ed to the user's scope;
outside it 404). Opening a case and every workflow step post to views that call
``services`` inside a transaction; the service checks state, law, role and scope again,
and its messages are shown on the page. Enterprise users read their own penalty
decisions (not the case file).
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from zhijian.core import views as generic
from zhijian.core.querysets import scope_q

from . import forms, models, services
from .filtersets import CaseFilterSet, JudicialTransferFilterSet, PenaltyDecisionFilterSet
from .tables import CaseTable, JudicialTransferTable, PenaltyDecisionTable


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def form_errors(form) -> list[str]:
    return [f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields else " ".join(v)
            for k, v in form.errors.items()]


# --------------------------------------------------------------------------- dashboard


class DashboardView(generic.ScopedObjectMixin, View):
    """Cases past their decision deadline, hearings pending, fines unpaid (with the surcharge so
    far), decisions not published in time, transfers without an answer."""

    model = models.Case

    def get(self, request):
        cases = models.Case.objects.restrict(request.user, "view")
        overdue = services.overdue_cases(cases)
        counts = {s: 0 for s in models.Case.Status.values}
        for row in cases.values_list("status", flat=True).order_by():
            counts[row] += 1
        status_counts = [(models.Case.Status(k).label, v) for k, v in counts.items()]
        return render(request, "enforcement/dashboard.html", {
            **self.model_context(), **overdue, "status_counts": status_counts,
            "add_url": self.url_or_none("add") if self.can("add") else None})


# --------------------------------------------------------------------------- cases


class CaseListView(generic.ObjectListView):
    model = models.Case
    queryset = models.Case.objects.select_related("enterprise", "division")
    filterset_class = CaseFilterSet
    table_class = CaseTable
    filter_fields = ("status", "origin", "outcome", "division", "suspended")
    filter_labels = {"q": gettext_lazy("Search")}


SOURCES = {  # query parameter -> "app_label.model" of the record a case is opened from
    "task": "spotcheck.task",
    "conversion": "complaints.conversion",
    "incident": "risk.incident",
    "recall": "recall.recallcase",
}


class CaseAddView(generic.ScopedObjectMixin, View):
    """Open a case directly, or from a record (``?task=``, ``?conversion=``, ``?incident=``, ``?recall=``)."""

    model = models.Case
    action = "add"
    template_name = "enforcement/service_form.html"

    def record(self, request):
        from django.apps import apps

        for param, label in SOURCES.items():
            value = request.POST.get(param) or request.GET.get(param)
            if not value:
                continue
            if not str(value).isdigit():
                raise Http404
            model = apps.get_model(label)
            if label == "complaints.conversion":
                from zhijian.complaints.models import Case as Complaint

                visible = Complaint.objects.restrict(request.user, "view").values("pk")
                return get_object_or_404(model.objects.filter(case__in=visible), pk=value), param
            return get_object_or_404(model.objects.restrict(request.user, "view"), pk=value), param
        return None, None

    def render_form(self, form, record, param, status=200):
        return render(self.request, self.template_name, {
            **self.model_context(), "form": form, "title": _("Open an enforcement case"),
            "source": record, "source_param": param}, status=status)

    def get(self, request):
        record, param = self.record(request)
        try:
            form = forms.CaseForm(user=request.user, record=record)
        except ValidationError as exc:
            messages.error(request, " ".join(error_messages(exc)))
            return redirect(record.get_absolute_url() if hasattr(record, "get_absolute_url") else "/")
        return self.render_form(form, record, param)

    def post(self, request):
        record, param = self.record(request)
        form = forms.CaseForm(request.POST, user=request.user, record=record)
        if not form.is_valid():
            return self.render_form(form, record, param)
        try:
            case = services.open_case(request.user, **form.service_kwargs())
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error(None, message)
            return self.render_form(form, record, param)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("This is outside your scope."))
            return self.render_form(form, record, param, status=403)
        messages.success(request, _("Case %(number)s proposed for filing.") % {"number": case.number})
        return redirect(case.get_absolute_url())


CASE_FIELDS = ("number", "title", "enterprise", "division", "origin", "origin_reference", "facts", "status",
               "outcome", "proposed_on", "proposed_by", "filed_on", "approved_by", "decision_due", "extension_reason",
               "suspended", "reason", "closed_on")
NOTICE_FIELDS = ("notice_number", "notice_on", "proposed_fine", "proposed_gains", "proposed_goods_value",
                 "proposed_penalty", "hearing_right", "statement_due", "statement_on", "statement",
                 "hearing_request_due", "hearing_requested_on", "hearing_notified_on", "hearing_date",
                 "hearing_held_on", "hearing_record")


def _step_forms(steps: dict, names: list[str]) -> list[dict]:
    return [{"name": n, "label": steps[n].label, "form": steps[n].form(prefix=n) if steps[n].form else None}
            for n in names]


def history(events) -> list[dict]:
    """Events with their parameters labelled (no codes on the page)."""
    rows = []
    for e in events:
        params = []
        for key, value in (e.parameters or {}).items():
            if key in ("evidence", "transfer") or value in ("", None, [], False):
                continue
            if key == "kinds":
                value = "、".join(str(models.PenaltyKind(k).label) for k in value if k in models.PenaltyKind.values)
            elif key == "severity" and value in models.PenaltySeverity.values:
                value = models.PenaltySeverity(value).label
            elif key == "origin" and value in models.Origin.values:
                value = models.Origin(value).label
            elif key == "kind" and value in models.Evidence.Kind.values:
                value = models.Evidence.Kind(value).label
            elif key == "status" and value in models.JudicialTransfer.Status.values:
                value = models.JudicialTransfer.Status(value).label
            elif key == "outcome" and value in models.Case.Outcome.values:
                value = models.Case.Outcome(value).label
            elif value is True:
                value = _("yes")
            elif isinstance(value, list):
                value = "；".join(str(v) for v in value)
            params.append((EVENT_PARAM_LABELS.get(key, key), value))
        rows.append({"event": e, "params": params})
    return rows


EVENT_PARAM_LABELS = {
    "origin": gettext_lazy("origin"), "reference": gettext_lazy("reference"), "on": gettext_lazy("date"),
    "decision_due": gettext_lazy("decide by"), "reason": gettext_lazy("reason"), "kind": gettext_lazy("kind"),
    "collected_on": gettext_lazy("collected on"), "previous": gettext_lazy("previously due"),
    "number": gettext_lazy("number"), "kinds": gettext_lazy("penalties"),
    "hearing_right": gettext_lazy("right to a hearing"), "hearing_reasons": gettext_lazy("why a hearing"),
    "statement_due": gettext_lazy("statement and defence by"), "late": gettext_lazy("late"),
    "hearing_date": gettext_lazy("hearing date"), "severity": gettext_lazy("severity"),
    "fine": gettext_lazy("fine (yuan)"), "publish_by": gettext_lazy("publish by"),
    "amount": gettext_lazy("amount paid (yuan)"), "surcharge": gettext_lazy("late-payment surcharge (yuan)"),
    "organ": gettext_lazy("receiving organ"), "suspended": gettext_lazy("suspended"),
    "status": gettext_lazy("status"), "outcome": gettext_lazy("outcome"),
}


class CaseDetailView(generic.ObjectDetailView):
    model = models.Case
    queryset = models.Case.objects.select_related("enterprise", "division", "proposed_by", "approved_by")
    detail_fields = CASE_FIELDS

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = self.can("change") and models.Case.objects.is_allowed(user, "change", obj)
        decision = models.PenaltyDecision.objects.filter(case=obj).select_related("publication").first()
        steps = forms.case_steps_for(obj) if can_change else []
        source = services.origin_record(obj)
        source_url = None
        if source is not None:
            target = getattr(source, "case", source)  # a conversion is shown on its complaint
            model = type(target)
            q = scope_q(model, user, "view") if hasattr(model.objects, "restrict") else None
            if q is not None and model._base_manager.filter(q, pk=target.pk).exists():
                source_url = target.get_absolute_url()
        return {
            "notice": self.attributes(obj, NOTICE_FIELDS) if obj.notice_on else [],
            "proposed_kinds": "、".join(str(models.PenaltyKind(k).label) for k in obj.proposed_kinds
                                       if k in models.PenaltyKind.values),
            "clock": services.case_clock(obj, decision),
            "decision": decision,
            "evidence": obj.evidence.all(),
            "transfers": obj.transfers.all(),
            "events": history(obj.events.select_related("user")),
            "steps": _step_forms(forms.CASE_STEPS, steps),
            "source_url": source_url,
            "edit_url": None, "delete_url": None,  # a case changes only through its steps
        }


class _StepView(generic.ScopedObjectMixin, View):
    """POST one step (``step`` in the URL) of an object; refusals become messages on its page."""

    steps: dict = {}
    action = "change"

    def post(self, request, pk, step):
        obj = get_object_or_404(self.model.objects.restrict(request.user, "view"), pk=pk)
        spec = self.steps.get(step)
        if spec is None:
            raise Http404
        form = spec.form(request.POST, prefix=step) if spec.form else None
        try:
            if form is not None and not form.is_valid():
                raise ValidationError(form_errors(form))
            result = spec.run(obj, request.user, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
            return redirect(obj.get_absolute_url())
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("This is outside your scope."))
            return redirect(obj.get_absolute_url())
        messages.success(request, spec.done)
        target = result if isinstance(result, (models.PenaltyDecision, models.JudicialTransfer)) \
            and step in ("decide", "transfer") else obj
        return redirect(target.get_absolute_url())


class CaseStepView(_StepView):
    model = models.Case
    steps = forms.CASE_STEPS


# --------------------------------------------------------------------------- decisions


class PenaltyDecisionListView(generic.ObjectListView):
    model = models.PenaltyDecision
    queryset = models.PenaltyDecision.objects.select_related("case", "case__enterprise")
    filterset_class = PenaltyDecisionFilterSet
    table_class = PenaltyDecisionTable
    filter_fields = ("severity", "decided_after", "decided_before")
    filter_labels = {"q": gettext_lazy("Search")}


DECISION_FIELDS = ("number", "decided_on", "authority", "fine", "confiscated_gains", "goods_value", "violation",
                   "penalty", "legal_basis", "severity", "sector", "served_on", "payment_due", "paid_on",
                   "paid_amount", "surcharge_paid", "executed_on", "execution_note", "revoked_on",
                   "revocation_reason")


class PenaltyDecisionDetailView(generic.ObjectDetailView):
    model = models.PenaltyDecision
    queryset = models.PenaltyDecision.objects.select_related("case", "case__enterprise", "case__division",
                                                             "publication")
    detail_fields = DECISION_FIELDS

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = self.can("change") and models.PenaltyDecision.objects.is_allowed(user, "change", obj)
        case_visible = models.Case.objects.restrict(user, "view").filter(pk=obj.case_id).exists()
        return {
            "case": obj.case, "case_visible": case_visible, "kinds": "、".join(str(k) for k in obj.kind_labels()),
            "clock": services.case_clock(obj.case, obj),
            "amount_due": services.amount_due(obj) if obj.monetary and not obj.paid_on else None,
            "publication": obj.publication,
            "steps": _step_forms(forms.DECISION_STEPS, forms.decision_steps_for(obj)) if can_change else [],
            "edit_url": None, "delete_url": None,
        }


class PenaltyDecisionStepView(_StepView):
    model = models.PenaltyDecision
    steps = forms.DECISION_STEPS


# --------------------------------------------------------------------------- transfers


class JudicialTransferListView(generic.ObjectListView):
    """The register of transfers to judicial organs (行刑衔接)."""

    model = models.JudicialTransfer
    queryset = models.JudicialTransfer.objects.select_related("case")
    filterset_class = JudicialTransferFilterSet
    table_class = JudicialTransferTable
    filter_fields = ("status", "organ_kind")
    filter_labels = {"q": gettext_lazy("Search")}


TRANSFER_FIELDS = ("case", "organ_kind", "organ_name", "suspected_crime", "transferred_on", "documents", "reply_due",
                   "status", "status_on", "outcome", "suspends_case", "user")


class JudicialTransferDetailView(generic.ObjectDetailView):
    model = models.JudicialTransfer
    queryset = models.JudicialTransfer.objects.select_related("case", "user")
    detail_fields = TRANSFER_FIELDS

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = self.can("change") and models.JudicialTransfer.objects.is_allowed(user, "change", obj)
        names = ["status"] if can_change and obj.status in services.TRANSFER_MOVES else []
        return {"steps": _step_forms(forms.TRANSFER_STEPS, names), "edit_url": None, "delete_url": None}


class JudicialTransferStepView(_StepView):
    model = models.JudicialTransfer
    steps = forms.TRANSFER_STEPS

