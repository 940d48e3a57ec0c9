"""Staff pages of targets and the assessment (namespace ``targets``, mounted at ``/targets/``).

Lists, details and the configuration forms come from the generic views (rows ``restrict``-ed
to the user's scope); entering and reviewing data values, the progress page and the assessment
steps call ``services`` inside a transaction, and the service checks role and scope again.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from zhijian.core import views as generic
from zhijian.core.request_log import Refused
from zhijian.core.scope import ROLE_PROVINCE_ADMIN, province_prefix, scope_for
from zhijian.registry.models import Division

from . import forms, models, periods, services
from .filtersets import (AssessmentFilterSet, AssessmentSchemeFilterSet, DataElementFilterSet, DataValueFilterSet,
                         IndicatorFilterSet, TargetSetFilterSet)
from .tables import (AssessmentSchemeTable, AssessmentTable, DataElementTable, DataValueTable, IndicatorTable,
                     TargetSetTable)


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def is_province(user) -> bool:
    s = scope_for(user)
    return s.unrestricted or s.role == ROLE_PROVINCE_ADMIN


# --------------------------------------------------------------------------- configuration


class DataElementListView(generic.ObjectListView):
    model = models.DataElement
    filterset_class = DataElementFilterSet
    table_class = DataElementTable
    filter_fields = ("kind", "period_type")


class DataElementDetailView(generic.ObjectDetailView):
    model = models.DataElement
    detail_fields = ("code", "name_zh", "unit", "kind", "computed_key", "period_type", "aggregation",
                     "source")
    code_fields = ("code", "computed_key")


class DataElementEditView(generic.ObjectEditView):
    model = models.DataElement
    form_class = forms.DataElementForm


class IndicatorListView(generic.ObjectListView):
    model = models.Indicator
    filterset_class = IndicatorFilterSet
    table_class = IndicatorTable


class IndicatorDetailView(generic.ObjectDetailView):
    model = models.Indicator
    detail_fields = ("code", "name_zh", "numerator", "denominator", "factor", "unit", "decimals",
                     "description")
    code_fields = ("code", "numerator", "denominator")


class IndicatorEditView(generic.ObjectEditView):
    model = models.Indicator
    form_class = forms.IndicatorForm


class TargetSetListView(generic.ObjectListView):
    model = models.TargetSet
    filterset_class = TargetSetFilterSet
    table_class = TargetSetTable
    filter_fields = ("year",)


class TargetSetEditView(generic.ObjectEditView):
    model = models.TargetSet
    form_class = forms.TargetSetForm


class TargetEditView(generic.ObjectEditView):
    model = models.Target
    form_class = forms.TargetForm


class TargetDeleteView(generic.ObjectDeleteView):
    model = models.Target


# --------------------------------------------------------------------------- progress


def _user_division(user) -> str:
    s = scope_for(user)
    prefix = s.prefix or province_prefix()
    return prefix.ljust(6, "0")


LIGHT_LABELS = {services.MET: "met", services.NEAR: "near", services.NOT_MET: "not met", services.NO_DATA: "no data"}


class TargetSetDetailView(generic.ObjectDetailView):
    """A target set's progress for a division (``?division=``, default: the user's) and a period
    (``?period=``, default: the set's year), with traffic lights, trends and drill-down links."""

    model = models.TargetSet
    template_name = "targets/targetset_detail.html"
    detail_fields = ("code", "year", "name_zh", "source")

    def get_extra_context(self, obj):
        request = self.request
        own = _user_division(request.user)
        division = (request.GET.get("division") or own).strip()
        if not (len(division) == 6 and division.isdigit() and division.startswith(
                scope_for(request.user).prefix or "") and Division.objects.filter(pk=division).exists()):
            raise Http404(_("No such division within your scope."))
        period = (request.GET.get("period") or str(obj.year)).strip()
        try:
            periods.parse(period)
        except periods.PeriodError:
            raise Http404(_("Not a period code (2026, 2026Q2 or 202605)."))
        rows = services.progress(obj, division, period)
        div = Division.objects.select_related("parent").get(pk=division)
        children = list(Division.objects.filter(parent_id=division).order_by("code"))
        labels = {services.MET: _("met"), services.NEAR: _("near"), services.NOT_MET: _("not met"),
                  services.NO_DATA: _("no data")}
        chart = {"periods": periods.series(period),
                 "series": [{"name": str(r.target.indicator), "data": [
                     float(v) if v is not None else None for _p, v in r.trend]} for r in rows
                     if any(v is not None for _p, v in r.trend)]}
        up = div.parent if div.parent_id and div.parent_id.startswith(scope_for(request.user).prefix or "") \
            else None
        return {"rows": [{"row": r, "light_label": labels[r.light]} for r in rows], "division": div,
                "period": period, "children": children, "parent": up, "chart": chart,
                "can_enter": self.can_enter()}

    def can_enter(self):
        return self.request.user.has_perm("targets.add_datavalue")


# --------------------------------------------------------------------------- data values


class DataValueListView(generic.ObjectListView):
    model = models.DataValue
    queryset = models.DataValue.objects.select_related("element", "division")
    filterset_class = DataValueFilterSet
    table_class = DataValueTable
    filter_fields = ("status", "origin", "period", "division")

    def get_extra_context(self):
        return {"import_url": "/targets/data-values/import/" if self.can("add") else None}


class DataValueDetailView(generic.ObjectDetailView):
    model = models.DataValue
    queryset = models.DataValue.objects.select_related("element", "division", "entered_by", "reviewed_by")
    template_name = "targets/datavalue_detail.html"
    detail_fields = ("element", "division", "period", "value", "origin", "source", "note", "status",
                     "entered_by", "reviewed_by", "reviewed_at", "review_comment")

    def get_extra_context(self, obj):
        review = is_province(self.request.user) and obj.status == models.DataValue.Status.PENDING \
            and obj.origin != models.DataValue.Origin.COMPUTED
        return {"review_form": forms.ReviewForm() if review else None, "events": obj.events.all()}


class DataValueAddView(generic.ObjectEditView):
    """Enter (or correct) a figure; it counts once the province approves it."""

    model = models.DataValue
    form_class = forms.DataValueForm

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST)
        if not form.is_valid():
            return self.render_form(obj, form)
        d = form.cleaned_data
        try:
            dv = services.submit_value(request.user, element=d["element"], division=d["division"],
                                       period=d["period"], value=d["value"], source=d.get("source", ""),
                                       note=d.get("note", ""))
        except ValidationError as exc:
            for m in error_messages(exc):
                form.add_error(None, m)
            return self.render_form(obj, form)
        except PermissionDenied as exc:
            raise Refused(str(exc), action="add", object="targets.datavalue") from exc
        messages.success(request, _("Submitted; the value counts once the province approves it."))
        return redirect(dv.get_absolute_url())


