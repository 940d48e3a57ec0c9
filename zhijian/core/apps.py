from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhijian.core"
    label = "core"
    verbose_name = "Core"
