"""Registry records become credit events: on save, and in bulk for imported rows."""
import datetime as dt

import pytest

from zhijian.accounts.models import AuditEntry
from zhijian.credit.models import CreditEvent
from zhijian.credit.registry_events import sync_registry_events
from zhijian.registry.models import Award, Brand, Certification

pytestmark = pytest.mark.django_db


def test_saved_records_become_events_once(enterprise_factory):
    ent = enterprise_factory(division="320583")
    award = Award.objects.create(enterprise=ent, kind="provincial_quality", year=2025)
    cert = Certification.objects.create(enterprise=ent, kind=Certification.Kind.choices[0][0], number="C-1",
                                        valid_from=dt.date(2025, 3, 1))
    events = {e.type.code: e for e in CreditEvent.objects.filter(enterprise=ent)}
    assert events["award"].date == dt.date(2025, 12, 31) and events["award"].source_id == str(award.pk)
    assert events["certification_gained"].date == dt.date(2025, 3, 1)
    award.title = "renamed"
    award.save()
    cert.status = Certification.Status.REVOKED
    cert.save()
    codes = sorted(CreditEvent.objects.filter(enterprise=ent).values_list("type__code", flat=True))
    assert codes == ["award", "certification_gained", "certification_lost"]
    assert AuditEntry.objects.filter(object_type="credit.creditevent").count() >= 3


def test_bulk_sync_fills_what_imports_skipped(enterprise_factory):
    ent = enterprise_factory(division="320583")
    Brand.objects.bulk_create([Brand(enterprise=ent, kind="famous", name=f"B{i}", year=2024 + i) for i in range(3)])
    assert not CreditEvent.objects.filter(type__code="brand").exists()
    counts = sync_registry_events(today=dt.date(2026, 6, 30))
    assert counts["brand"] == 3
    assert sync_registry_events(today=dt.date(2026, 6, 30))["brand"] == 0
    # A brand recognised this year counts from today, not from the end of the year.
    assert CreditEvent.objects.filter(type__code="brand").order_by("-date").first().date == dt.date(2026, 6, 30)
    assert AuditEntry.objects.filter(object_id="registry-sync").count() == 1
