"""Main-menu entries of the registry (see ``zhijian.core.navigation``)."""
from django.utils.translation import gettext_lazy as _

from zhijian.core.navigation import MenuGroup, MenuItem

from . import models

MENU = [
    MenuGroup(_("Registry"), [
        MenuItem("registry:enterprise_list", models.Enterprise),
        MenuItem("registry:product_list", models.Product),
        MenuItem("registry:standarddeclaration_list", models.StandardDeclaration),
        MenuItem("registry:certification_list", models.Certification),
        MenuItem("registry:award_list", models.Award),
        MenuItem("registry:brand_list", models.Brand),
        MenuItem("registry:lab_list", models.Lab),
        MenuItem("registry:inspector_list", models.Inspector),
        MenuItem("registry:import", label=_("Import data")),
    ]),
    MenuGroup(_("Catalogs"), [
        MenuItem("registry:productcategory_list", models.ProductCategory),
        MenuItem("registry:standard_list", models.Standard),
        MenuItem("registry:division_list", models.Division),
        MenuItem("registry:industry_list", models.Industry),
    ]),
]
