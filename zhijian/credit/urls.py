from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("grades/", views.GradeListView.as_view(), name="grade_list"),
    path("grades/<int:pk>/", views.GradeDetailView.as_view(), name="grade_detail"),
    path("mine/", views.MyGradeView.as_view(), name="mine"),
]
