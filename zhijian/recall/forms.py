"""Forms of the recall pages; workflow forms feed ``services`` (which check state and scope)."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhijian.complaints.hazards import HAZARDS
from zhijian.core import scope as S
from zhijian.core.forms import LookupChoiceField, ScopedModelForm
from zhijian.registry.models import Enterprise, ProductCategory

from . import models

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def operator_field(queryset=None, **kwargs):
    return LookupChoiceField(queryset if queryset is not None else Enterprise.objects.all(), lookup_field="uscc",
                             upper=True, **kwargs,
                             help_text=_("The operator's unified social credit code (18 characters)."))


class LotForm(ScopedModelForm):
    operator = operator_field(label=_("holder"))
    produced_on = forms.DateField(label=_("produced on"), required=False, widget=DATE)

    class Meta:
        model = models.Lot
        fields = ["code", "operator", "product", "category", "description", "quantity", "unit", "produced_on"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.filter(active=True).order_by("code")
        scope = S.scope_for(user)
        if scope.role == S.ROLE_ENTERPRISE and not self.instance.pk:
            self.fields["operator"].initial = scope.enterprise_id

    def clean(self):
        data = super().clean()
        operator, product = data.get("operator"), data.get("product")
        if operator is not None and product is not None and product.enterprise_id != operator.pk:
            self.add_error("product", _("The product is another enterprise's."))
        return data


class MovementForm(ScopedModelForm):
    """A movement out of one of the user's lots; the target lot is named by its holder and code
    (a shipment's received lot is created at the receiver when it is not recorded yet)."""

    target_operator = operator_field(label=_("to operator"))
    target_code = forms.CharField(label=_("to lot code"), max_length=64)
    moved_on = forms.DateField(label=_("date"), required=False, widget=DATE)

    class Meta:
        model = models.Movement
        fields = ["source", "kind", "target_operator", "target_code", "quantity", "moved_on", "document"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["source"].queryset = models.Lot.objects.restrict(user, "change").select_related("operator")
        if self.instance.pk:
            self.fields["target_operator"].initial = self.instance.target.operator
            self.fields["target_code"].initial = self.instance.target.code

    def clean(self):
        data = super().clean()
        source, operator, code = data.get("source"), data.get("target_operator"), (data.get("target_code") or "").strip()
        if source is None or operator is None or not code:
            return data
        target = models.Lot.objects.filter(operator=operator, code=code).first()
        if target is None:
            target = models.Lot(operator=operator, code=code, product=source.product, category=source.category,
                                description=source.description, quantity=data.get("quantity") or 0,
                                unit=source.unit)
        self.instance.target = target
        self.instance.source = source
        self.instance.kind = data.get("kind") or ""
        try:
            self.instance.clean()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error("target_operator" if field == "target" else field, errors)
        return data

    def save(self, commit=True):
        target = self.instance.target
        if target.pk is None:
            target.save()
            self.instance.target = target
        return super().save(commit=commit)


class RecallCaseForm(forms.Form):
    producer = operator_field(label=_("producer"))
    title = forms.CharField(label=_("title"), max_length=200)
    category = forms.ModelChoiceField(ProductCategory.objects.none(), label=_("product category"), required=False)
    product_description = forms.CharField(label=_("product (brand, model, batches)"), max_length=255)
    defect = forms.CharField(label=_("defect"), widget=forms.Textarea(attrs={"rows": 3}))
    hazard = forms.ChoiceField(label=_("hazard"), choices=[("", "---------")] + list(HAZARDS), required=False)
    lots = forms.CharField(label=_("defective lots"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Lot codes of the producer's lots (or of lots that went into them), "
                                       "one per line or separated by commas."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = ProductCategory.objects.filter(active=True).order_by("code")
        scope = S.scope_for(user)
        if scope.role == S.ROLE_ENTERPRISE:
            self.fields["producer"].queryset = Enterprise.objects.filter(pk=scope.enterprise_id)
            self.fields["producer"].initial = scope.enterprise_id
        else:
            self.fields["producer"].queryset = Enterprise.objects.restrict(user, "view")

    def clean(self):
        data = super().clean()
        producer = data.get("producer")
        codes = [c.strip() for c in (data.get("lots") or "").replace(",", "\n").replace("，", "\n").splitlines()
                 if c.strip()]
        data["lot_objects"] = []
        if producer is not None and codes:
            found = {lot.code: lot for lot in lots_for(producer, codes)}
            missing = [c for c in codes if c not in found]
            if missing:
                self.add_error("lots", _("No such lot of the producer or its suppliers: %(codes)s.")
                               % {"codes": ", ".join(missing)})
            data["lot_objects"] = [found[c] for c in codes if c in found]
        return data


def lots_for(producer, codes):
    """The producer's lots with these codes, or its suppliers' lots that went into its lots."""
    from django.db.models import Q

    return (models.Lot.objects.filter(code__in=codes)
            .filter(Q(operator=producer) | Q(outgoing__target__operator=producer)).distinct())


def parse_lot_codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace(",", "\n").replace("，", "\n").splitlines() if c.strip()]


class TextStepForm(forms.Form):
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 3}))
    on = forms.DateField(label=_("date"), required=False, widget=DATE)


class ScopeForm(forms.Form):
    lots = forms.CharField(label=_("defective lots"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Lot codes, one per line; empty: the lots chosen before."))
    max_depth = forms.IntegerField(label=_("depth limit"), required=False, min_value=0, max_value=64)


class ProgressForm(forms.Form):
    on = forms.DateField(label=_("reported on"), required=False, widget=DATE)
    located = forms.DecimalField(label=_("units located"), min_value=0, max_digits=16, decimal_places=3, initial=0)
    recovered = forms.DecimalField(label=_("units recovered"), min_value=0, max_digits=16, decimal_places=3, initial=0)
    repaired = forms.DecimalField(label=_("units repaired or replaced"), min_value=0, max_digits=16, decimal_places=3,
                                  initial=0)
    destroyed = forms.DecimalField(label=_("units destroyed"), min_value=0, max_digits=16, decimal_places=3, initial=0)
    text = forms.CharField(label=_("report"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("notice title"), max_length=200)
    text = forms.CharField(label=_("notice text"), widget=forms.Textarea(attrs={"rows": 4}))


class AssessForm(forms.Form):
    assessment = forms.ModelChoiceField(None, label=_("risk assessment"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zhijian.risk.models import RiskAssessment

        self.fields["assessment"].queryset = RiskAssessment.objects.restrict(user, "view").order_by("-created")
