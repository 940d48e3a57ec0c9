"""Forms of the spot-check staff pages.

* ``PlanForm`` + ``PlanLabFormSet``: a draft plan and its lab per category. Related
  choices are limited to the user's scope; a seasonal plan offers the categories
  whose season overlaps the plan's months and pre-selects those whose season covers
  all of them.
* ``CommitForm`` / ``DrawForm``: the commitment (computed in the browser) and the
  draw's inputs; the services in ``drawing.py`` do the checking.
* One form per task transition (``STEP_FORMS``), whose ``step_data()`` is the
  ``data`` dict that ``services.apply`` takes; result forms carry an item formset.
"""
from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import LookupChoiceField, ScopedModelForm
from zhijian.core.scope import province_prefix, scope_for
from zhijian.registry.models import Division, Enterprise, Lab, ProductCategory

from .models import InspectorConflict, Plan, PlanLab, Task

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VERDICTS = [("", "---------"), *Task.Verdict.choices]


# --------------------------------------------------------------------------- plans


def plan_months(starts_on: dt.date | None, ends_on: dt.date | None) -> list[int]:
    """The calendar months (1-12) a plan's period touches, in order, without repeats."""
    if not starts_on or not ends_on or ends_on < starts_on:
        return []
    months, year, month = [], starts_on.year, starts_on.month
    while (year, month) <= (ends_on.year, ends_on.month) and len(months) < 12:
        months.append(month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def seasonal_categories(months: list[int]):
    """(offered, default) category lists for a seasonal plan of ``months``."""
    wanted = set(months)
    offered, default = [], []
    for cat in ProductCategory.objects.exclude(seasonal_months=[]).order_by("code"):
        season = {int(m) for m in cat.seasonal_months or []}
        if not wanted or season & wanted:
            offered.append(cat)
            if wanted and wanted <= season:
                default.append(cat)
    return offered, default


def _date_or_none(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class PlanForm(ScopedModelForm):
    class_ratios = forms.JSONField(
        label=_("sampling ratios by risk class"), required=False,
        help_text=_('Share of each credit-risk class, e.g. {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}.'),
        widget=forms.TextInput(attrs={"size": 48}))

    class Meta:
        model = Plan
        fields = ["title", "kind", "year", "period", "starts_on", "ends_on", "division", "categories",
                  "scope_divisions", "strata_level", "quota_mode", "quota_count", "quota_ratio",
                  "risk_weighting", "class_ratios", "inspectors_per_task", "notes"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Issuing and sampled divisions: the user's region (GB/T 2260 prefix) only.
        divisions = Division.objects.filter(code__startswith=scope_for(self.user).prefix or province_prefix())
        self.fields["division"].queryset = divisions.order_by("code")
        self.fields["scope_divisions"].queryset = divisions.order_by("code")
        self.fields["scope_divisions"].widget.attrs["size"] = 8
        # The category choices depend on the kind and months of the plan.
        self.season_months = []
        kind = self._value("kind")
        if kind == Plan.Kind.SEASONAL:
            self.season_months = plan_months(_date_or_none(self._value("starts_on")),
                                             _date_or_none(self._value("ends_on")))
            offered, default = seasonal_categories(self.season_months)
            field = self.fields["categories"]
            field.widget = forms.CheckboxSelectMultiple(attrs={"class": "category-choices"})
            # (assigning the queryset after the widget gives the new widget its choices)
            field.queryset = ProductCategory.objects.filter(pk__in=[c.pk for c in offered]).order_by("code")
            field.help_text = _("Categories whose season overlaps the plan's months; those in season "
                                "for the whole plan are selected by default.")
            if not self.is_bound and not (self.instance.pk and self.instance.categories.exists()) \
                    and not self.initial.get("categories"):
                self.initial["categories"] = [c.pk for c in default]
        else:
            self.fields["categories"].queryset = ProductCategory.objects.order_by("code")
            self.fields["categories"].widget.attrs["size"] = 12

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        if name in self.initial:
            return self.initial[name]
        return getattr(self.instance, name, None)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Plan.Kind.SEASONAL and cleaned.get("categories") is not None:
            months = set(plan_months(cleaned.get("starts_on"), cleaned.get("ends_on")))
            out = [c.name for c in cleaned["categories"]
                   if not months & {int(m) for m in c.seasonal_months or []}]
            if out:
                self.add_error("categories", _("Not in season during the plan's months: %(names)s.")
                               % {"names": ", ".join(out)})
        if cleaned.get("class_ratios") in (None, ""):
            cleaned["class_ratios"] = dict(Plan._meta.get_field("class_ratios").get_default())
        return cleaned


class PlanLabForm(ScopedModelForm):
    class Meta:
        model = PlanLab
        fields = ["category", "lab"]


class BasePlanLabFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, user=None, categories=None, **kwargs):
        self.user = user
        self.categories = categories
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    @property
    def empty_form(self):
        form = super().empty_form
        self._limit(form)
        return form

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        self._limit(form)
        return form

    def _limit(self, form):
        if self.categories is not None:
            form.fields["category"].queryset = self.categories
        form.fields["lab"].queryset = Lab.objects.filter(status=Lab.Status.ACTIVE).order_by("division_id",
                                                                                            "name")

    def clean_against(self, categories):
        """Each lab row names one of the plan's categories, each at most once."""
        chosen = {c.pk for c in categories}
        seen = set()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or not form.is_valid():
                continue
            category = form.cleaned_data.get("category")
            if category is None:
                continue
            if category.pk not in chosen:
                form.add_error("category", _("“%(name)s” is not one of the plan's categories.")
                               % {"name": category})
            elif category.pk in seen:
                form.add_error("category", _("“%(name)s” has a lab already.") % {"name": category})
            seen.add(category.pk)
        return all(form.is_valid() for form in self.forms)


PlanLabFormSet = inlineformset_factory(Plan, PlanLab, form=PlanLabForm, formset=BasePlanLabFormSet,
                                       extra=2, can_delete=True)


class CommitForm(forms.Form):
    commitment = forms.CharField(
        label=_("commitment SHA-256(secret)"), max_length=64, min_length=64,
        widget=forms.TextInput(attrs={"size": 70, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Computed in your browser, or elsewhere (64 hexadecimal characters)."))
    public_value_source = forms.CharField(
        label=_("where the public value will be published"), max_length=255,
        help_text=_("A value nobody controls, announced after the commitment: e.g. “China Welfare "
                    "Lottery 3D, draw 2026330, winning numbers”."))
    public_value_at = forms.DateTimeField(
        label=_("public value announced at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("When the source announces the value (local time). The draw cannot be made "
                    "before this moment."))

    def clean_commitment(self):
        return self.cleaned_data["commitment"].strip().lower()


class PublicValueForm(forms.Form):
    public_value = forms.CharField(
        label=_("public random value"), max_length=255,
        help_text=_("Exactly as announced at the named source (one line)."))


class DrawForm(forms.Form):
    secret = forms.CharField(
        label=_("secret"), max_length=64,
        widget=forms.TextInput(attrs={"size": 70, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The secret whose SHA-256 is the published commitment (64 hexadecimal characters)."))


# --------------------------------------------------------------------------- task steps


class ItemForm(forms.Form):
    name = forms.CharField(label=_("item"), max_length=128)
    clause = forms.CharField(label=_("clause"), max_length=32, required=False)
    requirement = forms.CharField(label=_("requirement"), max_length=255, required=False)
    measured = forms.CharField(label=_("measured value"), max_length=255, required=False)
    verdict = forms.ChoiceField(label=_("verdict"), choices=VERDICTS)  # blank: unused rows stay unchanged


ItemFormSet = formset_factory(ItemForm, extra=3, min_num=1, validate_min=True)


class StepForm(forms.Form):
    """A transition's form; ``step_data()`` is what ``services.apply`` takes."""

    has_items = False
    has_files = False

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.items = None
        if self.has_items:
            self.items = ItemFormSet(self.data if self.is_bound else None, prefix=f"{self.prefix}-items")

    def is_valid(self):
        valid = super().is_valid()
        if self.items is not None:
            valid = self.items.is_valid() and valid
        return valid

    def step_data(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if name in ("sampling_record", "photos"):
                continue
            data[name] = value.isoformat() if isinstance(value, dt.date) else value
        if self.items is not None:
            data["items"] = [f.cleaned_data for f in self.items.forms
                             if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class SampleForm(StepForm):
    has_files = True
    sample_name = forms.CharField(label=_("sample"), max_length=200)
    sample_quantity = forms.CharField(label=_("quantity"), max_length=64)
    sample_batch = forms.CharField(label=_("batch"), max_length=64, required=False)
    sampled_on = forms.DateField(label=_("sampled on"), widget=DATE, required=False)
    sampling_record = forms.FileField(label=_("sampling record"), required=False,
                                      help_text=_("The signed sampling record (PDF or image)."))
    photos = MultipleFileField(label=_("photos"), required=False)


class ReasonForm(StepForm):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DeliverForm(StepForm):
    delivered_on = forms.DateField(label=_("delivered on"), widget=DATE, required=False)


class ResultForm(StepForm):
    has_items = True
    verdict = forms.ChoiceField(label=_("result"), choices=VERDICTS)
    tested_on = forms.DateField(label=_("tested on"), widget=DATE, required=False)
    report_number = forms.CharField(label=_("test report number"), max_length=64, required=False)


class RetestForm(StepForm):
    has_items = True
    verdict = forms.ChoiceField(label=_("re-test result"), choices=VERDICTS)
    tested_on = forms.DateField(label=_("tested on"), widget=DATE, required=False)


class NotifyForm(StepForm):
    notified_on = forms.DateField(label=_("result received by the enterprise on"), widget=DATE,
                                  required=False)
    served_by_announcement = forms.BooleanField(label=_("served by public announcement"), required=False)


class ObjectionForm(StepForm):
    filed_on = forms.DateField(label=_("filed on"), widget=DATE, required=False)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RectificationForm(StepForm):
    rectification_due = forms.DateField(label=_("rectify by"), widget=DATE)


class RecheckForm(StepForm):
    verdict = forms.ChoiceField(label=_("re-check result"), choices=VERDICTS)


class HandOverForm(StepForm):
    case_reference = forms.CharField(label=_("enforcement case"), max_length=64)


class CloseForm(StepForm):
    pass


STEP_FORMS = {
    "sample": SampleForm,
    "not_sampled": ReasonForm,
    "deliver": DeliverForm,
    "reject_sample": ReasonForm,
    "record_result": ResultForm,
    "notify": NotifyForm,
    "file_objection": ObjectionForm,
    "record_retest": RetestForm,
    "order_rectification": RectificationForm,
    "recheck": RecheckForm,
    "hand_over": HandOverForm,
    "close": CloseForm,
}


def step_form(name: str, task, data=None, files=None) -> StepForm:
    return STEP_FORMS[name](data, files, task=task, prefix=name)


# --------------------------------------------------------------------------- conflicts


class InspectorConflictForm(ScopedModelForm):
    enterprise = LookupChoiceField(
        Enterprise.objects.all(), lookup_field="uscc", upper=True, label=_("enterprise"),
        help_text=_("The enterprise's unified social credit code (18 characters)."),
        widget=forms.TextInput(attrs={"maxlength": 18, "class": "uscc", "autocomplete": "off"}))

    class Meta:
        model = InspectorConflict
        fields = ["inspector", "enterprise", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = self.fields["inspector"].queryset.select_related("division")

    def clean(self):
        cleaned = super().clean()
        inspector, enterprise = cleaned.get("inspector"), cleaned.get("enterprise")
        if inspector and enterprise and InspectorConflict.objects.filter(
                inspector=inspector, enterprise=enterprise).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("This conflict is recorded already."))
        return cleaned
