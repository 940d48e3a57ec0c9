"""The complaints block of the signed-in home page: cases overdue and due soon (two counts)."""
from django import template

from zhijian.core.querysets import scope_q
from zhijian.core.scope import scope_for

register = template.Library()


@register.inclusion_tag("complaints/_home_block.html", takes_context=True)
def complaints_due_block(context):
    from zhijian.complaints import services
    from zhijian.complaints.models import Case

    request = context.get("request")
    user = getattr(request, "user", None)
    scope = scope_for(user)
    if user is None or not user.is_authenticated or not (scope.unrestricted or scope.is_staff_role) \
            or scope_q(Case, user, "view") is None:
        return {"show": False}
    board = services.dashboard(Case.objects.restrict(user, "view"))
    return {"show": True, "overdue": board["overdue"].count(), "due_soon": board["due_soon"].count()}
