from django.conf import settings

from .scope import scope_for


def zhijian(request):
    return {
        "zhijian_scope": scope_for(getattr(request, "user", None)),
        "zhijian_province_code": settings.ZHIJIAN_PROVINCE_CODE,
    }
