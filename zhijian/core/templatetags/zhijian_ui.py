"""Template tags of the generic UI: the main menu, attribute values, query strings."""
from django import template
from django.utils.dates import MONTHS

from zhijian.core.navigation import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    request = context.get("request")
    return menu_for(getattr(request, "user", None))


@register.filter
def months(value):
    """[5, 6, 7] -> "May, June, July" in the current language."""
    if not value:
        return ""
    names = []
    for m in value:
        try:
            names.append(str(MONTHS[int(m)]))
        except (KeyError, TypeError, ValueError):
            names.append(str(m))
    return ", ".join(names)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (None removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"
