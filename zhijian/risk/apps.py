from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "zhijian.risk"
    label = "risk"
    verbose_name = _("Quality-safety risk")
