from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from zhijian.core.health import healthz, readyz
from zhijian.portal.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("portal/", include("zhijian.portal.urls")),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("zhijian.registry.urls")),
    path("spotcheck/", include("zhijian.spotcheck.urls")),
    path("credit/", include("zhijian.credit.urls")),
    path("complaints/", include("zhijian.complaints.urls")),
    path("risk/", include("zhijian.risk.urls")),
    path("enforcement/", include("zhijian.enforcement.urls")),
    path("recall/", include("zhijian.recall.urls")),
    path("targets/", include("zhijian.targets.urls")),
    path("accounts/", include("zhijian.accounts.urls")),
    path("api/", include("zhijian.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
# Uploaded files (import files, error files, sampling records) are never served
# from MEDIA_ROOT directly: each is downloaded through a view that checks scope.
