"""Forms of complaint and report handling: intake (officer and public), status lookup, steps.

Validation of the intake fields lives in ``services.validate_intake``; the forms
only collect the values and map the service's field errors back onto their
fields (the field names are the service's keys). Each handling step of
``services.available_steps`` has one form here (``STEPS``): the page renders it,
the step view and the API bind the posted data to it and call ``run``, which
hands the cleaned data to the service. The service checks state, role and scope
again inside its transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import LookupChoiceField
from zhijian.core.scope import province_prefix
from zhijian.registry.models import Division, Enterprise, ProductCategory

from . import services
from .models import HAZARDS, Case, Channel, Conversion, Kind, Mediation, RejectionReason, TerminationReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
PERSON_FIELDS = ("name", "phone", "id_number", "address", "email")
OFFICER_CHANNELS = [(c, label) for c, label in Channel.choices if c in (Channel.PHONE, Channel.LETTER,
                                                                      Channel.WALK_IN, Channel.WEB)]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message if target or field == "__all__" else f"{field}: {message}")
    else:
        for message in exc.messages:
            form.add_error(None, message)


def province_divisions():
    """Cities and counties of the deployment's province (where a respondent may operate)."""
    return (Division.objects.filter(code__startswith=province_prefix())
            .exclude(level=Division.Level.PROVINCE).order_by("code"))


def division_select_choices():
    indent = {Division.Level.PREFECTURE: "", Division.Level.COUNTY: "\u3000"}
    return [("", "---------")] + [(code, f"{indent.get(level, '')}{name}")
                                  for code, name, level in province_divisions().values_list("code", "name",
                                                                                            "level")]


# --------------------------------------------------------------------------- intake


class IntakeForm(forms.Form):
    """A complaint or report taken by an officer (phone, letter, walk-in) or from the public form."""

    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.COMPLAINT)
    channel = forms.ChoiceField(label=_("channel"), choices=OFFICER_CHANNELS, initial=Channel.PHONE)
    received_on = forms.DateField(label=_("received on"), required=False, widget=DATE,
                                  help_text=_("Empty: today."))
    real_name = forms.BooleanField(label=_("real-name report"), required=False, initial=True,
                                   help_text=_("For a report: untick when the reporter stays anonymous."))
    complainant_name = forms.CharField(label=_("complainant or reporter: name"), max_length=100, required=False)
    complainant_phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    complainant_id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    complainant_address = forms.CharField(label=_("postal address"), max_length=255, required=False)
    complainant_email = forms.EmailField(label=_("email"), required=False)
    respondent_name = forms.CharField(label=_("respondent (business name)"), max_length=200)
    respondent_uscc = forms.CharField(label=_("respondent USCC"), max_length=18, required=False,
                                      help_text=_("Unified social credit code, if known (18 characters)."))
    respondent_address = forms.CharField(label=_("respondent address"), max_length=255, required=False)
    division = forms.ChoiceField(label=_("where the respondent operates"), required=False,
                                 help_text=_("City or county; not needed when the USCC is of a registered "
                                             "enterprise (the case goes to its bureau)."))
    product = forms.CharField(label=_("product or service"), max_length=200, required=False)
    facts = forms.CharField(label=_("facts"), widget=forms.Textarea(attrs={"rows": 5}))
    request = forms.CharField(label=_("request"), widget=TEXT, required=False)
    amount_claimed = forms.DecimalField(label=_("amount claimed (yuan)"), required=False, min_value=0,
                                        max_digits=12, decimal_places=2)

    def __init__(self, data=None, files=None, *, instance: Case | None = None, user=None, initial=None,
                 **kwargs):
        initial = dict(initial or {})
        if instance is not None and instance.pk:
            initial = {**self.initial_from(instance), **initial}
        super().__init__(data, files, initial=initial, **kwargs)
        self.user = user
        self.fields["division"].choices = division_select_choices()
        if user is not None and "division" not in initial:
            profile = getattr(user, "profile", None)
            if profile is not None and profile.division_id and profile.division_id[2:] != "0000":
                self.initial["division"] = profile.division_id

    @staticmethod
    def initial_from(case: Case) -> dict:
        """The values of an existing case (e.g. to enter a similar one)."""
        values = {f: getattr(case, f) for f in ("kind", "channel", "received_on", "real_name", "respondent_name",
                                                 "respondent_uscc", "respondent_address", "product", "facts",
                                                 "request", "amount_claimed")}
        values["division"] = case.division_id
        person = getattr(case, "complainant", None)
        for f in PERSON_FIELDS:
            values[f"complainant_{f}"] = getattr(person, f, "") if person else ""
        return values

    def intake_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "division"}
        if data.get("received_on") is None:
            data.pop("received_on", None)
        if data.get("kind") == Kind.COMPLAINT:
            data["real_name"] = True  # a complaint is never anonymous (Art. 9)
        return data

    def division_obj(self) -> Division | None:
        code = self.cleaned_data.get("division")
        return Division.objects.filter(pk=code).first() if code else None

    def receive(self, user, **kwargs):
        """Register the case through ``services.receive``; field errors land on this form."""
        data = self.intake_data()
        return services.receive(data, user=user, division=self.division_obj(), **kwargs)


