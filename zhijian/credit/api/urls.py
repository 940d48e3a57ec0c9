from django.urls import path
from rest_framework.routers import DefaultRouter

from . import agency, views

app_name = "credit-api"
router = DefaultRouter()
router.register("grades", views.GradeViewSet, basename="grade")
urlpatterns = router.urls
urlpatterns += [
    path("agency/enterprises/", agency.AgencyLookupByQueryView.as_view(), name="agency-lookup-query"),
    path("agency/enterprises/<str:uscc>/", agency.AgencyLookupView.as_view(), name="agency-lookup"),
    path("agency/public-key/", agency.PublicKeyView.as_view(), name="agency-public-key"),
]
