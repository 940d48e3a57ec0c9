from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpotcheckConfig(AppConfig):
    name = "zhijian.spotcheck"
    label = "spotcheck"
    verbose_name = _("Spot checks")
