"""Main-menu entries of the spot-check staff pages (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Spot checks"), [
        MenuItem("spotcheck:dashboard", label=_("Spot-check dashboard"), staff_only=True),
        MenuItem("spotcheck:plan_list", models.Plan),
        MenuItem("spotcheck:task_list", models.Task),
        MenuItem("spotcheck:inspectorconflict_list", models.InspectorConflict),
    ]),
]
