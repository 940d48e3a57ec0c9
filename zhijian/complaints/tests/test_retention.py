"""Retention purge: boundary, open cases untouched, masks in the text, idempotent, audited once."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from zhijian.accounts.models import AuditEntry
from zhijian.complaints import retention
from zhijian.complaints import services as svc
from zhijian.complaints.models import Case, CaseEvent, Complainant, Mediation, RejectionReason
from zhijian.registry.models import Division

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 15)
YEARS = 3
CUTOFF = dt.date(2023, 6, 15)
FACTS = "电暖器起火。我的电话13912345678，身份证号320102199001011234，邮箱wang@example.com。"


@pytest.fixture(autouse=True)
def years(settings):
    settings.ZHIJIAN_COMPLAINT_RETENTION_YEARS = YEARS


@pytest.fixture
def officer(make_user):
    return make_user("officer", "320583")


def new_case(received: str, **kw) -> Case:
    data = {"kind": "complaint", "channel": "phone", "complainant_name": "王小明",
            "complainant_phone": "13912345678", "complainant_id_number": "320102199001011234",
            "complainant_address": "江苏省昆山市前进中路1号", "complainant_email": "wang@example.com",
            "respondent_name": "昆山某电器商店", "facts": FACTS, "request": "退货，回电13912345678",
            "received_on": received, **kw}
    case, _code = svc.receive(data, division=Division.objects.get(pk="320583"))
    return case


def closed_case(officer, closed_on: dt.date) -> Case:
    case = new_case((closed_on - dt.timedelta(days=20)).isoformat())
    svc.accept(case, officer, on=closed_on - dt.timedelta(days=15))
    svc.record_mediation(case, officer, date=closed_on - dt.timedelta(days=5), method="phone", mediator="李调解",
                         summary="电话调解，投诉人手机13912345678")
    return svc.close_with_agreement(case, officer, on=closed_on, refunded="100", upheld=False,
                                    note="双方和解，投诉人电话13912345678")


def test_purge_boundary_open_cases_masks_and_idempotence(officer):
    exactly = closed_case(officer, CUTOFF)  # closed exactly N years before: kept
    day_more = closed_case(officer, CUTOFF - dt.timedelta(days=1))  # a day longer ago: anonymised
    rejected = new_case("2023-03-01")
    svc.reject(rejected, officer, RejectionReason.TIME_BARRED, "已电话13912345678告知", on=dt.date(2023, 3, 3))
    still_open = new_case("2022-05-05")  # never closed: untouched however old
    audit_before = AuditEntry.objects.count()

    dry = retention.purge(on=ON, dry_run=True)
    assert (dry.count, dry.cutoff, dry.dry_run) == (2, CUTOFF, True)
    assert Complainant.objects.filter(name="").count() == 0 and AuditEntry.objects.count() == audit_before

    result = retention.purge(on=ON)
    assert (result.count, result.cutoff) == (2, CUTOFF)
    gone = {day_more.pk, rejected.pk}
    for case in Case.objects.filter(pk__in=gone).select_related("complainant"):
        c = case.complainant
        assert (c.name, c.phone, c.id_number, c.address, c.email) == ("", "", "", "", "")
        assert case.anonymised_on == ON
        assert "13912345678" not in case.facts and "320102199001011234" not in case.facts
        assert "139****5678" in case.facts and "3201**********1234" in case.facts
        assert "wang@example.com" not in case.facts and "13912345678" not in case.request
        assert "13912345678" not in case.outcome_note
        assert case.events.filter(type=CaseEvent.Type.ANONYMISED).count() == 1
        assert all("13912345678" not in str(e.parameters) for e in case.events.all())
        assert all("13912345678" not in m.summary for m in case.mediations.all())
    assert "139****5678" in Mediation.objects.get(case=day_more).summary
    assert "13912345678" in Mediation.objects.get(case=exactly).summary
    for case in (exactly, still_open):
        case.refresh_from_db()
        assert case.anonymised_on is None and case.facts == FACTS
        assert Complainant.objects.get(case=case).phone == "13912345678"
        assert not case.events.filter(type=CaseEvent.Type.ANONYMISED).exists()
    entries = list(AuditEntry.objects.order_by("seq")[audit_before:])
    assert [e.action for e in entries] == ["purge"]
    assert entries[0].postchange["count"] == 2 and entries[0].postchange["cutoff"] == CUTOFF.isoformat()
    assert "13912345678" not in str(entries[0].postchange)

    again = retention.purge(on=ON)
    assert again.count == 0 and AuditEntry.objects.count() == audit_before + 1
    assert CaseEvent.objects.filter(type=CaseEvent.Type.ANONYMISED).count() == 2

    # a day later, the case closed exactly N years before is due
    later = retention.purge(on=ON + dt.timedelta(days=1))
    assert later.count == 1 and Complainant.objects.get(case=exactly).name == ""


def test_leap_day_cutoff():
    assert retention.years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


def test_purge_command(officer):
    closed_case(officer, CUTOFF - dt.timedelta(days=10))
    out = io.StringIO()
    call_command("complaints", "purge", "--dry-run", "--on", ON.isoformat(), stdout=out)
    assert "1 cases closed before 2023-06-15 are due" in out.getvalue()
    assert Complainant.objects.get().name == "王小明"
    out = io.StringIO()
    call_command("complaints", "purge", "--on", ON.isoformat(), stdout=out)
    assert "1 cases closed before 2023-06-15 anonymised" in out.getvalue()
    assert Complainant.objects.get().name == ""
    assert AuditEntry.objects.filter(action="purge").get().source == "cli"
