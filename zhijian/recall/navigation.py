"""Main-menu entries of traceability and recalls (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Traceability and recalls"), [
        MenuItem("recall:recallcase_list", models.RecallCase),
        MenuItem("recall:lot_list", models.Lot),
        MenuItem("recall:movement_list", models.Movement),
        MenuItem("recall:recallrecord_list", models.RecallRecord),
    ]),
]
