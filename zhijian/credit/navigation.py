"""Main-menu entries of quality credit (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Quality credit"), [
        MenuItem("credit:grade_list", models.Grade),
        MenuItem("credit:enterpriselisting_list", models.EnterpriseListing),
        MenuItem("credit:penaltypublication_list", models.PenaltyPublication),
        MenuItem("credit:repairapplication_list", models.RepairApplication),
        MenuItem("credit:gradingrun_list", models.GradingRun, staff_only=True),
    ]),
]

# Exchange with the provincial credit platform, records of other agencies, the agency query log.
from .views_exchange import AgencyQueryGate, ExchangeExportGate  # noqa: E402

MENU[0].items.extend([
    MenuItem("credit:externalcreditrecord_list", models.ExternalCreditRecord, staff_only=True),
    MenuItem("credit:agencyquery_list", AgencyQueryGate, staff_only=True),
    MenuItem("credit:exchange", ExchangeExportGate, staff_only=True),
])
