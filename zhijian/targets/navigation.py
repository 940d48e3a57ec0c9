"""Main-menu entries of targets and the assessment (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Targets and assessment"), [
        MenuItem("targets:targetset_list", models.TargetSet),
        MenuItem("targets:indicator_list", models.Indicator),
        MenuItem("targets:dataelement_list", models.DataElement),
        MenuItem("targets:datavalue_list", models.DataValue),
        MenuItem("targets:assessmentscheme_list", models.AssessmentScheme),
        MenuItem("targets:assessment_list", models.Assessment),
        MenuItem("targets:awardapplication_list", models.AwardApplication),
        MenuItem("targets:brand_list", models.Brand),
        MenuItem("targets:demonstrationzone_list", models.DemonstrationZone),
        MenuItem("targets:qualityreport_list", models.QualityReport),
    ]),
]
