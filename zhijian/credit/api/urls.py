from rest_framework.routers import DefaultRouter

from . import views

app_name = "credit-api"
router = DefaultRouter()
router.register("grades", views.GradeViewSet, basename="grade")
urlpatterns = router.urls
