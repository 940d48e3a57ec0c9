"""Forms of the risk pages; the workflow forms feed ``services`` (which check state and scope)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import ScopedModelForm
from zhijian.registry.models import Division, Enterprise, ProductCategory

from . import models

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class IncidentForm(ScopedModelForm):
    """The first report (the model form only validates and scopes the choices; the service saves)."""

    occurred_at = forms.DateTimeField(label=_("occurred at"), widget=DATETIME, input_formats=DATETIME_FORMATS)

    class Meta:
        model = models.Incident
        fields = ["enterprise", "category", "product_name", "batch", "occurred_at", "division", "place",
                  "deaths", "serious_injuries", "minor_injuries", "property_loss", "description", "cause",
                  "measures"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.filter(active=True).order_by("code")
        self.fields["division"].queryset = Division.objects.filter(active=True).order_by("code")
        from zhijian.core import scope as S

        scope = S.scope_for(user)
        if scope.role == S.ROLE_ENTERPRISE:
            self.fields["enterprise"].queryset = Enterprise.objects.filter(pk=scope.enterprise_id)
            self.fields["enterprise"].initial = scope.enterprise_id

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"),
                             choices=[c for c in models.IncidentReport.Kind.choices if c[0] != "initial"])
    text = forms.CharField(label=_("report"), widget=forms.Textarea(attrs={"rows": 3}))
    deaths = forms.IntegerField(label=_("deaths"), min_value=0, required=False)
    serious_injuries = forms.IntegerField(label=_("serious injuries"), min_value=0, required=False)
    minor_injuries = forms.IntegerField(label=_("minor injuries"), min_value=0, required=False)
    property_loss = forms.DecimalField(label=_("direct loss (10,000 yuan)"), min_value=0, max_digits=14,
                                       decimal_places=2, required=False)

    def service_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AlertForm(ScopedModelForm):
    class Meta:
        model = models.Alert
        fields = ["title", "division", "category", "product", "hazard", "level", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.filter(active=True).order_by("code")


class ReactionForm(forms.Form):
    kind = forms.ChoiceField(label=_("reaction"), choices=models.AlertReaction.Kind.choices)
    text = forms.CharField(label=_("details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SentinelHospitalForm(ScopedModelForm):
    class Meta:
        model = models.SentinelHospital
        fields = ["code", "name", "division", "stratum", "weight", "active"]


class InjuryCaseForm(ScopedModelForm):
    class Meta:
        model = models.InjuryCase
        fields = ["hospital", "case_number", "treated_on", "age", "sex", "diagnosis", "body_part", "disposition",
                  "location", "fire", "product", "product_2", "hazard", "narrative"]
        widgets = {"treated_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        data = super().clean()
        hospital = data.get("hospital")
        if hospital is not None and self.instance.pk is None:
            if not hospital.active:
                self.add_error("hospital", _("The hospital is no longer in the sample."))
            self.instance.weight = hospital.weight
        return data
