"""Main-menu entries of complaints and reports (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Complaints and reports"), [
        MenuItem("complaints:dashboard", label=_("Complaints dashboard"), staff_only=True),
        MenuItem("complaints:case_list", models.Case),
        MenuItem("complaints:stats", label=_("Complaint statistics"), staff_only=True),
        MenuItem("complaints:import", label=_("Import 12315 complaints"), staff_only=True),
        MenuItem("complaints:classifier", label=_("Complaint classifier"), staff_only=True),
    ]),
]
