"""Staff pages of risk monitoring (namespace ``risk``, mounted at ``/risk/``).

Lists and details come from the generic views (rows ``restrict``-ed to the user's scope;
outside it 404). Reporting an incident, opening an alert and every workflow step post to
views that call ``services`` inside a transaction; the service checks state, role and
scope again, and its messages are shown on the page.
"""
from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from zhijian.core import views as generic
from zhijian.core.scope import ROLE_ENTERPRISE, scope_for

from . import forms, models, services
from .filtersets import (AlertFilterSet, IncidentFilterSet, IncidentLevelFilterSet, InjuryCaseFilterSet,
                         OpinionItemFilterSet, OpinionSourceFilterSet, OpinionStoryFilterSet, RiskAssessmentFilterSet, SentinelHospitalFilterSet, SignalDefinitionFilterSet,
                         SignalFilterSet)
from .tables import (AlertTable, IncidentLevelTable, IncidentTable, InjuryCaseTable, OpinionItemTable,
                     OpinionSourceTable, OpinionStoryTable, RiskAssessmentTable,
                     SentinelHospitalTable, SignalDefinitionTable, SignalTable)


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


class _ServiceFormView(generic.ScopedObjectMixin, View):
    """A page with a form whose valid data a service turns into a write (all or nothing)."""

    form_class = None
    template_name = "risk/service_form.html"
    title = ""

    def form(self, data=None):
        return self.form_class(data, user=self.request.user) if hasattr(self.form_class, "_meta") \
            else self.form_class(data)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            **self.model_context(), "form": form, "title": self.title}, status=status)

    def get(self, request):
        return self.render_form(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        try:
            obj = self.run(form)
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error(None, message)
            return self.render_form(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("This is outside your scope."))
            return self.render_form(form, status=403)
        messages.success(request, self.done_message(obj))
        return redirect(obj.get_absolute_url())


class _StepView(generic.ScopedObjectMixin, View):
    """POST one step of a case (``step`` in the URL): ``step()`` calls the service and returns
    the page to go to (None: back to the case); refusals become messages on the case page."""

    def case(self, request, pk):
        return get_object_or_404(self.model.objects.restrict(request.user, "view"), pk=pk)

    def step(self, request, obj, step: str) -> str | None:
        raise NotImplementedError

    def post(self, request, pk, step):
        obj = self.case(request, pk)
        try:
            target = self.step(request, obj, step)
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
            target = None
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("This is outside your scope."))
            target = None
        return redirect(target or obj.get_absolute_url())


# --------------------------------------------------------------------------- dashboard


class DashboardView(generic.ScopedObjectMixin, View):
    """Incidents whose follow-up report is missing or whose first report was late; open alerts;
    new signals."""

    model = models.Incident

    def get(self, request):
        now = timezone.now()
        incidents = models.Incident.objects.restrict(request.user, "view")
        overdue = services.overdue_incidents(
            incidents.filter(status__in=[models.Incident.Status.REPORTED, models.Incident.Status.CONFIRMED]), now)
        alerts = (models.Alert.objects.restrict(request.user, "view")
                  .exclude(status__in=models.Alert.ENDED)
                  .select_related("category", "division").order_by("level", "-created")[:50])
        new_signals = (models.Signal.objects.restrict(request.user, "view").filter(status=models.Signal.Status.NEW)
                       .select_related("definition", "category", "division").order_by("-week", "-statistic")[:50])
        return render(request, "risk/dashboard.html", {
            **self.model_context(), "follow_up": overdue["follow_up"], "late": overdue["late_first_report"],
            "alerts": alerts, "signals": new_signals, "now": now})


# --------------------------------------------------------------------------- incidents


class IncidentListView(generic.ObjectListView):
    model = models.Incident
    queryset = models.Incident.objects.select_related("enterprise", "category", "level", "division")
    filterset_class = IncidentFilterSet
    table_class = IncidentTable
    filter_fields = ("status", "level", "channel", "category", "division")
    filter_labels = {"q": gettext_lazy("Search")}


