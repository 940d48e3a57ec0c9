"""Pages of award applications, recognised brands and demonstration zones (issue 12 §3).

Lists, details and the forms come from the generic views (rows ``restrict``-ed to the user's
scope); the application's steps (submit, check, review, decide, pay) are POST actions that call
``award_services``, which checks scope, role and state again.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from zhijian.core import views as generic
from zhijian.core.request_log import Refused

from . import award_forms as forms
from . import award_services as services
from . import awards
from .award_filtersets import AwardApplicationFilterSet, BrandFilterSet, DemonstrationZoneFilterSet
from .award_tables import AwardApplicationTable, BrandTable, DemonstrationZoneTable
from .views import error_messages

S = awards.AwardApplication.Status


class AwardApplicationListView(generic.ObjectListView):
    model = awards.AwardApplication
    queryset = awards.AwardApplication.objects.select_related("enterprise")
    filterset_class = AwardApplicationFilterSet
    table_class = AwardApplicationTable
    filter_fields = ("kind", "year", "status", "division")


class AwardApplicationDetailView(generic.ObjectDetailView):
    model = awards.AwardApplication
    queryset = awards.AwardApplication.objects.select_related("enterprise")
    template_name = "targets/awardapplication_detail.html"
    detail_fields = ("enterprise", "kind", "year", "title", "documents", "notes", "status", "submitted_at",
                     "checked_on", "decision_date", "decision_number", "decision_note", "reward_amount",
                     "reward_note", "payment_due", "paid_on", "voucher_number")

    def get_extra_context(self, obj):
        user = self.request.user
        may_change = awards.AwardApplication.objects.is_allowed(user, "change", obj)
        staff = services._is_staff(user)
        decides = staff and (obj.kind not in services.PROVINCIAL_KINDS or services._is_province(user))
        steps = {
            "submit": may_change and obj.status == S.DRAFT,
            "check": may_change and staff and obj.status in (S.SUBMITTED, S.INELIGIBLE),
            "review": may_change and decides and obj.status == S.ELIGIBLE,
            "decide": may_change and decides and obj.status == S.UNDER_REVIEW,
            "pay": may_change and services._is_province(user) and obj.status == S.GRANTED
            and bool(obj.reward_amount) and not obj.paid_on,
        }
        return {"steps": steps, "events": obj.events.select_related("user"),
                "check_form": forms.CheckForm(), "decision_form": forms.DecisionForm(),
                "payment_form": forms.PaymentForm(), "reasons": obj.ineligible_reasons,
                "edit_url": self.url_or_none("edit", obj.pk) if may_change and obj.status == S.DRAFT else None}


class AwardApplicationEditView(generic.ObjectEditView):
    model = awards.AwardApplication
    form_class = forms.AwardApplicationForm


class AwardApplicationStepView(generic.ScopedObjectMixin, View):
    model = awards.AwardApplication
    action = "change"

    def post(self, request, pk, step):
        app = get_object_or_404(self.get_queryset("change"), pk=pk)
        try:
            if step == "submit":
                services.submit(app, request.user)
            elif step == "check":
                form = forms.CheckForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(error_list(form))
                app = services.check_eligibility(app, request.user,
                                                 on=form.cleaned_data["on"] or timezone.localdate())
            elif step == "review":
                services.start_review(app, request.user)
            elif step == "decide":
                form = forms.DecisionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(error_list(form))
                d = form.cleaned_data
                services.decide(app, request.user, grant=d["decision"] == "grant", on=d["on"], number=d["number"],
                                note=d["note"], payment_due=d["payment_due"])
            elif step == "pay":
                form = forms.PaymentForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(error_list(form))
                services.record_payment(app, request.user, paid_on=form.cleaned_data["paid_on"],
                                        voucher=form.cleaned_data["voucher"])
            else:
                raise Http404
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            for m in error_messages(exc):
                messages.error(request, m)
        except PermissionDenied as exc:
            raise Refused(str(exc), action="change", object="targets.awardapplication") from exc
        return redirect(app.get_absolute_url())


def error_list(form) -> list[str]:
    return [f"{form.fields[name].label if name in form.fields else ''}: {m}".lstrip(": ")
            for name, msgs in form.errors.items() for m in msgs]


class BrandListView(generic.ObjectListView):
    model = awards.Brand
    queryset = awards.Brand.objects.select_related("enterprise", "division")
    filterset_class = BrandFilterSet
    table_class = BrandTable
    filter_fields = ("kind", "year", "division")


class BrandDetailView(generic.ObjectDetailView):
    model = awards.Brand
    queryset = awards.Brand.objects.select_related("enterprise", "division")
    detail_fields = ("name", "kind", "enterprise", "division", "year", "recognised_on", "valid_until", "note")


class BrandEditView(generic.ObjectEditView):
    model = awards.Brand
    form_class = forms.BrandForm


class BrandDeleteView(generic.ObjectDeleteView):
    model = awards.Brand


class DemonstrationZoneListView(generic.ObjectListView):
    model = awards.DemonstrationZone
    queryset = awards.DemonstrationZone.objects.select_related("division")
    filterset_class = DemonstrationZoneFilterSet
    table_class = DemonstrationZoneTable
    filter_fields = ("kind", "status", "year", "division")


class DemonstrationZoneDetailView(generic.ObjectDetailView):
    model = awards.DemonstrationZone
    queryset = awards.DemonstrationZone.objects.select_related("division")
    detail_fields = ("name", "kind", "division", "status", "year", "approved_on", "note")


class DemonstrationZoneEditView(generic.ObjectEditView):
    model = awards.DemonstrationZone
    form_class = forms.DemonstrationZoneForm


class DemonstrationZoneDeleteView(generic.ObjectDeleteView):
    model = awards.DemonstrationZone
