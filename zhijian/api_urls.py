"""The REST API root: each app contributes its router under /api/<app>/."""
from django.urls import include, path

urlpatterns = [
    path("registry/", include("zhijian.registry.api.urls")),
    path("spotcheck/", include("zhijian.spotcheck.api.urls")),
    path("credit/", include("zhijian.credit.api.urls")),
    path("complaints/", include("zhijian.complaints.api.urls")),
    path("risk/", include("zhijian.risk.api.urls")),
    path("enforcement/", include("zhijian.enforcement.api.urls")),
    path("recall/", include("zhijian.recall.api.urls")),
    path("recall/", include("zhijian.recall.public_api")),  # the public, openFDA-style recalls/
    path("targets/", include("zhijian.targets.api.urls")),
]
