"""Complaint data pages, included into ``complaints/urls.py`` (namespace ``complaints``).

* ``complaints:stats`` — statistics with charts (staff, within scope);
* ``complaints:daily_counts`` — cases per day × division × category, CSV or JSON (staff);
* ``complaints:import`` — upload a 12315 export (officers); the job pages are the registry's;
* ``complaints:opendata`` — the monthly open data (public, rate-limited; CSV / JSON / page).
"""
from django.urls import path

from . import views_model
from . import views_stats as v

urlpatterns = [
    path("stats/", v.StatsView.as_view(), name="stats"),
    path("stats/daily-counts/", v.DailyCountsView.as_view(), name="daily_counts"),
    path("import/", v.ComplaintImportView.as_view(), name="import"),
    path("open-data/", v.OpenDataView.as_view(), name="opendata"),
    path("classifier/", views_model.ClassifierView.as_view(), name="classifier"),
]
