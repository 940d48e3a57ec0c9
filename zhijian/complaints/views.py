"""Staff pages of complaints and reports: list, case page with its clocks and steps, intake, dashboard.

Rows come from ``Case.objects.restrict(user, action)`` through the generic views;
a case outside the user's scope is 404. Steps are posted to ``CaseStepView``, which
binds the step's form (``forms.STEPS``) and calls the service inside a
transaction; the service checks state, role and scope again. Personal data of
the complainant is shown in clear only when ``masking.can_see_personal`` (staff
who may change the case: the handling bureau and the levels above it); lists and
exports always mask it.
"""
from __future__ import annotations

import datetime as dt

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from zhijian.core import views as generic
from zhijian.core.labels import field_value
from zhijian.core.querysets import scope_q
from zhijian.core.scope import scope_for
from zhijian.registry.views import division_choices

from . import services
from .filtersets import CaseFilterSet
from .forms import STEPS, IntakeForm, apply_errors, run_step, step_form
from .masking import mask_text, personal
from .models import Case, CaseEvent, Kind, Transfer
from .tables import CaseTable, export_cases

St = Case.Status
RECEIPT_KEY = "complaints_receipt"
# Steps shown in their own sections of the case page rather than in "Next steps".
OWN_SECTION = ("match", "labels")

LIST_QS = Case.objects.select_related("division", "category", "complainant")


class CaseListView(generic.ObjectListView):
    model = Case
    queryset = LIST_QS
    filterset_class = CaseFilterSet
    table_class = CaseTable
    template_name = "complaints/case_list.html"
    filter_fields = ("kind", "status", "channel", "division", "category", "hazard", "due", "received_after",
                     "received_before")
    filter_labels = {"division": gettext_lazy("Division (and below)"), "q": gettext_lazy("Search")}
    exporter = staticmethod(export_cases)

    def customize_filter_form(self, form):
        super().customize_filter_form(form)
        field = form.fields.get("division")
        if field is not None:
            form.fields["division"] = djforms.ChoiceField(label=field.label, required=False,
                                                          choices=division_choices(self.request.user))
        if "category" in form.fields:
            form.fields["category"].queryset = form.fields["category"].queryset.order_by("code").only(
                "pk", "code", "name")

    def get_extra_context(self):
        return {"dashboard_url": reverse("complaints:dashboard")}


# --------------------------------------------------------------------------- the case page


def clock_rows(case: Case, on: dt.date) -> list[dict]:
    """The legal clocks of the case with their articles: due date, done on, next, overdue."""
    rows = []
    if case.kind == Kind.COMPLAINT:
        rows.append(("accept", _("Decide to accept or not (Art. 14: 7 working days from receipt by the "
                                 "handling bureau)"), case.accept_due, case.decided_on))
        if case.decided_on and case.status != St.REJECTED:
            rows.append(("mediation", _("Mediation ends without agreement (Art. 21 (5): 45 working days from "
                                        "acceptance, testing time excluded)"), case.mediation_due,
                         case.closed_on))
        if case.clue_found_on:
            rows.append(("clue_check", _("Check the violation clue (Art. 23: 15 working days, +15 with "
                                         "approval)"), case.clue_due, case.clue_checked_on))
        if case.notify_due:
            rows.append(("notify", _("Tell both parties that mediation ended (Art. 21: 7 working days)"),
                         case.notify_due, case.notified_on))
    else:
        rows.append(("clue_check", _("Check the report and decide on a case (行政处罚程序规定 Art. 18: 15 "
                                     "working days, +15 with approval)"), case.clue_due, case.clue_checked_on))
        if case.notify_due:
            rows.append(("notify", _("Tell the real-name reporter of the decision (Art. 31: 5 working days)"),
                         case.notify_due, case.notified_on))
    result = []
    for key, label, due, done in rows:
        result.append({
            "key": key, "label": label, "due": due, "done_on": done,
            "paused": key == "mediation" and due is None and not done,
            "is_next": bool(due) and key == case.next_due_kind and due == case.next_due,
            "overdue": bool(due) and not done and due < on,
            "late": bool(due and done and done > due),
        })
    return result


