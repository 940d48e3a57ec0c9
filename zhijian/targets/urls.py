"""Staff pages of targets and the assessment (namespace ``targets``, mounted at ``/targets/``)."""
from django.urls import path

from . import views
from .report import views as report_views

app_name = "targets"

urlpatterns = [
    path("", views.TargetSetListView.as_view(), name="targetset_list"),
    path("sets/add/", views.TargetSetEditView.as_view(), name="targetset_add"),
    path("sets/<int:pk>/", views.TargetSetDetailView.as_view(), name="targetset_detail"),
    path("sets/<int:pk>/edit/", views.TargetSetEditView.as_view(), name="targetset_edit"),
    path("targets/add/", views.TargetEditView.as_view(), name="target_add"),
    path("targets/<int:pk>/edit/", views.TargetEditView.as_view(), name="target_edit"),
    path("targets/<int:pk>/delete/", views.TargetDeleteView.as_view(), name="target_delete"),
    path("elements/", views.DataElementListView.as_view(), name="dataelement_list"),
    path("elements/add/", views.DataElementEditView.as_view(), name="dataelement_add"),
    path("elements/<int:pk>/", views.DataElementDetailView.as_view(), name="dataelement_detail"),
    path("elements/<int:pk>/edit/", views.DataElementEditView.as_view(), name="dataelement_edit"),
    path("indicators/", views.IndicatorListView.as_view(), name="indicator_list"),
    path("indicators/add/", views.IndicatorEditView.as_view(), name="indicator_add"),
    path("indicators/<int:pk>/", views.IndicatorDetailView.as_view(), name="indicator_detail"),
    path("indicators/<int:pk>/edit/", views.IndicatorEditView.as_view(), name="indicator_edit"),
    path("data-values/", views.DataValueListView.as_view(), name="datavalue_list"),
    path("data-values/add/", views.DataValueAddView.as_view(), name="datavalue_add"),
    path("data-values/import/", views.DataValueImportView.as_view(), name="datavalue_import"),
    path("data-values/<int:pk>/", views.DataValueDetailView.as_view(), name="datavalue_detail"),
    path("data-values/<int:pk>/review/", views.DataValueReviewView.as_view(), name="datavalue_review"),
    path("schemes/", views.AssessmentSchemeListView.as_view(), name="assessmentscheme_list"),
    path("schemes/add/", views.AssessmentSchemeEditView.as_view(), name="assessmentscheme_add"),
    path("schemes/<int:pk>/", views.AssessmentSchemeDetailView.as_view(), name="assessmentscheme_detail"),
    path("schemes/<int:pk>/edit/", views.AssessmentSchemeEditView.as_view(), name="assessmentscheme_edit"),
    path("schemes/<int:pk>/<slug:step>/", views.SchemeActionView.as_view(), name="assessmentscheme_step"),
    path("items/add/", views.AssessmentItemEditView.as_view(), name="assessmentitem_add"),
    path("items/<int:pk>/edit/", views.AssessmentItemEditView.as_view(), name="assessmentitem_edit"),
    path("items/<int:pk>/delete/", views.AssessmentItemDeleteView.as_view(), name="assessmentitem_delete"),
    path("assessments/", views.AssessmentListView.as_view(), name="assessment_list"),
    path("assessments/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("assessments/<int:pk>/steps/<slug:step>/", views.AssessmentStepView.as_view(), name="assessment_step"),
    path("assessments/<int:pk>/evidence/<int:score>/", views.EvidenceView.as_view(), name="assessment_evidence"),
    # quality-status reports (issue 12 §4)
    path("reports/", report_views.QualityReportListView.as_view(), name="qualityreport_list"),
    path("reports/add/", report_views.QualityReportRequestView.as_view(), name="qualityreport_add"),
    path("reports/<int:pk>/", report_views.QualityReportDetailView.as_view(), name="qualityreport_detail"),
    path("reports/<int:pk>/publish/", report_views.QualityReportPublishView.as_view(), name="qualityreport_publish"),
    path("reports/<int:pk>/<slug:fmt>/", report_views.QualityReportDownloadView.as_view(), name="qualityreport_file"),
]

# awards, brands and demonstration zones (issue 12 §3)
from . import award_views  # noqa: E402

urlpatterns += [
    path("awards/", award_views.AwardApplicationListView.as_view(), name="awardapplication_list"),
    path("awards/add/", award_views.AwardApplicationEditView.as_view(), name="awardapplication_add"),
    path("awards/<int:pk>/", award_views.AwardApplicationDetailView.as_view(), name="awardapplication_detail"),
    path("awards/<int:pk>/edit/", award_views.AwardApplicationEditView.as_view(), name="awardapplication_edit"),
    path("awards/<int:pk>/steps/<slug:step>/", award_views.AwardApplicationStepView.as_view(),
         name="awardapplication_step"),
    path("brands/", award_views.BrandListView.as_view(), name="brand_list"),
    path("brands/add/", award_views.BrandEditView.as_view(), name="brand_add"),
    path("brands/<int:pk>/", award_views.BrandDetailView.as_view(), name="brand_detail"),
    path("brands/<int:pk>/edit/", award_views.BrandEditView.as_view(), name="brand_edit"),
    path("brands/<int:pk>/delete/", award_views.BrandDeleteView.as_view(), name="brand_delete"),
    path("zones/", award_views.DemonstrationZoneListView.as_view(), name="demonstrationzone_list"),
    path("zones/add/", award_views.DemonstrationZoneEditView.as_view(), name="demonstrationzone_add"),
    path("zones/<int:pk>/", award_views.DemonstrationZoneDetailView.as_view(), name="demonstrationzone_detail"),
    path("zones/<int:pk>/edit/", award_views.DemonstrationZoneEditView.as_view(), name="demonstrationzone_edit"),
    path("zones/<int:pk>/delete/", award_views.DemonstrationZoneDeleteView.as_view(),
         name="demonstrationzone_delete"),
]
