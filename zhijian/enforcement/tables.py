"""Tables of the enforcement list pages."""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable

from . import models


class CaseTable(BaseTable):
    number = tables.Column(linkify=True)
    title = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Case
        fields = ("number", "title", "enterprise", "division", "origin", "status", "proposed_on", "decision_due",
                  "suspended")


class PenaltyDecisionTable(BaseTable):
    number = tables.Column(linkify=True)
    enterprise = tables.Column(accessor="case__enterprise", verbose_name=_("enterprise"), orderable=False)
    penalties = tables.Column(accessor="kinds", verbose_name=_("penalties"), orderable=False)

    class Meta(BaseTable.Meta):
        model = models.PenaltyDecision
        fields = ("number", "decided_on", "enterprise", "penalties", "fine", "severity", "payment_due", "paid_on",
                  "revoked_on")

    def render_penalties(self, record):
        return "、".join(str(x) for x in record.kind_labels())


class JudicialTransferTable(BaseTable):
    case = tables.Column(linkify=lambda record: record.get_absolute_url(), accessor="case__number",
                         verbose_name=_("case"))

    class Meta(BaseTable.Meta):
        model = models.JudicialTransfer
        fields = ("case", "transferred_on", "organ_kind", "organ_name", "suspected_crime", "status", "status_on",
                  "reply_due")
