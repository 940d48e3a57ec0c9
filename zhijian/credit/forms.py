"""Forms of the credit pages: list entries, penalty publication, credit repair.

The forms collect and type the input; the writes are done by ``services_listing``,
which checks the rules again and reports errors by field name (the views attach
them to the form's fields).
"""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhijian.registry.forms import DATE, enterprise_field

from .models import EnterpriseListing, ListingRemoval, PenaltySeverity, Sector


def _today():
    return timezone.localdate()


class ListingForm(forms.Form):
    enterprise = enterprise_field()
    kind = forms.ChoiceField(label=_("list"), choices=EnterpriseListing.Kind.choices)
    start = forms.DateField(label=_("listed on"), widget=DATE, initial=_today)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("legal basis"), max_length=255, required=False,
                                  help_text=_("Required for the serious-violation list, e.g. "
                                              "the article of SAMR order 44."))
    planned_end = forms.DateField(label=_("listed until"), widget=DATE, required=False,
                                  help_text=_("Empty: 3 years for the serious-violation list."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zhijian.core.forms import related_choices

        self.fields["enterprise"].queryset = related_choices(
            EnterpriseListing, "enterprise", self.fields["enterprise"].queryset, user)


class ListingRemovalForm(forms.Form):
    end = forms.DateField(label=_("removed on"), widget=DATE, initial=_today)
    removal = forms.ChoiceField(label=_("removed because"), choices=ListingRemoval.choices)
    removal_note = forms.CharField(label=_("removal note"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("Required before the end of the listing period."))


class PenaltyForm(forms.Form):
    enterprise = enterprise_field()
    decision_number = forms.CharField(label=_("decision number"), max_length=100)
    decision_date = forms.DateField(label=_("decision date"), widget=DATE)
    authority = forms.CharField(label=_("deciding authority"), max_length=200)
    severity = forms.ChoiceField(label=_("severity"), choices=PenaltySeverity.choices)
    sector = forms.ChoiceField(label=_("sector"), choices=Sector.choices, initial=Sector.GENERAL)
    violation = forms.CharField(label=_("violation"), widget=forms.Textarea(attrs={"rows": 3}))
    penalty = forms.CharField(label=_("penalty imposed"), widget=forms.Textarea(attrs={"rows": 2}))
    legal_basis = forms.CharField(label=_("legal basis"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zhijian.core.forms import related_choices

        from .models import PenaltyPublication

        self.fields["enterprise"].queryset = related_choices(
            PenaltyPublication, "enterprise", self.fields["enterprise"].queryset, user)


class DateActionForm(forms.Form):
    """Publish / revoke / withdraw on a date."""

    on = forms.DateField(label=_("date"), widget=DATE, initial=_today)


class RepairApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("statement of rectification"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("How the penalty was complied with and the harm and its effects removed."))
    commitment = forms.BooleanField(
        label=_("credit commitment signed"), required=False,
        help_text=_("We commit to abide by the law and accept that a false statement revokes the repair."))
    evidence = forms.FileField(label=_("evidence"), required=False,
                               help_text=_("Payment receipt, rectification report … (PDF or image)."))

    EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".ofd")
    EVIDENCE_MAX = 20 * 1024 * 1024

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if not f:
            return f
        if not f.name.lower().endswith(self.EVIDENCE_TYPES):
            raise forms.ValidationError(_("Upload a PDF, OFD, JPEG or PNG file."))
        if f.size > self.EVIDENCE_MAX:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return f

    def clean_commitment(self):
        if not self.cleaned_data.get("commitment"):
            raise forms.ValidationError(_("Sign the credit commitment."))
        return True


class RepairReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("approve")), ("reject", _("reject"))])
    reason = forms.CharField(label=_("reason for the decision"), widget=forms.Textarea(attrs={"rows": 3}))
