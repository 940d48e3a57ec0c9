"""Forms of the targets pages."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhijian.core.forms import ScopedModelForm
from zhijian.registry.models import Division

from . import models


class DataElementForm(ScopedModelForm):
    class Meta:
        model = models.DataElement
        fields = ["code", "name", "name_zh", "unit", "kind", "computed_key", "period_type", "aggregation", "source"]


class IndicatorForm(ScopedModelForm):
    class Meta:
        model = models.Indicator
        fields = ["code", "name", "name_zh", "numerator", "denominator", "factor", "unit", "decimals", "description"]


class TargetSetForm(ScopedModelForm):
    class Meta:
        model = models.TargetSet
        fields = ["code", "year", "name", "name_zh", "source"]


class TargetForm(ScopedModelForm):
    class Meta:
        model = models.Target
        fields = ["target_set", "indicator", "direction", "value", "wording", "group", "order", "cumulative_from",
                  "note"]


class AssessmentSchemeForm(ScopedModelForm):
    class Meta:
        model = models.AssessmentScheme
        fields = ["year", "name", "due", "basis"]
        widgets = {"due": forms.DateInput(attrs={"type": "date"})}


class AssessmentItemForm(ScopedModelForm):
    class Meta:
        model = models.AssessmentItem
        fields = ["scheme", "code", "title", "max_points", "evidence_required", "order"]


class DataValueForm(ScopedModelForm):
    """An entered figure; the service checks kind, period type, overlap and scope."""

    class Meta:
        model = models.DataValue
        fields = ["element", "division", "period", "value", "source", "note"]

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fields["element"].queryset = self.fields["element"].queryset.exclude(
            kind=models.DataElement.Kind.COMPUTED)

    def validate_unique(self):
        """A second submission for the same element, division and period corrects the first."""


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("approve")), ("reject", _("reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=255)


class OpenAssessmentForm(forms.Form):
    division = forms.ModelChoiceField(label=_("City"), queryset=Division.objects.none())

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        from django.conf import settings

        province = settings.ZHIJIAN_PROVINCE_CODE[:2]
        self.fields["division"].queryset = Division.objects.filter(
            code__startswith=province, code__endswith="00").exclude(code__endswith="0000").order_by("code")


class DataImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or .xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise ValidationError(_("Upload a CSV file or an Excel .xlsx workbook."))
        return f
