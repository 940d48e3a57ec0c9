from django.urls import path

from zhijian.complaints import views_stats as complaints_stats

from . import complaint_views, credit_views, recall_views, report_views, risk_views, spotcheck_views, views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("declarations/", views.DeclarationListView.as_view(), name="declaration_list"),
    path("declarations/<int:pk>/", views.DeclarationDetailView.as_view(), name="declaration_detail"),
    path("enterprises/", views.EnterpriseLookupView.as_view(), name="enterprise_lookup"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    # spot-check publication (一公开): plans, draws, results, pass rates, open data
    path("spotchecks/", spotcheck_views.PlanListView.as_view(), name="spotcheck_plan_list"),
    path("spotchecks/<int:pk>/", spotcheck_views.PlanDetailView.as_view(), name="spotcheck_plan_detail"),
    path("spotchecks/<int:pk>/draw-record.json", spotcheck_views.DrawRecordView.as_view(),
         name="spotcheck_draw_record"),
    path("spotchecks/<int:pk>/pool.csv", spotcheck_views.DrawPoolView.as_view(), name="spotcheck_draw_pool"),
    path("spotchecks/commitments/", spotcheck_views.CommitmentListView.as_view(),
         name="spotcheck_commitments"),
    path("spotchecks/draw-spec.md", spotcheck_views.DrawSpecView.as_view(), name="spotcheck_draw_spec"),
    path("spotchecks/results/", spotcheck_views.ResultListView.as_view(), name="spotcheck_results"),
    path("spotchecks/results/<int:pk>/", spotcheck_views.ResultDetailView.as_view(),
         name="spotcheck_result_detail"),
    path("spotchecks/pass-rates/", spotcheck_views.PassRateView.as_view(), name="spotcheck_passrates"),
    path("spotchecks/open-data/", spotcheck_views.OpenDataView.as_view(), name="spotcheck_opendata"),
    # consumer warnings (published risk alerts)
    path("warnings/", risk_views.WarningListView.as_view(), name="warning_list"),
    path("warnings/<int:pk>/", risk_views.WarningDetailView.as_view(), name="warning_detail"),
    # recall notices (published recall records)
    path("recalls/", recall_views.RecallListView.as_view(), name="recall_list"),
    path("recalls/<int:pk>/", recall_views.RecallDetailView.as_view(), name="recall_detail"),
    # complaints and reports (投诉举报): the public form and the status lookup by ticket and code
    path("complaints/submit/", complaint_views.ComplaintFormView.as_view(), name="complaint_form"),
    path("complaints/received/", complaint_views.ComplaintReceiptView.as_view(), name="complaint_receipt"),
    path("complaints/status/", complaint_views.ComplaintStatusView.as_view(), name="complaint_status"),
    path("complaints/open-data/", complaints_stats.OpenDataView.as_view(), name="complaint_opendata"),
    # quality-status reports (issue 12 §4)
    path("reports/", report_views.ReportListView.as_view(), name="report_list"),
    path("reports/<int:pk>/<slug:fmt>/", report_views.ReportFileView.as_view(), name="report_file"),
    # public credit page per enterprise (DESIGN §6.3, §7)
    path("credit/<str:uscc>/", credit_views.CreditPageView.as_view(), name="credit_page"),
]
