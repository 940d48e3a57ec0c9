"""Staff pages of risk monitoring (namespace ``risk``, mounted at ``/risk/``)."""
from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("incidents/", views.IncidentListView.as_view(), name="incident_list"),
    path("incidents/add/", views.IncidentAddView.as_view(), name="incident_add"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("incidents/<int:pk>/steps/<slug:step>/", views.IncidentStepView.as_view(), name="incident_step"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/add/", views.AlertAddView.as_view(), name="alert_add"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<int:pk>/steps/<slug:step>/", views.AlertStepView.as_view(), name="alert_step"),
    path("assessments/", views.RiskAssessmentListView.as_view(), name="riskassessment_list"),
    path("assessments/add/", views.RiskAssessmentAddView.as_view(), name="riskassessment_add"),
    path("assessments/<int:pk>/", views.RiskAssessmentDetailView.as_view(), name="riskassessment_detail"),
    path("signals/", views.SignalListView.as_view(), name="signal_list"),
    path("signals/<int:pk>/", views.SignalDetailView.as_view(), name="signal_detail"),
    path("signals/<int:pk>/steps/<slug:step>/", views.SignalStepView.as_view(), name="signal_step"),
    path("signal-definitions/", views.SignalDefinitionListView.as_view(), name="signaldefinition_list"),
    path("signal-definitions/<int:pk>/", views.SignalDefinitionDetailView.as_view(), name="signaldefinition_detail"),
    path("injury-cases/import/", views.InjuryCaseImportView.as_view(), name="injurycase_import"),
    path("injury-estimates/", views.InjuryEstimatesView.as_view(), name="injury_estimates"),
    path("incident-levels/", views.IncidentLevelListView.as_view(), name="incidentlevel_list"),
    path("incident-levels/<int:pk>/", views.IncidentLevelDetailView.as_view(), name="incidentlevel_detail"),
    path("opinion/items/", views.OpinionItemListView.as_view(), name="opinionitem_list"),
    path("opinion/items/<int:pk>/", views.OpinionItemDetailView.as_view(), name="opinionitem_detail"),
    path("opinion/stories/", views.OpinionStoryListView.as_view(), name="opinionstory_list"),
    path("opinion/stories/<int:pk>/", views.OpinionStoryDetailView.as_view(), name="opinionstory_detail"),
    path("opinion/stories/<int:pk>/triage/", views.OpinionStoryTriageView.as_view(), name="opinionstory_triage"),
]
for name, prefix, views_ in (
        ("sentinelhospital", "sentinel-hospitals", (views.SentinelHospitalListView, views.SentinelHospitalDetailView,
                                                    views.SentinelHospitalEditView, views.SentinelHospitalDeleteView)),
        ("opinionsource", "opinion/sources", (views.OpinionSourceListView, views.OpinionSourceDetailView,
                                              views.OpinionSourceEditView, views.OpinionSourceDeleteView)),
        ("injurycase", "injury-cases", (views.InjuryCaseListView, views.InjuryCaseDetailView,
                                        views.InjuryCaseEditView, views.InjuryCaseDeleteView))):
    list_v, detail_v, edit_v, delete_v = views_
    urlpatterns += [
        path(f"{prefix}/", list_v.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit_v.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail_v.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit_v.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete_v.as_view(), name=f"{name}_delete"),
    ]
