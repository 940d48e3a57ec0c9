"""Forms of the award, brand and demonstration-zone pages (issue 12 §3)."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import ScopedModelForm
from zhijian.registry.forms import enterprise_field

from . import awards

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AwardApplicationForm(ScopedModelForm):
    """The application itself; its status, check, decision and payment are steps (services)."""

    enterprise = enterprise_field()

    class Meta:
        model = awards.AwardApplication
        fields = ["enterprise", "kind", "year", "title", "documents", "notes"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.status != awards.AwardApplication.Status.DRAFT:
            raise ValidationError(_("Only a draft application can be edited."))
        return data


class BrandForm(ScopedModelForm):
    enterprise = enterprise_field(required=False)

    class Meta:
        model = awards.Brand
        fields = ["name", "kind", "enterprise", "division", "year", "recognised_on", "valid_until", "note"]
        widgets = {"recognised_on": DATE, "valid_until": DATE}


class DemonstrationZoneForm(ScopedModelForm):
    class Meta:
        model = awards.DemonstrationZone
        fields = ["name", "kind", "division", "status", "year", "approved_on", "note"]
        widgets = {"approved_on": DATE}


class CheckForm(forms.Form):
    on = forms.DateField(label=_("Checked on"), required=False, widget=DATE,
                         help_text=_("Today if empty."))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("grant", _("grant")), ("reject", _("reject"))])
    on = forms.DateField(label=_("Decision date"), widget=DATE)
    number = forms.CharField(label=_("Decision number"), max_length=64)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    payment_due = forms.DateField(label=_("Payment due"), required=False, widget=DATE)


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    voucher = forms.CharField(label=_("Payment voucher number"), max_length=64)
