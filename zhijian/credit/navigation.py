"""Main-menu entries of quality credit (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Quality credit"), [
        MenuItem("credit:grade_list", models.Grade),
    ]),
]
