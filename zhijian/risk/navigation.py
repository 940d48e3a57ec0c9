"""Main-menu entries of risk monitoring (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Quality-safety risk"), [
        MenuItem("risk:dashboard", label=_("Risk dashboard"), staff_only=True),
        MenuItem("risk:incident_list", models.Incident),
        MenuItem("risk:alert_list", models.Alert),
        MenuItem("risk:riskassessment_list", models.RiskAssessment),
        MenuItem("risk:signal_list", models.Signal),
        MenuItem("risk:signaldefinition_list", models.SignalDefinition),
        MenuItem("risk:opinionstory_list", models.OpinionStory),
        MenuItem("risk:opinionitem_list", models.OpinionItem),
        MenuItem("risk:opinionsource_list", models.OpinionSource),
        MenuItem("risk:injurycase_list", models.InjuryCase),
        MenuItem("risk:injury_estimates", label=_("Injury estimates"), staff_only=True),
        MenuItem("risk:sentinelhospital_list", models.SentinelHospital),
        MenuItem("risk:incidentlevel_list", models.IncidentLevel),
    ]),
]
