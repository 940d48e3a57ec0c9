"""Pages of traceability and recalls (namespace ``recall``, mounted at ``/recall/``)."""
from django.urls import path

from . import import_views, views

app_name = "recall"

urlpatterns = [
    path("cases/", views.RecallCaseListView.as_view(), name="recallcase_list"),
    path("cases/add/", views.RecallCaseAddView.as_view(), name="recallcase_add"),
    path("cases/<int:pk>/", views.RecallCaseDetailView.as_view(), name="recallcase_detail"),
    path("cases/<int:pk>/steps/<slug:step>/", views.RecallCaseStepView.as_view(), name="recallcase_step"),
    path("records/", views.RecallRecordListView.as_view(), name="recallrecord_list"),
    path("records/<int:pk>/", views.RecallRecordDetailView.as_view(), name="recallrecord_detail"),
    path("import/lots/", import_views.ImportView.as_view(kind="lots"), name="lot_import"),
    path("import/movements/", import_views.ImportView.as_view(kind="movements"), name="movement_import"),
    path("import/<slug:kind>/template.<str:fmt>", import_views.ImportTemplateView.as_view(), name="import_template"),
]
for name, prefix, views_ in (
        ("lot", "lots", (views.LotListView, views.LotDetailView, views.LotEditView, views.LotDeleteView)),
        ("movement", "movements", (views.MovementListView, views.MovementDetailView, views.MovementEditView,
                                   views.MovementDeleteView))):
    list_v, detail_v, edit_v, delete_v = views_
    urlpatterns += [
        path(f"{prefix}/", list_v.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit_v.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail_v.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit_v.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete_v.as_view(), name=f"{name}_delete"),
    ]