class PublicComplaintForm(IntakeForm):
    """The public form on the portal: channel "web", received today, anonymous reports allowed."""

    anonymous = forms.BooleanField(label=_("report anonymously"), required=False,
                                   help_text=_("Only for a report (举报). You will not be told of the decision, "
                                               "but you can follow the status with the ticket number and code."))

    field_order = ["kind", "anonymous", "complainant_name", "complainant_phone", "complainant_id_number",
                   "complainant_address", "respondent_name", "respondent_uscc", "respondent_address",
                   "division", "product", "facts", "request", "amount_claimed"]

    def __init__(self, *args, **kwargs):
        kwargs.pop("user", None)
        super().__init__(*args, **kwargs)
        for name in ("channel", "received_on", "real_name", "complainant_email"):
            del self.fields[name]
        self.fields["kind"].help_text = _("A complaint asks the bureau to mediate a consumer dispute with a "
                                          "business; a report tells the bureau of a suspected violation.")
        self.fields["complainant_name"].label = _("your name")
        self.fields["complainant_phone"].label = _("your phone")
        self.fields["complainant_id_number"].label = _("your ID number (optional)")
        self.fields["complainant_address"].label = _("your address")
        self.fields["division"].label = _("city or county where the business operates")
        self.fields["amount_claimed"].label = _("amount in dispute (yuan)")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("anonymous") and cleaned.get("kind") != Kind.REPORT:
            self.add_error("anonymous", _("Only a report can be anonymous; a complaint needs your name and "
                                          "phone (Art. 9)."))
        return cleaned

    def intake_data(self) -> dict:
        data = super().intake_data()
        data.pop("anonymous", None)
        data["channel"] = Channel.WEB
        anonymous = self.cleaned_data.get("anonymous") and data.get("kind") == Kind.REPORT
        data["real_name"] = not anonymous
        if anonymous:  # an anonymous report keeps no personal data at all
            for f in PERSON_FIELDS:
                data[f"complainant_{f}"] = ""
        return data


