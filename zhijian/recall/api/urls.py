from rest_framework.routers import DefaultRouter

from . import views

app_name = "recall-api"
router = DefaultRouter()
router.register("lots", views.LotViewSet, basename="lot")
router.register("movements", views.MovementViewSet, basename="movement")
router.register("cases", views.RecallCaseViewSet, basename="recallcase")
router.register("records", views.RecallRecordViewSet, basename="recallrecord")
urlpatterns = router.urls
