from rest_framework.routers import DefaultRouter

from . import views

app_name = "complaints-api"
router = DefaultRouter()
router.register("cases", views.CaseViewSet, basename="case")
urlpatterns = router.urls
