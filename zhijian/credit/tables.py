"""List-page tables of credit (django-tables2); relations come from select_related."""
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zhijian.core.tables import BaseTable

from . import models


class GradeTable(BaseTable):
    enterprise = tables.Column(linkify=lambda record: record.get_absolute_url())
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("USCC"))
    score = tables.Column()
    grade = tables.Column(linkify=lambda record: record.get_absolute_url())
    risk_class = tables.Column()
    method = tables.Column()
    as_of = tables.DateColumn()

    class Meta(BaseTable.Meta):
        model = models.Grade
        fields = ("enterprise", "uscc", "score", "grade", "risk_class", "method", "as_of")
