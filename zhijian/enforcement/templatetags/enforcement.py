"""The hand-off to an enforcement case on the pages of its sources (spot-check task,
complaint conversion, major incident, recall case): ``{% load enforcement %}{% enforcement_handoff object %}``."""
from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from zhijian.core.querysets import scope_q

register = template.Library()

PARAMS = {"spotcheck.task": "task", "complaints.conversion": "conversion", "risk.incident": "incident",
          "recall.recallcase": "recall"}


@register.inclusion_tag("enforcement/_handoff.html", takes_context=True)
def enforcement_handoff(context, record):
    """Cases opened from ``record`` (those the user may see) and, where it fits, a link that opens one."""
    from ..models import Case
    from ..services import cases_from

    request = context.get("request")
    user = getattr(request, "user", None)
    if record is None or user is None or scope_q(Case, user, "view") is None:
        return {"show": False}
    label = record._meta.label_lower
    cases = list(cases_from(record).restrict(user, "view").order_by("proposed_on", "pk"))
    open_url = None
    if scope_q(Case, user, "add") is not None and not any(c.status != Case.Status.NOT_FILED for c in cases):
        fits = True
        if label == "spotcheck.task":
            fits = record.final_verdict == "unqualified"
        elif label == "risk.incident":
            fits = record.status != "rejected"
        elif label == "complaints.conversion":
            fits = record.target == "enforcement" and not record.target_id
        if fits:
            open_url = f"{reverse('enforcement:case_add')}?{PARAMS[label]}={record.pk}"
    return {"show": bool(cases or open_url), "cases": cases, "open_url": open_url,
            "label": _("Open an enforcement case"), "record_pk": record.pk}
