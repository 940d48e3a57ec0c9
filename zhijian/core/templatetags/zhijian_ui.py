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


@register.filter
def codes(values, sep=", "):
    """["uscc", "name"] -> <code>uscc</code>, <code>name</code> (literals a user types or a file holds)."""
    from django.utils.html import format_html_join

    if isinstance(values, str):
        values = [values]
    return format_html_join(sep, "<code>{}</code>", ((v,) for v in values or ()))


@register.filter
def ticks(text):
    """Text whose `back-ticked` parts are literals (file values, column keys) -> those in <code>."""
    import re

    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(str(text))))


def percent_text(value, digits: int = 1) -> str:
    """0.8943 -> "89.4 %" (a share as a percentage, one decimal); None -> ""."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{digits}f} %"


@register.filter
def percent(value, digits=1):
    """A share as a percentage with one decimal: ``{{ 0.8943|percent }}`` -> 89.4 %."""
    try:
        return percent_text(value, int(digits))
    except (TypeError, ValueError):
        return ""
