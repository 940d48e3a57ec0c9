from django.urls import path

from . import views, views_runs

app_name = "credit"
urlpatterns = [
    path("grades/", views.GradeListView.as_view(), name="grade_list"),
    path("grades/<int:pk>/", views.GradeDetailView.as_view(), name="grade_detail"),
    path("mine/", views.MyGradeView.as_view(), name="mine"),
    path("runs/", views_runs.GradingRunListView.as_view(), name="gradingrun_list"),
    path("runs/start/", views_runs.GradingRunStartView.as_view(), name="gradingrun_start"),
    path("runs/<int:pk>/", views_runs.GradingRunDetailView.as_view(), name="gradingrun_detail"),
]

# Serious-violation / abnormal-operation lists, penalty publication, credit repair (DESIGN §6.3).
urlpatterns += [
    path("mine/records/", views.MyCreditView.as_view(), name="mine_records"),
    path("listings/", views.ListingListView.as_view(), name="enterpriselisting_list"),
    path("listings/add/", views.ListingAddView.as_view(), name="enterpriselisting_add"),
    path("listings/<int:pk>/", views.ListingDetailView.as_view(), name="enterpriselisting_detail"),
    path("listings/<int:pk>/remove/", views.ListingRemoveView.as_view(), name="enterpriselisting_remove"),
    path("penalties/", views.PenaltyListView.as_view(), name="penaltypublication_list"),
    path("penalties/add/", views.PenaltyAddView.as_view(), name="penaltypublication_add"),
    path("penalties/<int:pk>/", views.PenaltyDetailView.as_view(), name="penaltypublication_detail"),
    path("penalties/<int:pk>/<slug:step>/", views.PenaltyStepView.as_view(), name="penaltypublication_step"),
    path("repairs/", views.RepairListView.as_view(), name="repairapplication_list"),
    path("repairs/apply/", views.RepairApplyView.as_view(), name="repair_apply"),
    path("repairs/<int:pk>/", views.RepairDetailView.as_view(), name="repairapplication_detail"),
    path("repairs/<int:pk>/review/", views.RepairReviewView.as_view(), name="repairapplication_review"),
    path("repairs/<int:pk>/evidence/", views.RepairEvidenceView.as_view(), name="repairapplication_evidence"),
]

# Exchange with the provincial credit platform and the agency query log (docs/credit-exchange.md).
from . import views_exchange  # noqa: E402

urlpatterns += [
    path("exchange/", views_exchange.ExchangeView.as_view(), name="exchange"),
    path("exchange/<int:pk>/download/", views_exchange.ExchangeDownloadView.as_view(), name="exchange_download"),
    path("exchange/import/", views_exchange.ExchangeImportView.as_view(), name="exchange_import"),
    path("external-records/", views_exchange.ExternalCreditRecordListView.as_view(),
         name="externalcreditrecord_list"),
    path("agency-queries/", views_exchange.AgencyQueryListView.as_view(), name="agencyquery_list"),
]