class IncidentAddView(_ServiceFormView):
    model = models.Incident
    action = "add"
    form_class = forms.IncidentForm
    title = gettext_lazy("Report a major quality incident")

    def run(self, form):
        return services.report_incident(self.request.user, **form.service_kwargs())

    def done_message(self, obj):
        return _("Incident %(number)s reported (level: %(level)s).") % {"number": obj.number, "level": obj.level}


INCIDENT_FIELDS = ("number", "enterprise", "category", "product_name", "batch", "occurred_at", "division", "place",
                   "deaths", "serious_injuries", "minor_injuries", "property_loss", "description", "cause",
                   "measures", "channel", "reported_at", "level", "status", "closed_at")


class IncidentDetailView(generic.ObjectDetailView):
    model = models.Incident
    queryset = models.Incident.objects.select_related("enterprise", "category", "level", "division")
    detail_fields = INCIDENT_FIELDS

    def get_extra_context(self, obj):
        user = self.request.user
        staff = scope_for(user).role in services.OFFICERS or user.is_superuser
        can_change = staff and models.Incident.objects.is_allowed(user, "change", obj)
        own = scope_for(user).role == ROLE_ENTERPRISE and scope_for(user).enterprise_id == obj.enterprise_id
        is_open = obj.status in (models.Incident.Status.REPORTED, models.Incident.Status.CONFIRMED)
        return {
            "clock": services.incident_clock(obj),
            "reports": obj.reports.select_related("user"),
            "events": obj.events.select_related("user"),
            "alerts": obj.alerts.all() if staff else [],
            "report_form": forms.ReportForm() if is_open and (can_change or own) else None,
            "can_confirm": can_change and obj.status == models.Incident.Status.REPORTED,
            "can_close": can_change and obj.status == models.Incident.Status.CONFIRMED,
            "reason_form": forms.ReasonForm(),
            "edit_url": None, "delete_url": None,  # an incident changes only through its reports and steps
        }


