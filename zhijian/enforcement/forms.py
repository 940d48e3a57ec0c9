"""Forms of the enforcement pages; each feeds a service (which checks state, law and scope).

``CASE_STEPS``, ``DECISION_STEPS`` and ``TRANSFER_STEPS`` name every workflow step once:
its form, the service it calls and its message. The pages render and post them, and the
API validates its bodies with the same forms (``api/views.py``), so a rule lives once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import LookupChoiceField
from zhijian.credit.models import PenaltySeverity, Sector
from zhijian.registry.models import Division, Enterprise

from . import models, services

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


def DateField(label, required=True, **kw):  # noqa: N802 - a field factory
    return forms.DateField(label=label, required=required, widget=DATE, initial=timezone.localdate, **kw)


def Money(label):  # noqa: N802
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=2,
                              initial=0)


class CaseForm(forms.Form):
    """Open a case: directly (tip-off, inspection) or from a source record (hidden fields)."""

    enterprise = LookupChoiceField(Enterprise.objects.all(), lookup_field="uscc", upper=True,
                                   label=_("party (enterprise)"), help_text=_("Its USCC."))
    division = forms.ModelChoiceField(Division.objects.none(), label=_("handling bureau's division"))
    title = forms.CharField(label=_("suspected violation"), max_length=200)
    facts = forms.CharField(label=_("facts"), widget=TEXT)
    origin = forms.ChoiceField(label=_("origin"), choices=[(models.Origin.TIP_OFF, models.Origin.TIP_OFF.label),
                                                           (models.Origin.INSPECTION, models.Origin.INSPECTION.label)])
    origin_reference = forms.CharField(label=_("origin reference"), max_length=100, required=False)
    proposed_on = DateField(_("filing proposed on"))

    def __init__(self, data=None, *, user=None, record=None, **kwargs):
        super().__init__(data, **kwargs)
        self.record = record
        self.fields["enterprise"].queryset = Enterprise.objects.restrict(user, "view")
        divisions = Division.objects.filter(active=True).order_by("code")
        from zhijian.core import scope as S

        scope = S.scope_for(user)
        if not scope.unrestricted and scope.prefix:
            divisions = divisions.filter(code__startswith=scope.prefix)
        self.fields["division"].queryset = divisions
        if record is not None:
            defaults = services.origin_defaults(record)
            origin = defaults["origin"]
            self.fields["origin"].choices = [(origin, models.Origin(origin).label)]
            self.fields["origin"].initial = origin
            for name in ("title", "facts", "origin_reference"):
                self.fields[name].initial = defaults[name]
            if defaults["enterprise"] is not None:
                self.fields["enterprise"].initial = defaults["enterprise"].uscc
            self.fields["division"].initial = defaults["division"].pk if defaults["division"] else None

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"enterprise": d["enterprise"], "division": d["division"], "title": d["title"], "facts": d["facts"],
                "origin": d["origin"], "record": self.record, "origin_reference": d.get("origin_reference", ""),
                "on": d["proposed_on"]}


KINDS = forms.MultipleChoiceField(label=_("penalties"), choices=models.PenaltyKind.choices,
                                  widget=forms.CheckboxSelectMultiple)


class OnForm(forms.Form):
    on = DateField(_("date"))


class ReasonForm(OnForm):
    reason = forms.CharField(label=_("reason"), widget=TEXT)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of evidence"), choices=models.Evidence.Kind.choices)
    description = forms.CharField(label=_("description"), widget=TEXT)
    collected_on = DateField(_("collected on"))
    collected_by = forms.CharField(label=_("collected by"), max_length=100, required=False)


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("reason for the extension"), max_length=255)


class NoticeForm(forms.Form):
    number = forms.CharField(label=_("notice number"), max_length=100)
    on = DateField(_("notice served on"))
    kinds = KINDS
    fine = Money(_("proposed fine (yuan)"))
    gains = Money(_("proposed confiscation of gains (yuan)"))
    goods_value = Money(_("value of goods proposed for confiscation (yuan)"))
    penalty = forms.CharField(label=_("proposed penalty, facts, reasons and basis"), widget=TEXT)
    hearing_right = forms.BooleanField(label=_("offer a hearing (other heavier penalty, Art. 63 (5))"),
                                       required=False)


class StatementForm(forms.Form):
    on = DateField(_("statement made on"))
    text = forms.CharField(label=_("statement and defence"), widget=TEXT)


class HearingNoticeForm(forms.Form):
    on = DateField(_("party told of the hearing on"))
    hearing_date = forms.DateField(label=_("hearing date"), widget=DATE)


class HearingForm(forms.Form):
    on = DateField(_("hearing held on"))
    record = forms.CharField(label=_("hearing record"), widget=TEXT)


class DecisionForm(forms.Form):
    number = forms.CharField(label=_("decision number"), max_length=100)
    on = DateField(_("decided on"))
    served_on = forms.DateField(label=_("decision served on"), widget=DATE, required=False)
    kinds = KINDS
    fine = Money(_("fine (yuan)"))
    gains = Money(_("illegal gains confiscated (yuan)"))
    goods_value = Money(_("value of goods confiscated (yuan)"))
    violation = forms.CharField(label=_("violation"), widget=TEXT)
    penalty = forms.CharField(label=_("penalty imposed"), widget=TEXT)
    legal_basis = forms.CharField(label=_("legal basis"), max_length=255)
    severity = forms.ChoiceField(label=_("severity"), choices=PenaltySeverity.choices)
    sector = forms.ChoiceField(label=_("sector"), choices=Sector.choices, initial=Sector.GENERAL)
    authority = forms.CharField(label=_("deciding authority"), max_length=200, required=False)


class TransferForm(forms.Form):
    organ_kind = forms.ChoiceField(label=_("receiving organ"), choices=models.JudicialTransfer.Organ.choices)
    organ_name = forms.CharField(label=_("name of the receiving organ"), max_length=200)
    suspected_crime = forms.CharField(label=_("suspected crime"), max_length=200)
    on = DateField(_("transferred on"))
    documents = forms.CharField(label=_("documents transferred"), widget=TEXT)
    suspend = forms.BooleanField(label=_("suspend the administrative case meanwhile"), required=False, initial=True)


class PaymentForm(forms.Form):
    on = DateField(_("paid on"))
    amount = forms.DecimalField(label=_("amount paid (yuan)"), min_value=0, max_digits=14, decimal_places=2)


class ExecutionForm(forms.Form):
    on = DateField(_("executed on"))
    note = forms.CharField(label=_("execution"), widget=TEXT)


class TransferStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[c for c in models.JudicialTransfer.Status.choices
                                                           if c[0] != models.JudicialTransfer.Status.TRANSFERRED])
    on = DateField(_("status since"))
    outcome = forms.CharField(label=_("outcome"), widget=TEXT, required=False)


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    form: type[forms.Form] | None
    run: Callable  # (obj, user, cleaned_data) -> object
    done: str  # success message


def _kw(d, *names, **renames):
    out = {n: d.get(n) for n in names}
    out.update({new: d.get(old) for new, old in renames.items()})
    return out


S = services
CASE_STEPS = {s.name: s for s in [
    Step("approve", _("Approve the filing"), OnForm, lambda c, u, d: S.approve_filing(c, u, on=d["on"]),
         _("Case filed.")),
    Step("refuse", _("Do not file"), ReasonForm, lambda c, u, d: S.refuse_filing(c, u, on=d["on"], reason=d["reason"]),
         _("Recorded as not filed.")),
    Step("evidence", _("Add evidence"), EvidenceForm,
         lambda c, u, d: S.add_evidence(c, u, **_kw(d, "kind", "description", "collected_on", "collected_by")),
         _("Evidence added.")),
    Step("extend", _("Extend the decision period"), ExtendForm,
         lambda c, u, d: S.extend_decision(c, u, reason=d["reason"]), _("Decision period extended.")),
    Step("notify", _("Serve the notice of proposed penalty"), NoticeForm,
         lambda c, u, d: S.notify(c, u, **_kw(d, "number", "on", "kinds", "penalty", "fine", "gains", "goods_value",
                                              "hearing_right")), _("Notice served.")),
    Step("statement", _("Record the statement and defence"), StatementForm,
         lambda c, u, d: S.record_statement(c, u, on=d["on"], text=d["text"]), _("Statement recorded.")),
    Step("hearing-request", _("Record the hearing request"), OnForm,
         lambda c, u, d: S.request_hearing(c, u, on=d["on"]), _("Hearing request recorded.")),
    Step("hearing-notice", _("Announce the hearing"), HearingNoticeForm,
         lambda c, u, d: S.notify_hearing(c, u, on=d["on"], hearing_date=d["hearing_date"]),
         _("Hearing announced.")),
    Step("hearing", _("Record the hearing"), HearingForm,
         lambda c, u, d: S.hold_hearing(c, u, on=d["on"], record=d["record"]), _("Hearing recorded.")),
    Step("decide", _("Decide the penalty"), DecisionForm,
         lambda c, u, d: S.decide(c, u, **_kw(d, "number", "on", "served_on", "kinds", "fine", "gains", "goods_value",
                                              "violation", "penalty", "legal_basis", "severity", "sector",
                                              "authority")),
         _("Penalty decided and registered for publication.")),
    Step("no-penalty", _("No penalty"), ReasonForm, lambda c, u, d: S.no_penalty(c, u, on=d["on"], reason=d["reason"]),
         _("Closed without penalty.")),
    Step("drop", _("Drop the case"), ReasonForm, lambda c, u, d: S.drop_case(c, u, on=d["on"], reason=d["reason"]),
         _("Case dropped.")),
    Step("transfer", _("Transfer to a judicial organ"), TransferForm,
         lambda c, u, d: S.transfer(c, u, **_kw(d, "organ_kind", "organ_name", "suspected_crime", "on", "documents",
                                                "suspend")), _("Case transferred.")),
    Step("close", _("Close the case"), OnForm, lambda c, u, d: S.close_case(c, u, on=d["on"]), _("Case closed.")),
]}
DECISION_STEPS = {s.name: s for s in [
    Step("publish", _("Publish"), OnForm, lambda o, u, d: S.publish(o, u, on=d["on"]), _("Decision published.")),
    Step("payment", _("Record the payment"), PaymentForm,
         lambda o, u, d: S.record_payment(o, u, on=d["on"], amount=d["amount"]), _("Payment recorded.")),
    Step("execution", _("Record the execution"), ExecutionForm,
         lambda o, u, d: S.record_execution(o, u, on=d["on"], note=d["note"]), _("Execution recorded.")),
    Step("revoke", _("Revoke the decision"), ReasonForm,
         lambda o, u, d: S.revoke(o, u, on=d["on"], reason=d["reason"]), _("Decision revoked; publication withdrawn.")),
]}
TRANSFER_STEPS = {s.name: s for s in [
    Step("status", _("Record the organ's answer"), TransferStatusForm,
         lambda o, u, d: S.update_transfer(o, u, status=d["status"], on=d["on"], outcome=d.get("outcome", "")),
         _("Answer recorded.")),
]}


def case_steps_for(case) -> list[str]:
    """The steps offered on a case page in its state (the services check again)."""
    St = models.Case.Status
    if case.status == St.PROPOSED:
        return ["approve", "refuse"]
    if case.suspended:
        return ["close"]  # once the judicial organ accepted the case
    if case.status == St.INVESTIGATING:
        steps = ["evidence", "notify", "no-penalty", "drop", "transfer"]
    elif case.status == St.NOTIFIED:
        steps = ["statement"]
        if case.hearing_right and not case.hearing_requested_on:
            steps.append("hearing-request")
        if case.hearing_requested_on and not case.hearing_notified_on:
            steps.append("hearing-notice")
        if case.hearing_notified_on and not case.hearing_held_on:
            steps.append("hearing")
        steps += ["evidence", "decide", "no-penalty", "drop", "transfer"]
    elif case.status in (St.DECIDED, St.EXECUTED):
        steps = ["transfer", "close"]
    else:
        return []
    if case.status in models.Case.BEFORE_DECISION and not case.extension_reason:
        steps.append("extend")
    return steps


def decision_steps_for(decision) -> list[str]:
    if decision.revoked_on:
        return []
    steps = []
    pub = decision.publication
    if pub is not None and not pub.published_on:
        steps.append("publish")
    if decision.monetary and not decision.paid_on:
        steps.append("payment")
    if decision.needs_execution and not decision.executed_on:
        steps.append("execution")
    return steps + ["revoke"]
