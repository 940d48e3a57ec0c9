from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhijian.accounts"
    label = "accounts"
    verbose_name = _("Accounts and audit")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401
        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="zhijian_role_groups")
