"""Main-menu entries of enforcement (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Enforcement"), [
        MenuItem("enforcement:dashboard", label=_("Enforcement dashboard"), staff_only=True),
        MenuItem("enforcement:case_list", models.Case),
        MenuItem("enforcement:penaltydecision_list", models.PenaltyDecision),
        MenuItem("enforcement:judicialtransfer_list", models.JudicialTransfer),
    ]),
]
