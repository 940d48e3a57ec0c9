"""Registry pages: ``registry:<model>_list|_detail|_add|_edit|_delete``.

Other page sets are appended to ``urlpatterns`` below (e.g. the import pages of
``urls_import.py``, when that module exists).
"""
from importlib import import_module

from django.urls import path

from .views import PAGES

app_name = "registry"


def model_urls(name: str, prefix: str, pk: str, views) -> list:
    list_view, detail_view, edit_view, delete_view = views
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit_view.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<{pk}:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<{pk}:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<{pk}:pk>/delete/", delete_view.as_view(), name=f"{name}_delete"),
    ]


urlpatterns: list = []
for _name, _prefix, _pk, _views in PAGES:
    urlpatterns += model_urls(_name, _prefix, _pk, _views)


def _optional(module: str) -> list:
    try:
        return list(import_module(module).urlpatterns)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return []


# Import pages (CSV / Excel) live in their own module, owned by the import feature.
urlpatterns += _optional("zhijian.registry.urls_import")