def _clean_params(params: dict, clear: bool) -> list[tuple[str, object]]:
    out = []
    for key, value in (params or {}).items():
        if value in (None, "", [], {}):
            continue
        label, shown = field_value(Case, key, value)
        if isinstance(shown, str) and not clear:
            shown = mask_text(shown)
        out.append((label, shown))
    return out


DETAIL_QS = (Case.objects.select_related("division", "category", "respondent__division", "complainant",
                                         "labels_confirmed_by")
             .prefetch_related("testing_periods", "mediations", "conversions",
                               Prefetch("transfers", queryset=Transfer.objects.select_related(
                                   "from_division", "to_division")),
                               Prefetch("events", queryset=CaseEvent.objects.select_related("user"))))


class CaseDetailView(generic.ObjectDetailView):
    model = Case
    queryset = DETAIL_QS
    template_name = "complaints/case_detail.html"

    def get_extra_context(self, case, bound_forms=None):
        user = self.request.user
        on = services.today()
        bound_forms = bound_forms or {}
        person = personal(case, user)
        clear = not person["masked"]
        names = services.available_steps(case, user) if clear else []
        steps = [{"name": n, "label": STEPS[n].label, "danger": STEPS[n].danger,
                  "url": reverse("complaints:case_step", args=[case.pk, n]),
                  "form": bound_forms.get(n) or step_form(n, case, user)}
                 for n in names if n in STEPS]
        by_name = {s["name"]: s for s in steps}
        candidates = []
        if "match" in by_name and case.respondent_match != Case.Match.CONFIRMED:
            candidates = [{"enterprise": e, "score": score}
                          for e, score in services.candidates(case.respondent_name, case.respondent_address)]
        return {
            "person": person,
            "clear": clear,
            "facts": case.facts if clear else mask_text(case.facts),
            "request_text": case.request if clear else mask_text(case.request),
            "outcome_note": case.outcome_note if clear else mask_text(case.outcome_note),
            "clocks": clock_rows(case, on),
            "today": on,
            "events": [{"event": e, "params": _clean_params(e.parameters, clear)} for e in case.events.all()],
            "mediations": [{"m": m, "summary": m.summary if clear else mask_text(m.summary)}
                           for m in case.mediations.all()],
            "testing_periods": list(case.testing_periods.all()),
            "transfers": list(case.transfers.all()),
            "conversions": list(case.conversions.all()),
            "steps": [s for s in steps if s["name"] not in OWN_SECTION],
            "match_step": by_name.get("match"),
            "labels_step": by_name.get("labels"),
            "candidates": candidates,
        }

    def render_with_forms(self, case, bound_forms, status=200):
        context = {**self.model_context(), "object": case, "attributes": [],
                   **self.get_extra_context(case, bound_forms)}
        return render(self.request, self.template_name, context, status=status)


class CaseStepView(generic.ScopedObjectMixin, View):
    """POST one handling step: the step's form, then its service, in one transaction."""

    model = Case
    action = "change"

    def get_case(self, pk) -> Case:
        return get_object_or_404(self.get_queryset("change"), pk=pk)

    def get(self, request, pk, step):
        return redirect(self.get_case(pk).get_absolute_url())

    def post(self, request, pk, step):
        case = self.get_case(pk)
        if step not in STEPS:
            raise Http404
        form = step_form(step, case, request.user, request.POST)
        label = STEPS[step].label
        if form.is_valid():
            try:
                with transaction.atomic():
                    run_step(step, case, request.user, form)
            except PermissionDenied as exc:
                messages.error(request, str(exc) or _("You may not take this step."))
                return redirect(case.get_absolute_url())
            except ValidationError:
                pass  # the errors are on the form now
            else:
                case.refresh_from_db()
                messages.success(request, _("Done: %(step)s. The case is %(status)s now.") % {
                    "step": label, "status": case.get_status_display()})
                return redirect(case.get_absolute_url())
        messages.error(request, _("Please correct the errors of “%(step)s”.") % {"step": label})
        detail = CaseDetailView()
        detail.setup(request, pk=pk)
        return detail.render_with_forms(get_object_or_404(DETAIL_QS.restrict(request.user, "view"), pk=pk),
                                        {step: form})


