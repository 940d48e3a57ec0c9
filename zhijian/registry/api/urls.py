from rest_framework.routers import DefaultRouter

from . import views

app_name = "registry-api"
router = DefaultRouter()
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("industries", views.IndustryViewSet, basename="industry")
router.register("product-categories", views.ProductCategoryViewSet, basename="productcategory")
router.register("standards", views.StandardViewSet, basename="standard")
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("products", views.ProductViewSet, basename="product")
router.register("standard-declarations", views.StandardDeclarationViewSet,
                basename="standarddeclaration")
router.register("certifications", views.CertificationViewSet, basename="certification")
router.register("labs", views.LabViewSet, basename="lab")
router.register("inspectors", views.InspectorViewSet, basename="inspector")
router.register("awards", views.AwardViewSet, basename="award")
router.register("brands", views.BrandViewSet, basename="brand")
urlpatterns = router.urls