class DataValueReviewView(generic.ScopedObjectMixin, View):
    model = models.DataValue
    action = "change"

    def post(self, request, pk):
        dv = get_object_or_404(self.get_queryset("change"), pk=pk)
        form = forms.ReviewForm(request.POST)
        if form.is_valid():
            try:
                services.review_value(dv, request.user, approve=form.cleaned_data["decision"] == "approve",
                                      comment=form.cleaned_data["comment"])
                messages.success(request, _("Review saved."))
            except ValidationError as exc:
                for m in error_messages(exc):
                    messages.error(request, m)
            except PermissionDenied as exc:
                raise Refused(str(exc), action="change", object="targets.datavalue") from exc
        return redirect(dv.get_absolute_url())


class DataValueImportView(generic.ScopedObjectMixin, View):
    """Import data values from a CSV / Excel file: all rows or none, errors by row and column."""

    model = models.DataValue
    action = "add"
    template_name = "targets/datavalue_import.html"

    def get(self, request):
        from .importers import DataValueImporter

        return render(request, self.template_name, {**self.model_context(), "form": forms.DataImportForm(),
                                                    "columns": DataValueImporter.columns})

    def post(self, request):
        from zhijian.core.importing import MODE_UPSERT

        from .importers import DataValueImporter

        form = forms.DataImportForm(request.POST, request.FILES)
        ctx = {**self.model_context(), "form": form, "columns": DataValueImporter.columns}
        if not form.is_valid():
            return render(request, self.template_name, ctx)
        f = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(f.name).name
            with open(path, "wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            result = DataValueImporter(user=request.user, mode=MODE_UPSERT).run(path, f.name)
        if not result.ok:
            ctx["errors"] = result.errors[:200]
            ctx["error_count"] = result.error_count
            return render(request, self.template_name, ctx, status=400)
        messages.success(request, _("Imported %(n)d values; they count once the province approves them.") % {
            "n": result.created + result.updated})
        return redirect("targets:datavalue_list")


# --------------------------------------------------------------------------- assessment


class AssessmentSchemeListView(generic.ObjectListView):
    model = models.AssessmentScheme
    filterset_class = AssessmentSchemeFilterSet
    table_class = AssessmentSchemeTable


class AssessmentSchemeDetailView(generic.ObjectDetailView):
    model = models.AssessmentScheme
    template_name = "targets/assessmentscheme_detail.html"
    detail_fields = ("year", "name", "due", "basis")

    def get_extra_context(self, obj):
        province = is_province(self.request.user)
        assessments = models.Assessment.objects.restrict(self.request.user).filter(scheme=obj) \
            .select_related("division").order_by("rank", "division")
        return {"items": obj.items.all(), "assessments": assessments, "is_province": province,
                "open_form": forms.OpenAssessmentForm() if province else None,
                "today": timezone.localdate()}


class AssessmentSchemeEditView(generic.ObjectEditView):
    model = models.AssessmentScheme
    form_class = forms.AssessmentSchemeForm


class AssessmentItemEditView(generic.ObjectEditView):
    model = models.AssessmentItem
    form_class = forms.AssessmentItemForm


class AssessmentItemDeleteView(generic.ObjectDeleteView):
    model = models.AssessmentItem


class SchemeActionView(generic.ScopedObjectMixin, View):
    """Province actions on a scheme: open a city's assessment, rank and publish."""

    model = models.Assessment
    action = "add"

    def post(self, request, pk, step):
        scheme = get_object_or_404(models.AssessmentScheme.objects.restrict(request.user), pk=pk)
        try:
            if step == "open":
                form = forms.OpenAssessmentForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose a city."))
                services.open_assessment(scheme, form.cleaned_data["division"], request.user)
            elif step == "publish":
                services.rank_and_publish(scheme, request.user)
            else:
                raise Http404
            messages.success(request, _("Done."))
        except ValidationError as exc:
            for m in error_messages(exc):
                messages.error(request, m)
        except PermissionDenied as exc:
            raise Refused(str(exc), action="change", object="targets.assessment") from exc
        return redirect(scheme.get_absolute_url())


class AssessmentListView(generic.ObjectListView):
    model = models.Assessment
    queryset = models.Assessment.objects.select_related("scheme", "division")
    filterset_class = AssessmentFilterSet
    table_class = AssessmentTable
    filter_fields = ("scheme", "status", "grade")


class AssessmentDetailView(generic.ObjectDetailView):
    model = models.Assessment
    queryset = models.Assessment.objects.select_related("scheme", "division", "veto_incident")
    template_name = "targets/assessment_detail.html"
    detail_fields = ("scheme", "division", "status", "submitted_at", "self_total", "total", "grade", "veto",
                     "veto_reason", "veto_incident", "rank", "published_at")

    def get_extra_context(self, obj):
        user = self.request.user
        may_change = models.Assessment.objects.is_allowed(user, "change", obj)
        today = timezone.localdate()
        return {"scores": obj.scores.select_related("item"), "events": obj.events.all(),
                "self_assess": may_change and obj.status == models.Assessment.Status.DRAFT,
                "review": is_province(user) and obj.status in (models.Assessment.Status.SUBMITTED,
                                                               models.Assessment.Status.REVIEWED),
                "due": obj.scheme.due, "late": today > obj.scheme.due}


class AssessmentStepView(generic.ScopedObjectMixin, View):
    """Self-assessment (save, submit) by the city; review by the province."""

    model = models.Assessment
    action = "change"

    def post(self, request, pk, step):
        a = get_object_or_404(self.get_queryset("change"), pk=pk)
        codes = [s.item.code for s in a.scores.select_related("item")]
        try:
            if step == "save":
                scores = {c: (_num(request.POST.get(f"points_{c}")), request.POST.get(f"comment_{c}", ""))
                          for c in codes}
                evidence = {c: request.FILES[f"evidence_{c}"] for c in codes if f"evidence_{c}" in request.FILES}
                services.save_self_assessment(a, request.user, scores, report=request.POST.get("self_report"),
                                              evidence=evidence)
            elif step == "submit":
                services.submit_self_assessment(a, request.user)
            elif step == "review":
                pts = {c: (_num(request.POST.get(f"points_{c}")), request.POST.get(f"comment_{c}", ""))
                       for c in codes}
                if any(p is None for p, _c in pts.values()):
                    raise ValidationError(_("Give points for every item."))
                incident = None
                number = (request.POST.get("veto_incident") or "").strip()
                if number:
                    from zhijian.risk.models import Incident

                    incident = Incident.objects.filter(number=number).first()
                    if incident is None:
                        raise ValidationError(_("No incident %(n)s.") % {"n": number})
                services.review(a, request.user, pts, veto_reason=request.POST.get("veto_reason", ""),
                                veto_incident=incident)
            else:
                raise Http404
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            for m in error_messages(exc):
                messages.error(request, m)
        except PermissionDenied as exc:
            raise Refused(str(exc), action="change", object="targets.assessment") from exc
        return redirect(a.get_absolute_url())


def _num(value):
    from decimal import Decimal, InvalidOperation

    value = (value or "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValidationError(_("Not a number: %(v)s") % {"v": value})


class EvidenceView(generic.ScopedObjectMixin, View):
    """Download an item's evidence (scope checked through the assessment)."""

    model = models.Assessment

    def get(self, request, pk, score):
        from django.http import FileResponse

        a = get_object_or_404(self.get_queryset(), pk=pk)
        s = get_object_or_404(a.scores, pk=score)
        if not s.evidence:
            raise Http404
        return FileResponse(s.evidence.open("rb"), as_attachment=True, filename=Path(s.evidence.name).name)
