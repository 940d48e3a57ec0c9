"""Spot-check staff pages (namespace ``spotcheck``, mounted at ``/spotcheck/``)."""
from django.urls import path

from . import views

app_name = "spotcheck"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # plans
    path("plans/", views.PlanListView.as_view(), name="plan_list"),
    path("plans/add/", views.PlanEditView.as_view(), name="plan_add"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.PlanEditView.as_view(), name="plan_edit"),
    path("plans/<int:pk>/delete/", views.PlanDeleteView.as_view(), name="plan_delete"),
    path("plans/<int:pk>/commit/", views.PlanCommitView.as_view(), name="plan_commit"),
    path("plans/<int:pk>/draw/", views.PlanDrawView.as_view(), name="plan_draw"),
    path("plans/<int:pk>/public-value/", views.PlanPublicValueView.as_view(), name="plan_public_value"),
    path("plans/<int:pk>/publish/", views.PlanPublishView.as_view(), name="plan_publish"),
    # tasks
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/step/<slug:step>/", views.TaskStepView.as_view(), name="task_step"),
    path("tasks/<int:pk>/publish/", views.TaskPublishView.as_view(), name="task_publish"),
    path("tasks/<int:pk>/sampling-record/", views.TaskFileView.as_view(), name="task_sampling_record"),
    path("tasks/<int:pk>/files/<int:attachment>/", views.TaskFileView.as_view(),
         name="attachment_download"),
]

# Inspector conflicts (回避): the generic names (``inspectorconflict_*``) and short aliases.
_conflicts = [
    ("conflicts/", views.InspectorConflictListView, "list"),
    ("conflicts/add/", views.InspectorConflictEditView, "add"),
    ("conflicts/<int:pk>/", views.InspectorConflictDetailView, "detail"),
    ("conflicts/<int:pk>/edit/", views.InspectorConflictEditView, "edit"),
    ("conflicts/<int:pk>/delete/", views.InspectorConflictDeleteView, "delete"),
]
for _route, _view, _kind in _conflicts:
    urlpatterns.append(path(_route, _view.as_view(), name=f"inspectorconflict_{_kind}"))
    urlpatterns.append(path(_route, _view.as_view(), name=f"conflict_{_kind}"))
