from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("declarations/", views.DeclarationListView.as_view(), name="declaration_list"),
    path("declarations/<int:pk>/", views.DeclarationDetailView.as_view(), name="declaration_detail"),
    path("enterprises/", views.EnterpriseLookupView.as_view(), name="enterprise_lookup"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
]