class IncidentStepView(_StepView):
    """POST a step of an incident: report, confirm, reject, close."""

    model = models.Incident

    def step(self, request, incident, step):
        if step == "report":
            form = forms.ReportForm(request.POST)
            if not form.is_valid():
                raise ValidationError([f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields
                                       else " ".join(v) for k, v in form.errors.items()])
            services.add_report(incident, request.user, **form.service_kwargs())
            messages.success(request, _("Report added."))
        elif step == "confirm":
            services.confirm_incident(incident, request.user)
            messages.success(request, _("Incident confirmed; the enterprise's credit record has the event."))
        elif step == "reject":
            services.reject_incident(incident, request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Recorded as not a quality incident."))
        elif step == "close":
            services.close_incident(incident, request.user)
            messages.success(request, _("Incident closed."))
        else:
            raise Http404
        return None


# --------------------------------------------------------------------------- alerts


class AlertListView(generic.ObjectListView):
    model = models.Alert
    queryset = models.Alert.objects.select_related("category", "division")
    filterset_class = AlertFilterSet
    table_class = AlertTable
    filter_fields = ("status", "level", "source", "category")


class AlertAddView(_ServiceFormView):
    model = models.Alert
    action = "add"
    form_class = forms.AlertForm
    title = gettext_lazy("Open a risk alert")

    def run(self, form):
        d = form.cleaned_data
        return services.open_alert(self.request.user, title=d["title"], division=d["division"],
                                   category=d["category"], level=d["level"], product=d.get("product", ""),
                                   hazard=d.get("hazard", ""), description=d.get("description", ""))

    def done_message(self, obj):
        return _("Alert %(number)s opened.") % {"number": obj.number}


class AlertDetailView(generic.ObjectDetailView):
    model = models.Alert
    queryset = models.Alert.objects.select_related("category", "division", "incident", "owner")
    detail_fields = ("number", "title", "division", "category", "product", "hazard", "level", "source",
                     "incident", "assessment", "owner", "description", "measures", "status", "published_at", "closed_at")

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = models.Alert.objects.is_allowed(user, "change", obj)
        moves = [(name, label) for name, label in (
            ("validate", _("Validate")), ("publish", _("Publish")), ("close", _("Close")),
            ("withdraw", _("Withdraw"))) if obj.status in services.ALERT_MOVES[name][0]] if can_change else []
        return {
            "steps": list(enumerate(obj.plan_steps)),
            "reactions": obj.reactions.select_related("division"),
            "events": obj.events.select_related("user"),
            "moves": moves,
            "can_change": can_change,
            "assess_url": (reverse("risk:riskassessment_add") + f"?alert={obj.pk}")
            if can_change and obj.status not in models.Alert.ENDED else None,
            "can_hand_off": can_change and obj.status in (models.Alert.Status.VALIDATED, models.Alert.Status.PUBLISHED),
            # hand-off to a recall case (the recall app's add page, filled in from the alert)
            "recall_url": (reverse("recall:recallcase_add") + f"?alert={obj.pk}")
            if can_change and obj.status not in models.Alert.ENDED else None,
            "recall_cases": obj.recall_cases.all(),
            "reaction_form": forms.ReactionForm() if obj.status == models.Alert.Status.PUBLISHED
            and scope_for(user).role in services.OFFICERS else None,
            "edit_url": None, "delete_url": None,
        }


class AlertStepView(_StepView):
    """POST a step of an alert: a lifecycle move, an emergency-plan step, a reaction, a hand-off."""

    model = models.Alert

    def case(self, request, pk):
        # a published alert is open to every bureau's reaction
        alert = get_object_or_404(models.Alert.objects.all(), pk=pk)
        if alert.published_at is None and not models.Alert.objects.is_allowed(request.user, "view", alert):
            raise Http404
        return alert

    def step(self, request, alert, step):
        if step in services.ALERT_MOVES:
            services.move_alert(alert, request.user, step, reason=request.POST.get("reason", ""))
            messages.success(request, _("Alert updated."))
        elif step == "plan-step":
            try:
                index = int(request.POST.get("index", ""))
            except ValueError:
                raise ValidationError(_("No such step."))
            services.mark_step(alert, request.user, index)
            messages.success(request, _("Step done."))
        elif step == "react":
            form = forms.ReactionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a reaction."))
            services.react(alert, request.user, **form.cleaned_data)
            messages.success(request, _("Reaction recorded."))
        elif step == "hand-off":
            plan = services.hand_off_to_spotcheck(alert, request.user)
            messages.success(request, _("A risk spot-check plan was drafted; complete and commit it."))
            return plan.get_absolute_url()
        else:
            raise Http404
        return None

# --------------------------------------------------------------------------- risk assessment


class RiskAssessmentListView(generic.ObjectListView):
    model = models.RiskAssessment
    queryset = models.RiskAssessment.objects.select_related("category", "division", "assessor")
    filterset_class = RiskAssessmentFilterSet
    table_class = RiskAssessmentTable
    filter_fields = ("level", "category")


class RiskAssessmentAddView(_ServiceFormView):
    """A new assessment, or (``?previous=<id>``) a new version of one, filled in from it."""

    model = models.RiskAssessment
    action = "add"
    form_class = forms.RiskAssessmentForm
    title = gettext_lazy("Assess a product's risk")

    def previous(self):
        pk = self.request.GET.get("previous") or self.request.POST.get("previous")
        if not pk or not str(pk).isdigit():
            return None
        return get_object_or_404(models.RiskAssessment.objects.restrict(self.request.user, "change"), pk=pk)

    def alert(self):
        """``?alert=<id>``: the open alert this assessment is made for (filled in from it)."""
        pk = self.request.GET.get("alert") or self.request.POST.get("alert")
        if not pk or not str(pk).isdigit():
            return None
        return get_object_or_404(models.Alert.objects.restrict(self.request.user, "change"), pk=pk)

    def form(self, data=None):
        prev, alert = self.previous(), self.alert()
        initial = None
        if prev is not None and data is None:
            initial = {"division": prev.division_id, "category": prev.category_id, "product": prev.product,
                       "hazard": prev.hazard, "scenarios": forms.scenarios_text(prev.scenarios)}
        elif alert is not None and data is None:
            initial = {"division": alert.division_id, "category": alert.category_id, "product": alert.product,
                       "hazard": alert.hazard}
        return forms.RiskAssessmentForm(data, user=self.request.user, initial=initial)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            **self.model_context(), "form": form, "title": self.title, "previous": self.previous(),
            "for_alert": self.alert()}, status=status)

    def run(self, form):
        d = form.cleaned_data
        return services.assess_product(self.request.user, division=d["division"], category=d["category"],
                                       product=d["product"], hazard=d["hazard"], scenarios=d["scenarios"],
                                       evidence=d["evidence"], previous=self.previous(), alert=self.alert())

    def done_message(self, obj):
        return _("Assessed: %(level)s (version %(version)d).") % {"level": obj.get_level_display(),
                                                                  "version": obj.version}