class StatusLookupForm(forms.Form):
    ticket = forms.CharField(label=_("ticket number"), max_length=24,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    code = forms.CharField(label=_("verification code"), max_length=16,
                           widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


# --------------------------------------------------------------------------- steps


class StepForm(forms.Form):
    def __init__(self, data=None, *, case: Case, user=None, prefix=None):
        super().__init__(data, prefix=prefix)
        self.case = case
        self.user = user


class OnForm(StepForm):
    on = forms.DateField(label=_("date"), required=False, widget=DATE, help_text=_("Empty: today."))


class RejectForm(OnForm):
    rejection_reason = forms.ChoiceField(label=_("reason for not accepting"),
                                         choices=[("", "---------"), *RejectionReason.choices])
    note = forms.CharField(label=_("note"), widget=TEXT, required=False)


class TransferForm(OnForm):
    to_division = forms.ModelChoiceField(label=_("to the bureau of"), queryset=Division.objects.none())
    reason = forms.CharField(label=_("reason"), widget=TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_division"].queryset = province_divisions().exclude(pk=self.case.division_id)


class StartTestingForm(StepForm):
    start = forms.DateField(label=_("testing started"), required=False, widget=DATE,
                            help_text=_("Empty: today."))
    body = forms.CharField(label=_("testing body"), max_length=200, required=False)


class EndTestingForm(StepForm):
    end = forms.DateField(label=_("testing ended"), required=False, widget=DATE, help_text=_("Empty: today."))


class MediationForm(StepForm):
    date = forms.DateField(label=_("date"), required=False, widget=DATE, help_text=_("Empty: today."))
    method = forms.ChoiceField(label=_("mediation method"), choices=Mediation.Method.choices)
    mediator = forms.CharField(label=_("mediator"), max_length=100)
    entrusted_to = forms.CharField(label=_("entrusted to (e.g. consumer association)"), max_length=200,
                                   required=False)
    summary = forms.CharField(label=_("summary"), widget=TEXT)


class AgreementForm(OnForm):
    amount_refunded = forms.DecimalField(label=_("amount refunded (yuan)"), required=False, min_value=0,
                                         max_digits=12, decimal_places=2)
    amount_compensated = forms.DecimalField(label=_("amount compensated (yuan)"), required=False, min_value=0,
                                            max_digits=12, decimal_places=2)
    upheld = forms.BooleanField(label=_("complaint upheld"), required=False, initial=True,
                                help_text=_("An upheld complaint against a registered enterprise is a credit "
                                            "event."))
    note = forms.CharField(label=_("note"), widget=TEXT, required=False)


class TerminateForm(OnForm):
    termination_reason = forms.ChoiceField(label=_("reason mediation ended"),
                                           choices=[("", "---------"), *TerminationReason.choices])
    upheld = forms.BooleanField(label=_("complaint upheld"), required=False)
    note = forms.CharField(label=_("note"), widget=TEXT, required=False)


class ClueForm(OnForm):
    note = forms.CharField(label=_("suspected violation"), widget=TEXT)


class ExtendClueForm(StepForm):
    approval = forms.CharField(label=_("approval (who approved, document number)"), max_length=200)


class CheckClueForm(OnForm):
    result = forms.CharField(label=_("result of the check"), widget=TEXT)


class ConvertForm(StepForm):
    target = forms.ChoiceField(label=_("converted into"), choices=Conversion.Target.choices)
    reference = forms.CharField(label=_("reference (case number or plan)"), max_length=100)
    note = forms.CharField(label=_("note"), widget=TEXT, required=False)


class DecideForm(OnForm):
    open_case = forms.BooleanField(label=_("open an enforcement case"), required=False)
    reference = forms.CharField(label=_("enforcement case number"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), widget=TEXT, required=False)


class MatchForm(StepForm):
    enterprise = LookupChoiceField(
        Enterprise.objects.all(), lookup_field="uscc", upper=True, label=_("registered enterprise (USCC)"),
        widget=forms.TextInput(attrs={"maxlength": 18, "class": "uscc", "autocomplete": "off"}))


class LabelsForm(StepForm):
    category = forms.ModelChoiceField(label=_("product category"), queryset=ProductCategory.objects.all(),
                                      required=False)
    hazard = forms.ChoiceField(label=_("hazard"), choices=[("", "---------"), *HAZARDS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.order_by("code").only("pk", "code", "name")
        self.initial = {"category": self.case.category_id, "hazard": self.case.hazard}


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    form: type[StepForm]
    run: Callable  # (case, user, cleaned_data) -> result of the service
    danger: bool = False


def _on(c):
    return c.get("on")


STEPS: dict[str, Step] = {s.name: s for s in [
    Step("accept", _("accept the complaint"), OnForm,
         lambda case, user, c: services.accept(case, user, on=_on(c))),
    Step("reject", _("do not accept"), RejectForm,
         lambda case, user, c: services.reject(case, user, c["rejection_reason"], c.get("note", ""), on=_on(c)),
         danger=True),
    Step("transfer", _("transfer to another bureau"), TransferForm,
         lambda case, user, c: services.transfer(case, user, c["to_division"], c["reason"], on=_on(c))),
    Step("start_testing", _("start testing (the mediation clock stops)"), StartTestingForm,
         lambda case, user, c: services.start_testing(case, user, start=c.get("start"), body=c.get("body", ""))),
    Step("end_testing", _("end testing"), EndTestingForm,
         lambda case, user, c: services.end_testing(case, user, end=c.get("end"))),
    Step("mediate", _("record a mediation session"), MediationForm,
         lambda case, user, c: services.record_mediation(case, user, date=c.get("date"), method=c["method"],
                                                         mediator=c["mediator"], summary=c["summary"],
                                                         entrusted_to=c.get("entrusted_to", ""))),
    Step("close_agreement", _("close with an agreement"), AgreementForm,
         lambda case, user, c: services.close_with_agreement(
             case, user, on=_on(c), refunded=c.get("amount_refunded"), compensated=c.get("amount_compensated"),
             upheld=bool(c.get("upheld")), note=c.get("note", ""))),
    Step("terminate", _("end mediation without agreement"), TerminateForm,
         lambda case, user, c: services.terminate(case, user, c["termination_reason"], on=_on(c),
                                                  upheld=bool(c.get("upheld")), note=c.get("note", "")),
         danger=True),
    Step("find_clue", _("record a violation clue"), ClueForm,
         lambda case, user, c: services.find_clue(case, user, c["note"], on=_on(c))),
    Step("extend_clue", _("extend the check by 15 working days"), ExtendClueForm,
         lambda case, user, c: services.extend_clue_check(case, user, c["approval"])),
    Step("check_clue", _("record the result of the clue check"), CheckClueForm,
         lambda case, user, c: services.check_clue(case, user, c["result"], on=_on(c))),
    Step("convert", _("convert into an enforcement case or spot check"), ConvertForm,
         lambda case, user, c: services.convert(case, user, target=c["target"], reference=c["reference"],
                                                note=c.get("note", ""))),
    Step("start_check", _("start checking the report"), OnForm,
         lambda case, user, c: services.start_check(case, user, on=_on(c))),
    Step("decide", _("decide on an enforcement case"), DecideForm,
         lambda case, user, c: services.decide_report(case, user, open_case=bool(c.get("open_case")),
                                                      reference=c.get("reference", ""), note=c.get("note", ""),
                                                      on=_on(c))),
    Step("notify", _("record that the parties were told"), OnForm,
         lambda case, user, c: services.record_notification(case, user, on=_on(c))),
    Step("close_report", _("close the report"), OnForm,
         lambda case, user, c: services.close_report(case, user, on=_on(c))),
    Step("match", _("confirm the registered enterprise"), MatchForm,
         lambda case, user, c: services.confirm_respondent(case, user, c["enterprise"])),
    Step("labels", _("confirm or correct the labels"), LabelsForm,
         lambda case, user, c: services.confirm_labels(case, user, category=c.get("category"),
                                                       hazard=c.get("hazard") or "")),
]}


def step_form(name: str, case: Case, user=None, data=None, *, prefix: bool = True) -> StepForm:
    return STEPS[name].form(data, case=case, user=user, prefix=name if prefix else None)


def run_step(name: str, case: Case, user, form: StepForm):
    """Run the step's service with the form's cleaned data; service errors land on the form
    (and are raised again, so that the caller's transaction is rolled back)."""
    try:
        return STEPS[name].run(case, user, form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        raise
