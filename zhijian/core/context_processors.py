from django.conf import settings

from .scope import scope_for


def role_label(role: str) -> str:
    """The role's name in the active language (``province_admin`` -> 省级管理员)."""
    from django.apps import apps

    Profile = apps.get_model("accounts", "Profile")
    return str(dict(Profile.Role.choices).get(role, role))


def zhijian(request):
    scope = scope_for(getattr(request, "user", None))
    return {
        "zhijian_scope": scope,
        "zhijian_role_label": role_label(scope.role) if scope.role else "",
        "zhijian_province_code": settings.ZHIJIAN_PROVINCE_CODE,
    }
