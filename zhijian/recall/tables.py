"""Tables of the recall list pages."""
import django_tables2 as tables

from zhijian.core.tables import BaseTable

from . import models


class LotTable(BaseTable):
    code = tables.Column(linkify=True)
    operator = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Lot
        fields = ("code", "operator", "product", "category", "description", "quantity", "unit", "produced_on")


class MovementTable(BaseTable):
    id = tables.Column(linkify=True)
    source = tables.Column(linkify=True)
    target = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.Movement
        fields = ("id", "source", "kind", "target", "quantity", "moved_on", "document")


class RecallCaseTable(BaseTable):
    number = tables.Column(linkify=True)
    title = tables.Column(linkify=True)
    producer = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.RecallCase
        fields = ("number", "title", "producer", "origin", "risk_level", "kind", "status", "opened_on", "division")


class RecallRecordTable(BaseTable):
    recall_number = tables.Column(linkify=True)

    class Meta(BaseTable.Meta):
        model = models.RecallRecord
        fields = ("recall_number", "recalling_firm", "product_description", "classification", "status",
                  "voluntary_mandated", "recall_initiation_date", "report_date", "published")