class RiskAssessmentDetailView(generic.ObjectDetailView):
    model = models.RiskAssessment
    queryset = models.RiskAssessment.objects.select_related("category", "division", "assessor", "previous")
    detail_fields = ("division", "category", "product", "hazard", "level", "probability", "worst_scenario",
                     "evidence", "assessor", "version", "previous")

    def get_extra_context(self, obj):
        latest = not hasattr(obj, "next_version")
        can_revise = latest and models.RiskAssessment.objects.is_allowed(self.request.user, "change", obj)
        rows = [{**sc, "level_label": models.RiskLevel(sc["level"]).label} for sc in obj.scenarios]
        return {"scenario_rows": rows, "alerts": obj.alerts.all(),
                "revise_url": (reverse("risk:riskassessment_add") + f"?previous={obj.pk}") if can_revise else None,
                "edit_url": None, "delete_url": None}


# --------------------------------------------------------------------------- injury surveillance


class SignalListView(generic.ObjectListView):
    model = models.Signal
    queryset = models.Signal.objects.select_related("definition", "category", "division")
    filterset_class = SignalFilterSet
    table_class = SignalTable
    filter_fields = ("definition", "status", "category")


class SignalDetailView(generic.ObjectDetailView):
    model = models.Signal
    queryset = models.Signal.objects.select_related("definition", "category", "division", "alert")
    detail_fields = ("definition", "category", "hazard", "division", "week", "observed", "statistic", "threshold",
                     "status", "alert")

    def get_extra_context(self, obj):
        can_change = (scope_for(self.request.user).role in services.OFFICERS
                      and models.Signal.objects.is_allowed(self.request.user, "change", obj))
        return {"chart": obj.series, "method": obj.definition.method,
                "can_act": can_change and obj.status == models.Signal.Status.NEW,
                "edit_url": None, "delete_url": None}


