from django.urls import path

app_name = "registry"
urlpatterns: list = []  # pages are added by registry.views
