"""The public complaint and report form and the status lookup (DESIGN §6.2, §10).

Anyone may submit a complaint (投诉) or a report (举报, optionally anonymous) with
the public form; the receipt page shows the ticket number and the verification
code once (the code is stored only as a keyed hash). The status lookup takes the
ticket and the code by POST; a wrong ticket and a wrong code get the same
answer, so tickets cannot be enumerated, and lookups have their own stricter rate
limit (``complaint_lookup``, default 10 a minute per address) on top of the
portal's. The status page shows the case's progress and outcome and no personal
data except the masked name. Every page here is rate-limited like the rest of the
portal (``PortalRateThrottle``) and CSRF-protected.
"""
from __future__ import annotations


from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from rest_framework.settings import api_settings

from zhijian.complaints import services
from zhijian.complaints.forms import PublicComplaintForm, StatusLookupForm, apply_errors
from zhijian.complaints.masking import mask_name
from zhijian.complaints.models import Case, Kind

from zhijian.core.throttling import PortalRateThrottle, ThrottledView, too_many_requests

RECEIPT_KEY = "portal_complaint_receipt"
LOOKUP_RATE = "10/minute"


class LookupThrottle(PortalRateThrottle):
    """Status lookups: ``DEFAULT_THROTTLE_RATES["complaint_lookup"]``, else 10 a minute."""

    scope = "complaint_lookup"

    def get_rate(self):
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope) or LOOKUP_RATE


class ComplaintFormView(ThrottledView):
    template_name = "portal/complaints/form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PublicComplaintForm()})

    def post(self, request):
        form = PublicComplaintForm(request.POST)
        if form.is_valid():
            try:
                case, code = form.receive(None)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                request.session[RECEIPT_KEY] = {"ticket": case.ticket, "code": code, "kind": case.kind}
                return redirect("portal:complaint_receipt")
        return render(request, self.template_name, {"form": form})


class ComplaintReceiptView(ThrottledView):
    """Ticket and code, once: a reload shows that they were already shown."""

    def get(self, request):
        receipt = request.session.pop(RECEIPT_KEY, None)
        return render(request, "portal/complaints/receipt.html", {"receipt": receipt})


def public_status(case: Case) -> dict:
    """What the complainant sees: progress and outcome, no personal data but the masked name."""
    person = getattr(case, "complainant", None)
    return {
        "ticket": case.ticket,
        "kind": case.get_kind_display(),
        "is_report": case.kind == Kind.REPORT,
        "name": mask_name(person.name) if person is not None and person.name else "",
        "respondent": case.respondent_name,
        "product": case.product,
        "bureau": case.division.name,
        "status": case.get_status_display(),
        "status_code": case.status,
        "received_on": case.received_on,
        "accept_due": case.accept_due if case.status == Case.Status.RECEIVED else None,
        "decided_on": case.decided_on,
        "accepted": case.kind == Kind.COMPLAINT and bool(case.decided_on) and not case.rejection_reason,
        "rejection_reason": case.get_rejection_reason_display() if case.rejection_reason else "",
        "outcome": case.get_outcome_display() if case.outcome else "",
        "termination_reason": case.get_termination_reason_display() if case.termination_reason else "",
        "amount_refunded": case.amount_refunded,
        "amount_compensated": case.amount_compensated,
        "closed_on": case.closed_on,
        "mediations": [m.date for m in case.mediations.all()],
    }


class ComplaintStatusView(ThrottledView):
    template_name = "portal/complaints/status.html"

    def get(self, request):
        return render(request, self.template_name, {"form": StatusLookupForm()})

    def post(self, request):
        throttle = LookupThrottle()
        if not throttle.allow_request(request, self):
            return too_many_requests(throttle.wait())
        form = StatusLookupForm(request.POST)
        status = None
        not_found = False
        if form.is_valid():
            case = services.find_by_ticket(form.cleaned_data["ticket"], form.cleaned_data["code"])
            if case is None:
                not_found = True
            else:
                status = public_status(case)
        return render(request, self.template_name, {"form": StatusLookupForm() if status else form,
                                                    "status": status, "not_found": not_found})