class SignalStepView(_StepView):
    """POST: open a risk alert from a signal, or dismiss it."""

    model = models.Signal

    def step(self, request, signal, step):
        if step == "alert":
            alert = services.alert_from_signal(signal, request.user)
            messages.success(request, _("Alert %(number)s opened.") % {"number": alert.number})
            return alert.get_absolute_url()
        if step == "dismiss":
            services.dismiss_signal(signal, request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Signal dismissed."))
            return None
        raise Http404


class SignalDefinitionListView(generic.ObjectListView):
    model = models.SignalDefinition
    filterset_class = SignalDefinitionFilterSet
    table_class = SignalDefinitionTable


class SignalDefinitionDetailView(generic.ObjectDetailView):
    model = models.SignalDefinition
    detail_fields = ("code", "name", "source", "method", "level", "parameters", "active")


def injury_estimate_rows(user, *, period: str = "year", by: str = "province") -> list[dict]:
    """National-style estimates (DESIGN §6.5) of the injury cases the user may see, per product
    category × period × division (the province, or each city with its own hospitals as the
    design), from the sentinel hospitals in the sample."""
    import pandas as pd

    from . import injury

    hospitals = list(models.SentinelHospital.objects.restrict(user, "view").filter(active=True)
                     .values_list("pk", "stratum", "division_id"))
    cases = list(models.InjuryCase.objects.restrict(user, "view").filter(product__isnull=False,
                                                                        hospital__active=True)
                 .values_list("hospital_id", "weight", "product__code", "product__name", "treated_on",
                              "hospital__division_id"))
    if not hospitals or not cases:
        return []
    unit = (lambda code: code[:4] + "00") if by == "city" else (lambda code: code[:2] + "0000")
    when = (lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}") if period == "quarter" else (lambda d: str(d.year))
    frame = pd.DataFrame([{"hospital": h, "weight": float(wt), "category": code, "name": name, "period": when(d),
                           "division": unit(div)} for h, wt, code, name, d, div in cases])
    design = pd.DataFrame([{"hospital": h, "stratum": st, "division": unit(div)} for h, st, div in hospitals])
    names = dict(zip(frame["category"], frame["name"]))
    table = injury.estimates(frame, design, by=("category", "period", "division"))
    rows = table.sort_values(["period", "division", "estimate"], ascending=[True, True, False]).to_dict("records")
    few, high_cv, small = injury.flag_labels()
    shown = {few: _("fewer than 20 cases"), high_cv: _("CV above 33 %"), small: _("below 1,200")}
    for row in rows:
        row["name"] = names.get(row["category"], "")
        row["flags_shown"] = [shown.get(f, f) for f in row["flags"]]
    return rows


class InjuryEstimatesView(generic.ScopedObjectMixin, View):
    """Estimates with variance, CV, 95 % interval and reliability flags; CSV with ``?format=csv``."""

    model = models.InjuryCase

    def check_access(self, request):
        response = super().check_access(request)
        scope = scope_for(request.user)
        if response is None and not (scope.unrestricted or scope.is_staff_role):
            # a sentinel hospital's own cases are no estimate of the province's
            from zhijian.core.request_log import Refused

            raise Refused(_("Injury estimates are for the regulator's staff."), action="view",
                          object="risk.injurycase")
        return response

    def get(self, request):
        period = request.GET.get("period") if request.GET.get("period") in ("year", "quarter") else "year"
        by = request.GET.get("by") if request.GET.get("by") in ("province", "city") else "province"
        rows = injury_estimate_rows(request.user, period=period, by=by)
        if request.GET.get("format") == "csv":
            import csv

            from django.http import HttpResponse

            from zhijian.core.throttling import csv_safe

            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="injury-estimates.csv"'
            response.write("\ufeff")
            fields = ["category", "name", "period", "division", "estimate", "se", "cv", "ci_low", "ci_high",
                      "n_cases", "n_hospitals", "reliable", "flags"]
            writer = csv.writer(response)
            writer.writerow(fields)
            text = {"category", "name", "period", "division"}
            for row in rows:
                writer.writerow([csv_safe(row[f]) if f in text else "; ".join(row[f]) if f == "flags"
                                 else round(row[f], 4) if isinstance(row[f], float) else row[f] for f in fields])
            return response
        chart = {"labels": [f"{r['name']} {r['period']}" for r in rows[:20]],
                 "values": [round(r["estimate"]) for r in rows[:20]],
                 "low": [max(0, round(r["ci_low"])) for r in rows[:20]],
                 "high": [round(r["ci_high"]) for r in rows[:20]]}
        return render(request, "risk/injury_estimates.html", {
            **self.model_context(), "rows": rows, "period": period, "by": by, "chart": chart})


class SentinelHospitalListView(generic.ObjectListView):
    model = models.SentinelHospital
    queryset = models.SentinelHospital.objects.select_related("division")
    filterset_class = SentinelHospitalFilterSet
    table_class = SentinelHospitalTable
    filter_fields = ("stratum", "active")


class SentinelHospitalDetailView(generic.ObjectDetailView):
    model = models.SentinelHospital
    queryset = models.SentinelHospital.objects.select_related("division")
    detail_fields = ("code", "name", "division", "stratum", "weight", "psu", "active")


class SentinelHospitalEditView(generic.ObjectEditView):
    model = models.SentinelHospital
    form_class = forms.SentinelHospitalForm


class SentinelHospitalDeleteView(generic.ObjectDeleteView):
    model = models.SentinelHospital


class InjuryCaseListView(generic.ObjectListView):
    model = models.InjuryCase
    queryset = models.InjuryCase.objects.select_related("hospital", "product")
    filterset_class = InjuryCaseFilterSet
    table_class = InjuryCaseTable
    filter_fields = ("hospital", "product", "disposition", "classified", "treated_after", "treated_before")


class InjuryCaseDetailView(generic.ObjectDetailView):
    model = models.InjuryCase
    queryset = models.InjuryCase.objects.select_related("hospital", "product", "product_2")
    detail_fields = ("hospital", "case_number", "treated_on", "age", "age_months", "sex", "diagnosis", "body_part",
                     "disposition", "location", "fire", "product", "product_2", "hazard", "narrative", "weight",
                     "classified", "product_confidence", "hazard_confidence", "product_codes", "source")


class InjuryCaseEditView(generic.ObjectEditView):
    model = models.InjuryCase
    form_class = forms.InjuryCaseForm


class InjuryCaseDeleteView(generic.ObjectDeleteView):
    model = models.InjuryCase


class IncidentLevelListView(generic.ObjectListView):
    model = models.IncidentLevel
    filterset_class = IncidentLevelFilterSet
    table_class = IncidentLevelTable


class IncidentLevelDetailView(generic.ObjectDetailView):
    model = models.IncidentLevel
    detail_fields = ("code", "rank", "name", "name_zh", "min_deaths", "min_serious_injuries", "min_loss",
                     "report_hours", "escalate_hours", "escalate_to", "follow_up_days", "supplement_days", "basis")


# --------------------------------------------------------------------------- public opinion


class OpinionSourceListView(generic.ObjectListView):
    model = models.OpinionSource
    queryset = models.OpinionSource.objects.select_related("division")
    filterset_class = OpinionSourceFilterSet
    table_class = OpinionSourceTable
    filter_fields = ("kind", "active", "last_status")


class OpinionSourceDetailView(generic.ObjectDetailView):
    model = models.OpinionSource
    queryset = models.OpinionSource.objects.select_related("division")
    detail_fields = ("name", "kind", "location", "mapping", "division", "interval_minutes", "active", "last_fetched",
                     "last_status", "last_error", "last_count")


class OpinionSourceEditView(generic.ObjectEditView):
    model = models.OpinionSource
    form_class = forms.OpinionSourceForm


class OpinionSourceDeleteView(generic.ObjectDeleteView):
    model = models.OpinionSource


class OpinionItemListView(generic.ObjectListView):
    model = models.OpinionItem
    queryset = models.OpinionItem.objects.select_related("source", "category", "division", "duplicate_of", "story")
    filterset_class = OpinionItemFilterSet
    table_class = OpinionItemTable
    filter_fields = ("source", "category", "sentiment", "duplicates")


class OpinionItemDetailView(generic.ObjectDetailView):
    model = models.OpinionItem
    queryset = models.OpinionItem.objects.select_related("source", "category", "division", "duplicate_of", "story")
    detail_fields = ("title", "text", "url", "source", "external_id", "published", "fetched", "duplicate_of",
                     "distance", "category", "category_confidence", "hazard", "hazard_confidence", "division",
                     "division_found", "sentiment", "sentiment_score", "sentiment_confidence", "story")

    def get_extra_context(self, obj):
        return {"edit_url": None, "delete_url": None}


class OpinionStoryListView(generic.ObjectListView):
    model = models.OpinionStory
    queryset = models.OpinionStory.objects.select_related("category", "division")
    filterset_class = OpinionStoryFilterSet
    table_class = OpinionStoryTable
    filter_fields = ("triage", "category", "sentiment")


class OpinionStoryDetailView(generic.ObjectDetailView):
    model = models.OpinionStory
    queryset = models.OpinionStory.objects.select_related("category", "division", "enterprise", "triaged_by")
    template_name = "risk/opinionstory_detail.html"
    detail_fields = ("title", "first_seen", "last_seen", "item_count", "category", "hazard", "division", "sentiment",
                     "relevance", "triage", "enterprise", "product", "triaged_by", "triaged_at", "note")

    def get_extra_context(self, obj):
        user = self.request.user
        can_triage = ((scope_for(user).role in services.OFFICERS or user.is_superuser)
                      and models.OpinionStory.objects.is_allowed(user, "change", obj))
        initial = {"triage": obj.triage if obj.triage != "new" else "relevant", "product": obj.product,
                   "note": obj.note, "enterprise_uscc": obj.enterprise.uscc if obj.enterprise else ""}
        return {"items": obj.items.select_related("source", "division").order_by("published", "pk")[:200],
                "events": obj.events.select_related("user"),
                "triage_form": forms.TriageForm(initial=initial) if can_triage else None,
                "edit_url": None, "delete_url": None}


class OpinionStoryTriageView(generic.ScopedObjectMixin, View):
    """POST an officer's triage of a story (the service checks role and scope again)."""

    model = models.OpinionStory

    def post(self, request, pk):
        from . import opinion

        story = get_object_or_404(models.OpinionStory.objects.restrict(request.user, "view"), pk=pk)
        form = forms.TriageForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError([f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields
                                       else " ".join(v) for k, v in form.errors.items()])
            opinion.triage_story(story, request.user, **form.service_kwargs(request.user))
            messages.success(request, _("Story triaged; the relevance classifier was retrained."))
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("This is outside your scope."))
        return redirect(story.get_absolute_url())


