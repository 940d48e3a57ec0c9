"""Staff pages of complaints and reports (namespace ``complaints``, mounted at ``/complaints/``)."""
from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/add/", views.CaseIntakeView.as_view(), name="case_add"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/receipt/", views.CaseReceiptView.as_view(), name="case_receipt"),
    path("cases/<int:pk>/steps/<slug:step>/", views.CaseStepView.as_view(), name="case_step"),
]

# Statistics, daily counts, the 12315 import page and the monthly open data (urls_stats.py).
from . import urls_stats  # noqa: E402

urlpatterns += urls_stats.urlpatterns
