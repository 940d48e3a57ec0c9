"""Tables of the award, brand and demonstration-zone lists."""
import django_tables2 as tables

from zhijian.core.tables import BaseTable

from . import awards


class AwardApplicationTable(BaseTable):
    title = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=False)

    class Meta(BaseTable.Meta):
        model = awards.AwardApplication
        fields = ("title", "enterprise", "kind", "year", "status", "decision_date", "reward_amount", "paid_on")


class BrandTable(BaseTable):
    name = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=False)
    division = tables.Column(linkify=False)

    class Meta(BaseTable.Meta):
        model = awards.Brand
        fields = ("name", "kind", "enterprise", "division", "year", "valid_until")


class DemonstrationZoneTable(BaseTable):
    name = tables.Column(linkify=True)
    division = tables.Column(linkify=False)

    class Meta(BaseTable.Meta):
        model = awards.DemonstrationZone
        fields = ("name", "kind", "division", "status", "year", "approved_on")
