"""Tables of the targets list pages."""
import django_tables2 as tables

from zhijian.core.tables import BaseTable, CodeColumn

from . import models


class DataElementTable(BaseTable):
    code = CodeColumn(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.DataElement
        fields = ("code", "name_zh", "unit", "kind", "period_type", "aggregation", "source")


class IndicatorTable(BaseTable):
    code = CodeColumn(linkify=True)
    numerator = CodeColumn()
    denominator = CodeColumn()

    class Meta(BaseTable.Meta):
        model = models.Indicator
        fields = ("code", "name_zh", "numerator", "denominator", "factor", "unit")


class DataValueTable(BaseTable):
    id = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.DataValue
        fields = ("id", "element", "division", "period", "value", "origin", "status", "source", "last_updated")


class TargetSetTable(BaseTable):
    code = tables.Column(linkify=True)
    name_zh = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.TargetSet
        fields = ("code", "year", "name_zh")


class AssessmentSchemeTable(BaseTable):
    name = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.AssessmentScheme
        fields = ("year", "name", "due", "basis")


class AssessmentTable(BaseTable):
    id = tables.Column(linkify=True)
    division = tables.Column(linkify=False)

    class Meta(BaseTable.Meta):
        model = models.Assessment
        fields = ("id", "scheme", "division", "status", "self_total", "total", "grade", "veto", "rank")
