from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "zhijian.credit"
    label = "credit"
    verbose_name = _("Quality credit")

    def ready(self):
        # Award eligibility and the "blacklisted" flag in enterprise lists (registry hooks).
        from . import registry_hooks

        registry_hooks.register()
        # Certifications, awards, brands and standard declarations become credit events.
        from . import registry_events

        registry_events.connect()
