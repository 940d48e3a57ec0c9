"""Import pages (included by ``registry/urls.py``, in the ``registry`` namespace).

``registry:import`` chooses the type; ``registry:<model>_import`` (e.g.
``registry:enterprise_import``) is the page of one importable model, the name
the list pages link to.
"""
from django.urls import path

from . import import_views as v

urlpatterns = [
    path("import/", v.ImportView.as_view(), name="import"),
    path("import/jobs/", v.ImportJobListView.as_view(), name="importjob_list"),
    path("import/jobs/<int:pk>/", v.ImportJobDetailView.as_view(), name="importjob_detail"),
    path("import/jobs/<int:pk>/errors.csv", v.ImportJobErrorsView.as_view(), name="importjob_errors"),
    path("import/<slug:kind>/template.<str:fmt>", v.ImportTemplateView.as_view(), name="import_template"),
]
for _name, _cls in v.IMPORTABLE.items():
    urlpatterns.append(path(f"import/{_name}/", v.ImportView.as_view(kind=_name),
                            name=f"{_cls.model._meta.model_name}_import"))