# --------------------------------------------------------------------------- intake


class CaseIntakeView(generic.ScopedObjectMixin, View):
    """An officer enters a complaint or report taken by phone, letter or at the counter."""

    model = Case
    action = "add"
    template_name = "complaints/case_add.html"
    form_class = IntakeForm

    def page(self, form, status=200):
        return render(self.request, self.template_name, {**self.model_context(), "form": form}, status=status)

    def get(self, request):
        initial = {k: v for k, v in request.GET.items() if k in IntakeForm.base_fields}
        return self.page(self.form_class(initial=initial, user=request.user))

    def post(self, request):
        form = self.form_class(request.POST, user=request.user)
        if not form.is_valid():
            return self.page(form)
        try:
            with transaction.atomic():
                case, code = form.receive(request.user)
                if not Case.objects.is_allowed(request.user, "add", case):
                    raise _OutOfScope(case)
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.page(form)
        except _OutOfScope as exc:
            form.add_error("division" if not exc.case.respondent_id else "respondent_uscc", _(
                "The respondent operates in %(division)s, outside your area: the case would go to that "
                "bureau. Tell the complainant to contact it directly (Art. 29), or ask the province to enter "
                "it. Nothing was saved.") % {"division": exc.case.division})
            return self.page(form)
        request.session[RECEIPT_KEY] = {"pk": case.pk, "ticket": case.ticket, "code": code}
        return redirect("complaints:case_receipt", pk=case.pk)


class _OutOfScope(Exception):
    def __init__(self, case):
        super().__init__(str(case))
        self.case = case


class CaseReceiptView(generic.ScopedObjectMixin, View):
    """The ticket and verification code, shown once after intake (to give to the complainant)."""

    model = Case
    action = "view"

    def get(self, request, pk):
        case = get_object_or_404(self.get_queryset("view"), pk=pk)
        receipt = request.session.get(RECEIPT_KEY)
        shown = None
        if receipt and receipt.get("pk") == case.pk:
            shown = request.session.pop(RECEIPT_KEY)
        return render(request, "complaints/case_receipt.html", {**self.model_context(), "object": case,
                                                                 "receipt": shown})


# --------------------------------------------------------------------------- dashboard


class DashboardView(View):
    """Open cases past or near their next legal deadline, within the user's scope."""

    limit = 100

    def get(self, request):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = scope_for(user)
        if scope_q(Case, user, "view") is None or not (scope.unrestricted or scope.is_staff_role):
            raise PermissionDenied(_("The complaints dashboard is for regulator staff."))
        cases = Case.objects.restrict(user, "view")
        board = services.dashboard(cases.select_related("division", "complainant"))
        counts = dict(cases.order_by().values_list("status").annotate(n=Count("id")))
        list_url = reverse("complaints:case_list")
        sections = []
        for key, label in (("overdue", _("Overdue")), ("due_soon", _("Due within 3 working days"))):
            qs = board[key]
            rows = list(qs[:self.limit])
            sections.append({"key": key, "label": label, "cases": rows,
                             "count": qs.count() if len(rows) == self.limit else len(rows),
                             "url": f"{list_url}?due={key}"})
        return render(request, "complaints/dashboard.html", {
            "sections": sections,
            "status_counts": [{"status": s, "label": label, "count": counts.get(s, 0),
                               "url": f"{list_url}?status={s}"} for s, label in St.choices],
            "total": sum(counts.values()),
            "on": board["on"], "limit": board["limit"],
            "can_add": scope_q(Case, user, "add") is not None,
            "clock_labels": _clock_labels(),
        })


def _clock_labels():
    from .tables import CLOCK_LABELS

    return {k: str(v) for k, v in CLOCK_LABELS.items()}
