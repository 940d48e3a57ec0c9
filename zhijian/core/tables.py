"""Base table for the generic list pages (django-tables2)."""
import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class BaseTable(tables.Table):
    """Sorting and paging links are loaded with HTMX into ``#results``; row links are not."""

    class Meta:
        attrs = {"class": "table objects", "tbody": {"hx-boost": "false"}}
        empty_text = _("No rows match (within your scope).")
        template_name = "django_tables2/bootstrap5.html"


class CodeColumn(tables.Column):
    """A code or expression a user types (``#{element}``): set in ``<code>``, as literals are."""

    def render(self, value):
        return format_html("<code>{}</code>", value)


def months_text(value) -> str:
    from zhijian.core.templatetags.zhijian_ui import months

    return months(value)
