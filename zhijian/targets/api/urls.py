from rest_framework.routers import DefaultRouter

from . import views

app_name = "targets-api"
router = DefaultRouter()
router.register("data-elements", views.DataElementViewSet, basename="dataelement")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("data-values", views.DataValueViewSet, basename="datavalue")
router.register("target-sets", views.TargetSetViewSet, basename="targetset")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
# awards, brands and demonstration zones (issue 12 §3)
from . import award_views  # noqa: E402

router.register("award-applications", award_views.AwardApplicationViewSet, basename="awardapplication")
router.register("brands", award_views.RecognisedBrandViewSet, basename="brand")
router.register("demonstration-zones", award_views.DemonstrationZoneViewSet, basename="demonstrationzone")
router.register("quality-reports", views.QualityReportViewSet, basename="qualityreport")
urlpatterns = router.urls
