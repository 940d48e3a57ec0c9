"""Staff pages of enforcement (namespace ``enforcement``, mounted at ``/enforcement/``)."""
from django.urls import path

from . import views

app_name = "enforcement"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/add/", views.CaseAddView.as_view(), name="case_add"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/steps/<slug:step>/", views.CaseStepView.as_view(), name="case_step"),
    path("decisions/", views.PenaltyDecisionListView.as_view(), name="penaltydecision_list"),
    path("decisions/<int:pk>/", views.PenaltyDecisionDetailView.as_view(), name="penaltydecision_detail"),
    path("decisions/<int:pk>/steps/<slug:step>/", views.PenaltyDecisionStepView.as_view(),
         name="penaltydecision_step"),
    path("transfers/", views.JudicialTransferListView.as_view(), name="judicialtransfer_list"),
    path("transfers/<int:pk>/", views.JudicialTransferDetailView.as_view(), name="judicialtransfer_detail"),
    path("transfers/<int:pk>/steps/<slug:step>/", views.JudicialTransferStepView.as_view(),
         name="judicialtransfer_step"),
]
