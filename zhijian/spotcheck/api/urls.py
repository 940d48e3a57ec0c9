from rest_framework.routers import DefaultRouter

from . import views

app_name = "spotcheck-api"
router = DefaultRouter()
router.register("plans", views.PlanViewSet, basename="plan")
router.register("plan-labs", views.PlanLabViewSet, basename="planlab")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("test-items", views.TestItemViewSet, basename="testitem")
router.register("draws", views.DrawViewSet, basename="draw")
router.register("conflicts", views.InspectorConflictViewSet, basename="inspectorconflict")
urlpatterns = router.urls
