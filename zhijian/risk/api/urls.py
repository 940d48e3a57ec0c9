from rest_framework.routers import DefaultRouter

from . import views

app_name = "risk-api"
router = DefaultRouter()
router.register("incident-levels", views.IncidentLevelViewSet, basename="incidentlevel")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("assessments", views.RiskAssessmentViewSet, basename="riskassessment")
router.register("signal-definitions", views.SignalDefinitionViewSet, basename="signaldefinition")
router.register("signals", views.SignalViewSet, basename="signal")
router.register("sentinel-hospitals", views.SentinelHospitalViewSet, basename="sentinelhospital")
router.register("injury-cases", views.InjuryCaseViewSet, basename="injurycase")
router.register("opinion-sources", views.OpinionSourceViewSet, basename="opinionsource")
router.register("opinion-items", views.OpinionItemViewSet, basename="opinionitem")
router.register("opinion-stories", views.OpinionStoryViewSet, basename="opinionstory")
urlpatterns = router.urls
