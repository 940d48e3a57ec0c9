from rest_framework.routers import DefaultRouter

from . import views

app_name = "enforcement-api"
router = DefaultRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("decisions", views.PenaltyDecisionViewSet, basename="penaltydecision")
router.register("transfers", views.JudicialTransferViewSet, basename="judicialtransfer")
urlpatterns = router.urls
