"""Main-menu entries of the public portal (shown to everyone)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Public information"), [
        MenuItem("portal:enterprise_lookup", label=_("Enterprise lookup"), public=True),
        MenuItem("portal:declaration_list", label=_("Standard self-declarations"), public=True),
        MenuItem("portal:spotcheck_plan_list", label=_("Spot-check plans and draws"), public=True),
        MenuItem("portal:spotcheck_results", label=_("Spot-check results"), public=True),
        MenuItem("portal:spotcheck_passrates", label=_("Pass rates"), public=True),
        MenuItem("portal:recall_list", label=_("Recall notices"), public=True),
        MenuItem("portal:report_list", label=_("Quality-status reports"), public=True),
        MenuItem("portal:complaint_form", label=_("Submit a complaint or report"), public=True),
        MenuItem("portal:complaint_status", label=_("Follow a complaint or report"), public=True),
        MenuItem("portal:complaint_opendata", label=_("Complaint open data"), public=True),
    ], public=True),
]