# --------------------------------------------------------------------------- injury-case import


class InjuryImportForm(django_forms.Form):
    layout = django_forms.ChoiceField(label=gettext_lazy("File layout"), choices=[
        ("injury_cases", gettext_lazy("our layout (Chinese or English headers)")),
        ("injury_cases_neiss", gettext_lazy("NEISS public-use file layout")),
    ])
    encoding = django_forms.ChoiceField(label=gettext_lazy("Encoding (CSV)"), required=False, choices=[
        ("", gettext_lazy("detect (UTF-8 or GBK)")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")])
    file = django_forms.FileField(label=gettext_lazy("File (CSV or .xlsx)"))

    def clean_file(self):
        from django.conf import settings

        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZHIJIAN_IMPORT_MAX_UPLOAD", 256 * 1024 * 1024)
        if f.size > limit:
            raise django_forms.ValidationError(_("The file is larger than %(mb)d MB; import it with the command "
                                                 "line (zhijian import-data).") % {"mb": limit // 2 ** 20})
        if not f.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
            raise django_forms.ValidationError(_("Upload a CSV file or an Excel .xlsx workbook."))
        return f


class InjuryCaseImportView(generic.ScopedObjectMixin, View):
    """Upload a file of injury cases (officers of the region; a hospital's staff, its own cases);
    the import runs as a background job (the registry's job pages show it)."""

    model = models.InjuryCase
    action = "add"

    def context(self, form):
        from zhijian.core.models import ImportJob

        from .importers import InjuryCaseImporter, NeissImporter

        return {**self.model_context(), "form": form, "columns": InjuryCaseImporter.columns,
                "neiss_columns": NeissImporter.columns,
                "own_hospital": scope_for(self.request.user).hospital_id is not None,
                "jobs": ImportJob.objects.restrict(self.request.user).filter(
                    user=self.request.user, importer__in=[InjuryCaseImporter.name, NeissImporter.name])[:10]}

    def get(self, request):
        return render(request, "risk/injury_import.html", self.context(InjuryImportForm()))

    def post(self, request):
        from zhijian.core.jobs import create_job
        from zhijian.core.tasks import run_import_job

        form = InjuryImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "risk/injury_import.html", self.context(form))
        job = create_job(form.cleaned_data["layout"], form.cleaned_data["file"], user=request.user, mode="create",
                         source="web", encoding=form.cleaned_data.get("encoding") or "")
        run_import_job.enqueue(job.pk)
        return redirect("registry:importjob_detail", pk=job.pk)
