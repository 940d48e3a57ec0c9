"""Forms of the risk pages; the workflow forms feed ``services`` (which check state and scope)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from zhijian.complaints.hazards import HAZARDS
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
        fields = ["code", "name", "division", "stratum", "weight", "psu", "active"]


class InjuryCaseForm(ScopedModelForm):
    class Meta:
        model = models.InjuryCase
        fields = ["hospital", "case_number", "treated_on", "age", "age_months", "sex", "diagnosis", "body_part",
                  "disposition",
                  "location", "fire", "product", "product_2", "hazard", "narrative"]
        widgets = {"treated_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        from zhijian.core import scope as S

        scope = S.scope_for(user)
        if scope.role == S.ROLE_HOSPITAL and self.instance.pk is None:
            self.fields["hospital"].initial = scope.hospital_id

    def clean(self):
        data = super().clean()
        hospital = data.get("hospital")
        if hospital is not None and self.instance.pk is None:
            if not hospital.active:
                self.add_error("hospital", _("The hospital is no longer in the sample."))
            self.instance.weight = hospital.weight
        return data

    def save(self, commit=True):
        from . import services

        case = self.instance
        if case.pk is None:
            case.source = models.InjuryCase.Source.FORM
            services.classify_injury_cases([case])
        else:
            services.corrected_by_hand(case, set(self.changed_data))
        return super().save(commit)


SCENARIO_HELP = _("One scenario per block: a line “name | severity (1-4)”, then one line per step "
                  "“- what happens | probability” (a fraction such as 1/10 or a decimal such as 0.05).")


def parse_scenarios(text: str) -> list[dict]:
    """The scenario text of the assessment form as ``matrix.assess`` scenarios; errors name the line."""
    scenarios: list[dict] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            if not scenarios:
                raise forms.ValidationError(_("Line %(n)d: a step before any scenario.") % {"n": number})
            description, sep, probability = line[1:].rpartition("|")
            if not sep:
                raise forms.ValidationError(_("Line %(n)d: write a step as “- what happens | probability”.")
                                            % {"n": number})
            scenarios[-1]["steps"].append({"description": description.strip(), "probability": probability.strip()})
        else:
            name, sep, severity = line.rpartition("|")
            if not sep or not severity.strip().isdigit():
                raise forms.ValidationError(_("Line %(n)d: write a scenario as “name | severity (1-4)”.")
                                            % {"n": number})
            scenarios.append({"name": name.strip(), "severity": int(severity), "steps": []})
    if not scenarios:
        raise forms.ValidationError(_("Describe at least one injury scenario."))
    return scenarios


def scenarios_text(scenarios: list[dict]) -> str:
    lines = []
    for sc in scenarios:
        lines.append(f"{sc['name']} | {sc['severity']}")
        lines += [f"- {st.get('description', '')} | {st['probability']}" for st in sc["steps"]]
    return "\n".join(lines)


class RiskAssessmentForm(forms.Form):
    division = forms.ModelChoiceField(label=_("assessing division"), queryset=Division.objects.none())
    category = forms.ModelChoiceField(label=_("product category"),
                                      queryset=ProductCategory.objects.filter(active=True).order_by("code"))
    product = forms.CharField(label=_("product (brand, model, batch, barcode)"), max_length=255)
    hazard = forms.ChoiceField(label=_("hazard"), choices=HAZARDS)
    scenarios = forms.CharField(label=_("injury scenarios"), widget=forms.Textarea(attrs={"rows": 10}),
                                help_text=SCENARIO_HELP)
    evidence = forms.CharField(label=_("evidence"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, user=None, initial=None):
        super().__init__(data, initial=initial)
        from zhijian.core.forms import related_choices

        self.fields["division"].queryset = related_choices(models.RiskAssessment, "division",
                                                           Division.objects.order_by("code"), user)

    def clean_scenarios(self):
        return parse_scenarios(self.cleaned_data["scenarios"])


class OpinionSourceForm(ScopedModelForm):
    class Meta:
        model = models.OpinionSource
        fields = ["name", "kind", "location", "mapping", "division", "interval_minutes", "active"]


class TriageForm(forms.Form):
    """An officer's triage of an opinion story."""

    triage = forms.ChoiceField(label=_("triage"), choices=[c for c in models.OpinionStory.Triage.choices
                                                          if c[0] != "new"])
    enterprise_uscc = forms.CharField(label=_("linked enterprise (unified social credit code)"), max_length=18,
                                      required=False)
    product = forms.CharField(label=_("linked product"), max_length=200, required=False)
    category = forms.ModelChoiceField(label=_("product category (correction)"), required=False,
                                      queryset=None)
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from zhijian.registry.models import ProductCategory

        self.fields["category"].queryset = ProductCategory.objects.order_by("code")

    def service_kwargs(self, user) -> dict:
        from django.core.exceptions import ValidationError

        from zhijian.registry.models import Enterprise

        d = self.cleaned_data
        enterprise = None
        if d.get("enterprise_uscc"):
            enterprise = Enterprise.objects.restrict(user, "view").filter(uscc=d["enterprise_uscc"].strip().upper()).first()
            if enterprise is None:
                raise ValidationError({"enterprise_uscc": _("No enterprise with this code in your scope.")})
        return {"triage": d["triage"], "enterprise": enterprise, "product": d.get("product", ""),
                "note": d.get("note", ""), "category": d.get("category")}
