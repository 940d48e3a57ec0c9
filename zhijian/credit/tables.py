"""List-page tables of credit (django-tables2); relations come from select_related."""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable

from . import models


class GradeTable(BaseTable):
    enterprise = tables.Column(linkify=lambda record: record.get_absolute_url())
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("USCC"))
    score = tables.Column()
    grade = tables.Column(linkify=lambda record: record.get_absolute_url())
    risk_class = tables.Column()
    method = tables.Column()
    as_of = tables.DateColumn()

    class Meta(BaseTable.Meta):
        model = models.Grade
        fields = ("enterprise", "uscc", "score", "grade", "risk_class", "method", "as_of")


# --- serious-violation list, penalty publication, credit repair ----------------------------

from django.urls import reverse  # noqa: E402

from zhijian.registry.tables import (  # noqa: E402
    EnterpriseFlagsColumn,
    EnterpriseFlagsMixin,
    FlaggedEnterpriseColumn,
)


class FlaggedGradeTable(EnterpriseFlagsMixin, GradeTable):
    """Grades with the enterprise flags (on the serious-violation list …) beside the enterprise."""

    enterprise = FlaggedEnterpriseColumn(link_row=True)  # as GradeTable: the name opens the grade


class ListingTable(BaseTable):
    id = tables.Column(verbose_name=_("entry"),
                       linkify=lambda record: reverse("credit:enterpriselisting_detail", args=[record.pk]))
    enterprise = tables.Column(linkify=True)
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("USCC"))

    class Meta(BaseTable.Meta):
        model = models.EnterpriseListing
        fields = ("id", "enterprise", "uscc", "kind", "start", "planned_end", "end", "removal",
                  "legal_basis")

    def render_id(self, value):
        return f"#{value}"


class PenaltyPublicationTable(EnterpriseFlagsMixin, BaseTable):
    decision_number = tables.Column(
        linkify=lambda record: reverse("credit:penaltypublication_detail", args=[record.pk]))
    enterprise = tables.Column(linkify=True)
    flags = EnterpriseFlagsColumn()
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("USCC"))

    class Meta(BaseTable.Meta):
        model = models.PenaltyPublication
        fields = ("decision_number", "enterprise", "uscc", "decision_date", "severity", "publish_by",
                  "published_on", "publish_until", "revoked_on", "withdraw_by", "withdrawn_on")
        sequence = ("decision_number", "enterprise", "flags", "...")


class RepairApplicationTable(EnterpriseFlagsMixin, BaseTable):
    id = tables.Column(verbose_name=_("application"),
                       linkify=lambda record: reverse("credit:repairapplication_detail", args=[record.pk]))
    enterprise = tables.Column(linkify=True)
    flags = EnterpriseFlagsColumn()
    target = tables.Column(verbose_name=_("record"), empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = models.RepairApplication
        fields = ("id", "enterprise", "target", "applied_on", "status", "reviewed_on")
        sequence = ("id", "enterprise", "flags", "...")

    def render_id(self, value):
        return f"#{value}"

    def render_target(self, record):
        if record.penalty_id:
            return f"{record.penalty._meta.verbose_name}: {record.penalty.decision_number}"
        return f"{record.listing.get_kind_display()} ({record.listing.start:%Y-%m-%d})"
