"""Edit forms of the registry pages; related choices are limited to the user's scope."""
from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import LookupChoiceField, ScopedModelForm

from . import models

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def enterprise_field(**kwargs):
    return LookupChoiceField(
        models.Enterprise.objects.all(), lookup_field="uscc", upper=True,
        label=_("enterprise"),
        help_text=_("The enterprise's unified social credit code (18 characters)."),
        widget=forms.TextInput(attrs={"maxlength": 18, "class": "uscc", "autocomplete": "off"}),
        **kwargs)


def standard_field(**kwargs):
    return LookupChoiceField(
        models.Standard.objects.all(), lookup_field="code", **kwargs,
        help_text=_("The standard's code, e.g. GB 4706.1-2005."))


def industry_field(label, **kwargs):
    return LookupChoiceField(
        models.Industry.objects.all(), lookup_field="code", upper=True, label=label, **kwargs,
        help_text=_("GB/T 4754 code, e.g. 3854."))


class DivisionForm(ScopedModelForm):
    class Meta:
        model = models.Division
        fields = ["code", "name", "parent", "level"]


class IndustryForm(ScopedModelForm):
    parent = industry_field(_("parent"), required=False)

    class Meta:
        model = models.Industry
        fields = ["code", "name", "level", "section", "parent"]


class ProductCategoryForm(ScopedModelForm):
    seasonal_months = forms.TypedMultipleChoiceField(
        label=_("seasonal months"), coerce=int, required=False,
        choices=[(m, MONTHS[m]) for m in range(1, 13)],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "months"}),
        help_text=_("Months of the product's season, for the seasonal special spot checks."))

    class Meta:
        model = models.ProductCategory
        fields = ["code", "name", "group", "kind", "key_supervised", "risk_class",
                  "seasonal_months", "licence_required", "ccc_required", "special_requirements"]

    def clean_seasonal_months(self):
        return sorted(set(self.cleaned_data.get("seasonal_months") or []))


class StandardForm(ScopedModelForm):
    class Meta:
        model = models.Standard
        fields = ["code", "title", "kind", "status", "issued_on", "effective_on", "issuer"]
        widgets = {"issued_on": DATE, "effective_on": DATE}


class EnterpriseForm(ScopedModelForm):
    industry = industry_field(_("industry"), required=False)

    class Meta:
        model = models.Enterprise
        fields = ["uscc", "uscc_legacy", "uscc_legacy_reason", "name", "division", "industry",
                  "address", "legal_representative", "established_on", "registered_capital",
                  "scale", "status", "phone"]
        widgets = {"established_on": DATE, "uscc_legacy_reason": forms.Textarea(attrs={"rows": 2})}

    def clean_uscc(self):
        return models.normalize_uscc(self.cleaned_data["uscc"])

    def save(self, commit=True):
        # The approver of a legacy code is the user who saves it (Enterprise.save stamps it).
        self.instance.legacy_approver = self.user if getattr(self.user, "is_authenticated", False) else None
        return super().save(commit)


class ProductForm(ScopedModelForm):
    enterprise = enterprise_field()
    standard = standard_field(label=_("executed standard"), required=False)

    class Meta:
        model = models.Product
        fields = ["enterprise", "category", "name", "brand", "model_number", "barcode", "standard"]


class StandardDeclarationForm(ScopedModelForm):
    enterprise = enterprise_field()
    standard = standard_field(label=_("declared standard"))

    class Meta:
        model = models.StandardDeclaration
        fields = ["enterprise", "product_name", "category", "standard", "indicators",
                  "published_on", "status"]
        widgets = {"published_on": DATE}


class CertificationForm(ScopedModelForm):
    enterprise = enterprise_field()

    class Meta:
        model = models.Certification
        fields = ["enterprise", "kind", "number", "issuer", "valid_from", "valid_until", "status"]
        widgets = {"valid_from": DATE, "valid_until": DATE}


class LabForm(ScopedModelForm):
    class Meta:
        model = models.Lab
        fields = ["name", "uscc", "accreditation_number", "division", "level", "scope_text",
                  "categories", "accredited_until", "status"]
        widgets = {"accredited_until": DATE}


class InspectorForm(ScopedModelForm):
    class Meta:
        model = models.Inspector
        fields = ["name", "badge_number", "division", "categories", "status", "phone"]


class AwardForm(ScopedModelForm):
    enterprise = enterprise_field()

    class Meta:
        model = models.Award
        fields = ["enterprise", "kind", "title", "year", "awarded_by"]


class BrandForm(ScopedModelForm):
    enterprise = enterprise_field()

    class Meta:
        model = models.Brand
        fields = ["enterprise", "kind", "name", "year", "valid_until"]
        widgets = {"valid_until": DATE}
