"""The case workflow step by step, on pinned 2026 working-day dates (the 2026 May Day holiday is
1–5 May with Saturday 9 May a working day; Dragon Boat Festival 19–21 June)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from zhijian.accounts.models import AuditEntry
from zhijian.credit.models import CreditEvent, EnterpriseListing, PenaltyPublication
from zhijian.enforcement import services
from zhijian.enforcement.models import Case, CaseEvent, JudicialTransfer, PenaltyDecision

from .conftest import D, decide, notified, open_filed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def messages(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def types(case):
    return list(CaseEvent.objects.filter(case=case).values_list("type", flat=True))


def test_filing_needs_another_officer_and_sets_the_90_day_deadline(w):
    case = services.open_case(w["officer"], enterprise=w["ent"], division=w["division"], title="无证生产",
                              facts="现场检查", origin="inspection", on=D(2026, 3, 2))
    assert case.status == Case.Status.PROPOSED and case.number.startswith("ZF20260302")
    with pytest.raises(ValidationError) as exc:
        services.approve_filing(case, w["officer"], on=D(2026, 3, 2))
    assert "another officer" in messages(exc)
    with pytest.raises(PermissionDenied):
        services.approve_filing(case, w["nanjing"], on=D(2026, 3, 2))
    with pytest.raises(PermissionDenied):
        services.approve_filing(case, w["inspector"], on=D(2026, 3, 2))
    case = services.approve_filing(case, w["head"], on=D(2026, 3, 2))
    # Art. 60: 90 calendar days from filing
    assert case.status == Case.Status.INVESTIGATING and case.decision_due == D(2026, 5, 31)
    assert types(case) == ["proposed", "filed"]
    # every write audited: the create and the filing of the case
    assert AuditEntry.objects.filter(object_type="enforcement.case", object_id=str(case.pk)).count() == 2


def test_bad_input_names_the_fields_and_writes_nothing(w):
    before = Case.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.open_case(w["officer"], enterprise=w["ent"], division=w["division"], title=" ", facts="",
                           origin="nonsense", on=D(2026, 3, 2))
    assert set(exc.value.message_dict) == {"title", "facts", "origin"}
    assert Case.objects.count() == before
    # a case in another city's division is refused and nothing is written
    from zhijian.registry.models import Division

    with pytest.raises(PermissionDenied):
        services.open_case(w["officer"], enterprise=w["ent"], division=Division.objects.get(pk="320102"),
                           title="x", facts="y", origin="tip_off", on=D(2026, 3, 2))
    assert Case.objects.count() == before


def test_refused_filing_and_extension(w):
    case = services.open_case(w["officer"], enterprise=w["ent"], division=w["division"], title="x", facts="y",
                              origin="tip_off", on=D(2026, 3, 2))
    with pytest.raises(ValidationError):
        services.refuse_filing(case, w["head"], reason="", on=D(2026, 3, 3))
    services.refuse_filing(case, w["head"], reason="不属于本局管辖", on=D(2026, 3, 3))
    assert Case.objects.get(pk=case.pk).status == Case.Status.NOT_FILED
    case = open_filed(w)
    case = services.extend_decision(case, w["head"], reason="案情复杂，经负责人批准")
    assert case.decision_due == D(2026, 6, 30)  # + 30 days
    with pytest.raises(ValidationError) as exc:
        services.extend_decision(case, w["head"], reason="再次延长")
    assert "already extended" in messages(exc)


def test_notice_needs_evidence_and_consistent_amounts(w):
    case = open_filed(w, evidence=False)
    with pytest.raises(ValidationError) as exc:
        services.notify(case, w["officer"], number="N1", on=D(2026, 4, 29), kinds=["fine"], fine=1000,
                        penalty="罚款")
    assert "evidence" in exc.value.message_dict
    services.add_evidence(case, w["officer"], kind="expert", description="检验报告", collected_on=D(2026, 3, 5))
    with pytest.raises(ValidationError) as exc:
        services.notify(case, w["officer"], number="N1", on=D(2026, 4, 29), kinds=["warning"], fine=1000,
                        penalty="警告")
    assert "fine" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.notify(case, w["officer"], number="N1", on=D(2026, 4, 29), kinds=["fine"], fine=0, penalty="罚款")
    assert "fine" in exc.value.message_dict


def test_small_fine_gives_statement_rights_but_no_hearing(w):
    case = notified(w, fine=5000)
    assert case.status == Case.Status.NOTIFIED and not case.hearing_right
    # 5 working days after Wednesday 29 April: 30 April, 6, 7, 8 and Saturday 9 May (adjusted working day)
    assert case.statement_due == D(2026, 5, 9) and case.hearing_request_due is None
    with pytest.raises(ValidationError) as exc:
        services.request_hearing(case, w["officer"], on=D(2026, 5, 6))
    assert "no right to a hearing" in messages(exc)
    # Art. 62: no decision while the party may still be heard
    with pytest.raises(ValidationError) as exc:
        decide(w, case, on=D(2026, 5, 8), fine=5000)
    assert "2026-05-09" in messages(exc)
    services.record_statement(case, w["officer"], on=D(2026, 5, 7), text="初次违法，已整改")
    decision = decide(w, case, on=D(2026, 5, 8), fine=5000)
    assert decision.case.status == Case.Status.DECIDED


@pytest.mark.parametrize("kinds,fine,reason", [
    (["fine"], 100000, "large fine"),
    (["licence_revoked"], 0, "licence revoked"),
    (["suspension", "fine"], 1000, "suspended"),
])
def test_heavy_penalties_carry_the_hearing_right(w, kinds, fine, reason):
    case = notified(w, kinds=kinds, fine=fine)
    assert case.hearing_right and case.hearing_request_due == D(2026, 5, 9)
    event = CaseEvent.objects.get(case=case, type="notified")
    assert any(reason in r for r in event.parameters["hearing_reasons"])


def test_hearing_requested_in_time_announced_7_wd_ahead_and_held(w):
    case = notified(w, kinds=["fine"], fine=200000)
    with pytest.raises(ValidationError) as exc:
        services.request_hearing(case, w["officer"], on=D(2026, 5, 11))
    assert "2026-05-09" in messages(exc)
    # the decision waits for the hearing request window
    with pytest.raises(ValidationError) as exc:
        decide(w, case, on=D(2026, 5, 9), fine=200000, severity="ordinary")
    case = services.request_hearing(case, w["officer"], on=D(2026, 5, 8))
    with pytest.raises(ValidationError) as exc:
        decide(w, case, on=D(2026, 5, 12), fine=200000)
    assert "hearing" in messages(exc)
    # told on 11 May: 7 working days → 20 May at the earliest
    with pytest.raises(ValidationError) as exc:
        services.notify_hearing(case, w["officer"], on=D(2026, 5, 11), hearing_date=D(2026, 5, 19))
    assert "2026-05-20" in messages(exc)
    case = services.notify_hearing(case, w["officer"], on=D(2026, 5, 11), hearing_date=D(2026, 5, 20))
    with pytest.raises(ValidationError):
        services.hold_hearing(case, w["officer"], on=D(2026, 5, 20), record="")
    case = services.hold_hearing(case, w["officer"], on=D(2026, 5, 20), record="听证笔录：当事人申辩")
    decision = decide(w, case, on=D(2026, 5, 21), fine=150000)
    assert decision.fine == Decimal("150000.00")
    assert types(case)[-5:] == ["notified", "hearing_requested", "hearing_notified", "hearing_held", "decided"]


def test_decision_no_heavier_than_the_notice(w):
    case = notified(w, fine=20000)
    with pytest.raises(ValidationError) as exc:
        decide(w, case, fine=30000)
    assert "fine" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decide(w, case, kinds=["fine", "confiscate_goods"], goods_value=100)
    assert "new notice" in messages(exc)
    assert not PenaltyDecision.objects.exists() and not PenaltyPublication.objects.exists()


def test_hearing_penalty_without_offered_hearing_is_refused(w):
    case = notified(w, kinds=["fine", "licence_suspended"], fine=20000)
    assert not case.hearing_right  # suspending a licence is not in Art. 63 (3)
    with pytest.raises(ValidationError) as exc:
        decide(w, case, kinds=["fine", "licence_revoked"], severity="heavy")
    assert "licence revoked" in messages(exc)


def test_severity_must_match_the_penalties(w):
    case = notified(w, kinds=["licence_revoked"], fine=0)
    services.request_hearing(case, w["officer"], on=D(2026, 5, 6))
    services.notify_hearing(case, w["officer"], on=D(2026, 5, 6), hearing_date=D(2026, 5, 15))
    services.hold_hearing(case, w["officer"], on=D(2026, 5, 15), record="听证")
    with pytest.raises(ValidationError) as exc:
        decide(w, case, kinds=["licence_revoked"], fine=0, severity="ordinary")
    assert "severity" in exc.value.message_dict


def test_decision_registers_the_penalty_publication_and_credit_event(w):
    case = notified(w)
    services.record_statement(case, w["officer"], on=D(2026, 5, 6), text="无异议")
    decision = decide(w, case)
    pub = decision.publication
    assert pub == PenaltyPublication.objects.get(enterprise=w["ent"])
    assert (pub.decision_number, pub.decision_date, pub.severity) == ("苏市监罚〔2026〕8号", D(2026, 5, 21), "ordinary")
    assert (pub.source_type, pub.source_id) == ("enforcement.case", str(case.pk))
    assert pub.authority.endswith("市场监督管理局")
    # 20 working days after Thursday 21 May (Dragon Boat Festival 19 June is off) → 18 June
    assert pub.publish_by == D(2026, 6, 18)
    assert CreditEvent.objects.filter(enterprise=w["ent"], type__code="penalty_ordinary",
                                      date=D(2026, 5, 21)).exists()
    assert not EnterpriseListing.objects.filter(enterprise=w["ent"]).exists()
    # payment within 15 days of service (Art. 67)
    assert decision.payment_due == D(2026, 6, 5)
    clock = services.case_clock(case, decision, on=D(2026, 6, 19))
    assert {d.key for d in clock.overdue} == {"payment", "publication"}
    services.publish(decision, w["officer"], on=D(2026, 6, 1))
    pub.refresh_from_db()
    assert pub.published_on == D(2026, 6, 1) and pub.publish_until == D(2029, 6, 1)


def test_heavy_penalty_lists_the_enterprise_as_a_serious_violator(w):
    case = notified(w, kinds=["fine", "suspension"], fine=50000)
    services.request_hearing(case, w["officer"], on=D(2026, 4, 30))
    services.notify_hearing(case, w["officer"], on=D(2026, 5, 6), hearing_date=D(2026, 5, 15))
    services.hold_hearing(case, w["officer"], on=D(2026, 5, 15), record="听证")
    decision = decide(w, case, kinds=["fine", "suspension"], fine=50000, severity="heavy")
    listing = EnterpriseListing.objects.get(enterprise=w["ent"])
    assert listing.kind == EnterpriseListing.Kind.SERIOUS_VIOLATION and listing.start == D(2026, 5, 21)
    assert decision.needs_execution
    # revoked on review: publication withdrawn, credit event and listing removed (credit app)
    services.revoke(decision, w["officer"], on=D(2026, 7, 1), reason="行政复议撤销")
    listing.refresh_from_db()
    assert listing.end == D(2026, 7, 1)
    assert not CreditEvent.objects.filter(enterprise=w["ent"], type__code="penalty_heavy").exists()
    assert PenaltyPublication.objects.get().revoked_on == D(2026, 7, 1)
    assert types(case)[-1] == "revoked"
    services.close_case(case, w["officer"], on=D(2026, 7, 2))
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_payment_with_the_late_payment_surcharge(w):
    case = notified(w, fine=10000)
    decision = decide(w, case, fine=10000, on=D(2026, 5, 21))
    assert services.surcharge(decision, D(2026, 6, 5)) == Decimal("0.00")
    # Art. 72: 3 % of the fine per day after 5 June
    assert services.surcharge(decision, D(2026, 6, 15)) == Decimal("3000.00")
    assert services.surcharge(decision, D(2026, 7, 30)) == Decimal("10000.00")  # capped at the fine
    with pytest.raises(ValidationError) as exc:
        services.record_payment(decision, w["officer"], on=D(2026, 6, 15), amount=10000)
    assert "13000.00" in messages(exc)
    decision = services.record_payment(decision, w["officer"], on=D(2026, 6, 15), amount=13000)
    assert decision.surcharge_paid == Decimal("3000.00")
    case.refresh_from_db()
    assert case.status == Case.Status.EXECUTED
    with pytest.raises(ValidationError):
        services.record_payment(decision, w["officer"], on=D(2026, 6, 16), amount=13000)
    services.close_case(case, w["officer"], on=D(2026, 6, 16))
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.outcome == Case.Outcome.PENALTY


def test_confiscation_needs_execution_before_closing(w):
    case = notified(w, kinds=["fine", "confiscate_goods"], fine=1000, goods_value=500)
    decision = decide(w, case, kinds=["fine", "confiscate_goods"], fine=1000, goods_value=500)
    services.record_payment(decision, w["officer"], on=D(2026, 5, 25), amount=1000)
    with pytest.raises(ValidationError):
        services.close_case(case, w["officer"], on=D(2026, 5, 26))
    services.record_execution(decision, w["officer"], on=D(2026, 5, 26), note="没收电热水器 20 台")
    assert Case.objects.get(pk=case.pk).status == Case.Status.EXECUTED


def test_warning_is_executed_by_the_decision_and_minor(w):
    case = notified(w, kinds=["warning"], fine=0)
    services.record_statement(case, w["officer"], on=D(2026, 5, 6), text="无异议")
    decision = decide(w, case, kinds=["warning"], fine=0, severity="minor")
    assert decision.payment_due is None and decision.case.status == Case.Status.EXECUTED
    assert CreditEvent.objects.filter(enterprise=w["ent"], type__code="penalty_minor").exists()


def test_no_penalty_and_dropped(w):
    case = open_filed(w)
    with pytest.raises(ValidationError):
        services.no_penalty(case, w["officer"], on=D(2026, 3, 10), reason="")
    services.no_penalty(case, w["officer"], on=D(2026, 3, 10), reason="违法行为轻微并及时改正（第三十三条）")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Case.Status.CLOSED, Case.Outcome.NO_PENALTY)
    assert not PenaltyPublication.objects.exists()
    other = open_filed(w)
    services.drop_case(other, w["officer"], on=D(2026, 3, 10), reason="当事人已注销")
    assert Case.objects.get(pk=other.pk).outcome == Case.Outcome.DROPPED


def test_transfer_suspends_and_the_answer_resumes_or_closes(w):
    case = open_filed(w)
    item = services.transfer(case, w["officer"], organ_kind="public_security", organ_name="苏州市公安局虎丘分局",
                             suspected_crime="生产、销售伪劣产品罪", on=D(2026, 3, 20),
                             documents="移送书；调查报告；涉案物品清单；检验报告")
    assert item.reply_due == D(2026, 3, 23)  # 3 days (order 310 Art. 8)
    case.refresh_from_db()
    assert case.suspended
    with pytest.raises(ValidationError) as exc:
        services.notify(case, w["officer"], number="N", on=D(2026, 3, 25), kinds=["fine"], fine=1, penalty="x")
    assert "suspended" in messages(exc)
    with pytest.raises(ValidationError):  # one transfer at a time
        services.transfer(case, w["officer"], organ_kind="procuratorate", organ_name="x", suspected_crime="y",
                          on=D(2026, 3, 21), documents="z")
    with pytest.raises(ValidationError) as exc:
        services.update_transfer(item, w["officer"], status="not_accepted", on=D(2026, 3, 23), outcome="")
    assert "outcome" in exc.value.message_dict
    services.update_transfer(item, w["officer"], status="not_accepted", on=D(2026, 3, 23),
                             outcome="不构成犯罪，不予立案")
    case.refresh_from_db()
    assert not case.suspended and types(case)[-2:] == ["transfer_updated", "resumed"]
    # a second transfer is accepted: the administrative case is closed as transferred
    second = services.transfer(case, w["officer"], organ_kind="procuratorate", organ_name="苏州市人民检察院",
                               suspected_crime="生产、销售伪劣产品罪", on=D(2026, 3, 25), documents="移送书")
    services.update_transfer(second, w["officer"], status="accepted", on=D(2026, 3, 27))
    with pytest.raises(ValidationError):
        services.update_transfer(second, w["officer"], status="not_accepted", on=D(2026, 3, 28), outcome="x")
    services.close_case(case, w["officer"], on=D(2026, 3, 30))
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Case.Status.CLOSED, Case.Outcome.TRANSFERRED)
    assert JudicialTransfer.objects.filter(case=case).count() == 2


def test_overdue_cases_on_a_pinned_day(w):
    late = open_filed(w)
    notified_case = notified(w, fine=1000)
    decision = decide(w, notified_case, fine=1000)
    found = services.overdue_cases(Case.objects.all(), on=D(2026, 6, 19))
    assert late in found["decision"] and notified_case not in found["decision"]
    assert [d.pk for d in found["payment"]] == [decision.pk]
    assert found["payment"][0].surcharge_today == Decimal("420.00")  # 14 days × 30
    assert [d.pk for d in found["publication"]] == [decision.pk]
    assert services.overdue_cases(Case.objects.all(), on=D(2026, 5, 31))["decision"] == []
