"""Tables of the risk list pages."""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable

from . import models


class IncidentTable(BaseTable):
    number = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i")
    reported_at = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = models.Incident
        fields = ("number", "occurred_at", "enterprise", "category", "product_name", "level", "deaths",
                  "serious_injuries", "status", "reported_at")


class AlertTable(BaseTable):
    number = tables.Column(linkify=True)
    title = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Alert
        fields = ("number", "title", "category", "level", "source", "status", "division", "created")


class SentinelHospitalTable(BaseTable):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.SentinelHospital
        fields = ("code", "name", "division", "stratum", "weight", "active")


class InjuryCaseTable(BaseTable):
    case_number = tables.Column(linkify=True)
    hospital = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.InjuryCase
        fields = ("case_number", "hospital", "treated_on", "product", "hazard", "classified", "diagnosis", "disposition")


class IncidentLevelTable(BaseTable):
    name = tables.Column(linkify=True, verbose_name=_("name"))

    class Meta(BaseTable.Meta):
        model = models.IncidentLevel
        fields = ("rank", "name", "min_deaths", "min_serious_injuries", "min_loss", "report_hours",
                  "escalate_hours", "escalate_to", "follow_up_days")


class RiskAssessmentTable(BaseTable):
    product = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.RiskAssessment
        fields = ("product", "category", "hazard", "level", "probability", "worst_scenario", "version", "assessor",
                  "created")


class SignalTable(BaseTable):
    week = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Signal
        fields = ("week", "definition", "category", "hazard", "division", "observed", "statistic", "threshold",
                  "status")


class SignalDefinitionTable(BaseTable):
    name = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.SignalDefinition
        fields = ("code", "name", "source", "method", "level", "active")


class OpinionSourceTable(BaseTable):
    name = tables.Column(linkify=True)
    last_fetched = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = models.OpinionSource
        fields = ("name", "kind", "division", "interval_minutes", "active", "last_fetched", "last_status",
                  "last_count")


class OpinionItemTable(BaseTable):
    title = tables.Column(linkify=True)
    published = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = models.OpinionItem
        fields = ("published", "title", "source", "category", "hazard", "division", "sentiment", "duplicate_of",
                  "story")


class OpinionStoryTable(BaseTable):
    title = tables.Column(linkify=True)
    last_seen = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = models.OpinionStory
        fields = ("title", "last_seen", "item_count", "category", "hazard", "division", "sentiment", "relevance",
                  "triage")
