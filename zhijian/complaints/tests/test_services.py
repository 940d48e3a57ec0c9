"""Complaint and report handling: intake, routing, the legal clocks, steps, credit events."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhijian.accounts.models import AuditEntry
from zhijian.complaints import services as svc
from zhijian.complaints.masking import mask_id, mask_name, mask_phone, mask_text, personal
from zhijian.complaints.models import Case, Complainant
from zhijian.credit.models import CreditEvent
from zhijian.registry.models import Division

pytestmark = pytest.mark.django_db

KUNSHAN, SUZHOU, GULOU = "320583", "320500", "320106"


def _data(**kw):
    d = {"kind": "complaint", "channel": "phone", "complainant_name": "王小明", "complainant_phone": "13912345678",
         "complainant_id_number": "320102199001011234", "complainant_address": "江苏省昆山市前进中路1号",
         "respondent_name": "昆山某电器有限公司", "facts": "购买的电暖器使用三天后冒烟起火，烧坏地板。",
         "request": "退货并赔偿地板损失", "amount_claimed": "1200", "received_on": "2026-09-25"}
    d.update(kw)
    return d


@pytest.fixture
def officer(make_user):
    return make_user("officer", KUNSHAN)


def test_intake_ticket_code_and_routing_by_uscc(enterprise_factory, make_user):
    ent = enterprise_factory(division=KUNSHAN)
    case, code = svc.receive(_data(respondent_uscc=ent.uscc, channel="web"),
                             division=Division.objects.get(pk=GULOU))
    assert case.ticket.startswith("TS20260925") and len(case.ticket) == 18
    assert len(code) == svc.CODE_LENGTH and case.code_hash and code not in case.code_hash
    assert case.respondent == ent and case.respondent_match == Case.Match.USCC
    assert case.division_id == KUNSHAN  # the respondent's division wins over the one given
    assert svc.find_by_ticket(case.ticket, code) == case
    assert svc.find_by_ticket(case.ticket, code.lower()) == case
    assert svc.find_by_ticket(case.ticket, "WRONGCOD") is None
    assert Complainant.objects.get(case=case).phone == "13912345678"
    assert [e.type for e in case.events.all()] == ["received", "routed"]


def test_unmatched_respondent_is_kept_and_routed_by_the_division_given():
    case, _code = svc.receive(_data(respondent_name="某不存在的小店"), division=Division.objects.get(pk=GULOU))
    assert case.respondent is None and case.respondent_match == "unmatched"
    assert case.respondent_name == "某不存在的小店" and case.division_id == GULOU


def test_intake_errors_name_the_fields():
    with pytest.raises(ValidationError) as exc:
        svc.receive(_data(respondent_name="", complainant_phone="", respondent_uscc="91320000ABCDEFGHIJ",
                          amount_claimed="abc", received_on="2026-13-01"),
                    division=Division.objects.get(pk=GULOU))
    fields = set(exc.value.message_dict)
    assert {"respondent_name", "complainant_phone", "respondent_uscc", "amount_claimed", "received_on"} <= fields
    assert not Case.objects.exists()


def test_accept_clock_across_national_day_and_adjusted_weekend():
    # Received Fri 2026-09-25; 2026 National Day + Mid-Autumn: 1–7 Oct off, Sun 27 Sep and
    # Sat 10 Oct are adjusted working days (per chinesecalendar).
    case, _ = svc.receive(_data(), division=Division.objects.get(pk=KUNSHAN))
    from zhijian.deadlines.services import WorkdayCalendar

    cal = WorkdayCalendar.load()
    assert case.accept_due == cal.add_workdays(dt.date(2026, 9, 25), 7)
    assert case.accept_due > dt.date(2026, 10, 7)
    assert case.next_due == case.accept_due and case.next_due_kind == "accept"


def test_mediation_clock_excludes_testing_time(officer):
    case, _ = svc.receive(_data(received_on="2026-03-02"), division=Division.objects.get(pk=KUNSHAN))
    case = svc.accept(case, officer, on=dt.date(2026, 3, 4))
    plain = case.mediation_due
    from zhijian.deadlines.services import WorkdayCalendar

    cal = WorkdayCalendar.load()
    assert plain == cal.add_workdays(dt.date(2026, 3, 4), 45)
    case = svc.start_testing(case, officer, start=dt.date(2026, 3, 9), body="某检测中心")
    assert case.mediation_due is None and case.next_due_kind == ""  # paused
    case = svc.end_testing(case, officer, end=dt.date(2026, 3, 13))  # Mon–Fri: 5 working days
    assert case.mediation_due == cal.add_workdays(plain, 5)
    with pytest.raises(svc.StepError):
        svc.end_testing(case, officer, end=dt.date(2026, 3, 20))


def test_transfer_restarts_the_acceptance_clock_and_leaves_the_old_scope(officer, make_user):
    case, _ = svc.receive(_data(received_on="2026-06-01"), division=Division.objects.get(pk=KUNSHAN))
    first_due = case.accept_due
    with pytest.raises(svc.StepError):
        svc.transfer(case, officer, Division.objects.get(pk=GULOU), "  ")
    case = svc.transfer(case, officer, Division.objects.get(pk=GULOU), "被投诉人实际经营地在鼓楼区",
                        on=dt.date(2026, 6, 8))
    assert case.division_id == GULOU and case.assigned_on == dt.date(2026, 6, 8)
    assert case.accept_due > first_due
    assert case.transfers.get().from_division_id == KUNSHAN
    with pytest.raises(PermissionDenied):
        svc.accept(case, officer)  # Kunshan no longer handles it
    nanjing = make_user("officer", "320100")
    assert svc.accept(case, nanjing).status == Case.Status.ACCEPTED


def test_reject_needs_a_legal_reason(officer):
    case, _ = svc.receive(_data(), division=Division.objects.get(pk=KUNSHAN))
    with pytest.raises(svc.StepError):
        svc.reject(case, officer, "because")
    case = svc.reject(case, officer, "time_barred", "2019 年购买")
    assert case.status == Case.Status.REJECTED and case.next_due is None


def test_agreement_closes_and_upheld_complaint_is_a_credit_event(officer, enterprise_factory):
    ent = enterprise_factory(division=KUNSHAN)
    case, _ = svc.receive(_data(respondent_uscc=ent.uscc), division=None)
    case = svc.accept(case, officer)
    svc.record_mediation(case, officer, method="phone", mediator="李调解", summary="双方同意退货")
    case = svc.close_with_agreement(case, officer, refunded="899.00", compensated="300")
    assert case.status == Case.Status.CLOSED and case.outcome == "agreement" and case.upheld
    ev = CreditEvent.objects.get(enterprise=ent)
    assert ev.type.code == "complaint_upheld" and ev.source_type == "complaints.case"
    # The step history and the audit log both saw it.
    assert list(case.events.values_list("type", flat=True)) == [
        "received", "routed", "accepted", "mediated", "closed"]
    assert AuditEntry.objects.filter(object_type="complaints.case", object_id=str(case.pk)).count() >= 3


def test_matching_after_closure_records_the_credit_event_once(officer, enterprise_factory):
    ent = enterprise_factory(division=KUNSHAN, name="昆山市示例电器有限公司")
    case, _ = svc.receive(_data(respondent_name="昆山示例电器"), division=Division.objects.get(pk=KUNSHAN))
    assert ent in [e for e, _s in svc.candidates(case.respondent_name, "")]
    case = svc.accept(case, officer)
    case = svc.close_with_agreement(case, officer, refunded="10")
    assert not CreditEvent.objects.exists()
    svc.confirm_respondent(case, officer, ent)
    svc.confirm_respondent(case, officer, ent)
    assert CreditEvent.objects.filter(enterprise=ent).count() == 1


def test_termination_time_limit_and_notification_clock(officer):
    case, _ = svc.receive(_data(received_on="2026-03-02"), division=Division.objects.get(pk=KUNSHAN))
    case = svc.accept(case, officer, on=dt.date(2026, 3, 2))
    with pytest.raises(svc.StepError):
        svc.terminate(case, officer, "time_limit", on=dt.date(2026, 3, 10))
    case = svc.terminate(case, officer, "time_limit", on=case.mediation_due + dt.timedelta(days=1))
    assert case.outcome == "terminated" and case.next_due_kind == "notify"
    case = svc.record_notification(case, officer)
    assert case.next_due is None


def test_clue_check_with_extension(officer):
    case, _ = svc.receive(_data(received_on="2026-04-01"), division=Division.objects.get(pk=KUNSHAN))
    case = svc.accept(case, officer, on=dt.date(2026, 4, 2))
    case = svc.find_clue(case, officer, "疑似销售不合格电暖器", on=dt.date(2026, 4, 3))
    due = case.clue_due
    case = svc.extend_clue_check(case, officer, "局长批准 2026-12")
    from zhijian.deadlines.services import WorkdayCalendar

    assert case.clue_due == WorkdayCalendar.load().add_workdays(due, 15)
    with pytest.raises(svc.StepError):
        svc.extend_clue_check(case, officer, "again")
    conv = svc.convert(case, officer, target="enforcement", reference="昆市监立〔2026〕88号")
    assert conv.target == "enforcement"


def test_report_decision_and_reporter_notification(officer):
    case, _ = svc.receive(_data(kind="report", received_on="2026-05-06"), division=Division.objects.get(pk=KUNSHAN))
    assert case.ticket.startswith("JB") and case.next_due_kind == "clue_check"
    case = svc.start_check(case, officer)
    with pytest.raises(svc.StepError):
        svc.decide_report(case, officer, open_case=True)
    case = svc.decide_report(case, officer, open_case=True, reference="昆市监立〔2026〕101号",
                             on=dt.date(2026, 5, 20))
    assert case.status == Case.Status.CASE_OPENED and case.next_due_kind == "notify"
    with pytest.raises(svc.StepError):
        svc.close_report(case, officer)
    svc.record_notification(case, officer, on=dt.date(2026, 5, 21))
    assert svc.close_report(case, officer).status == Case.Status.CLOSED


def test_dashboard_overdue_and_due_soon(officer):
    old, _ = svc.receive(_data(received_on="2026-01-05"), division=Division.objects.get(pk=KUNSHAN))
    new, _ = svc.receive(_data(received_on="2026-03-02"), division=Division.objects.get(pk=KUNSHAN))
    board = svc.dashboard(Case.objects.restrict(officer, "view"), on=dt.date(2026, 3, 9))
    assert old in board["overdue"] and new in board["due_soon"]


def test_masks():
    assert mask_name("王小明") == "王**" and mask_phone("13912345678") == "139****5678"
    assert mask_id("320102199001011234") == "3201**********1234"
    text = mask_text("联系电话13912345678，身份证号32010219900101123X")
    assert "13912345678" not in text and "32010219900101123X" not in text


def test_personal_data_clear_only_in_the_handling_scope(officer, make_user):
    case, _ = svc.receive(_data(), division=Division.objects.get(pk=KUNSHAN))
    assert personal(case, officer)["phone"] == "13912345678"
    assert personal(case, make_user("officer", "320100"))["phone"] == "139****5678"
    assert personal(case, make_user("inspector", KUNSHAN))["masked"]
    # The audit chain holds masked personal data only.
    entries = AuditEntry.objects.filter(object_type="complaints.complainant")
    assert entries.exists()
    for e in entries:
        assert "13912345678" not in str(e.postchange) and "320102199001011234" not in str(e.postchange)


def test_intake_suggests_labels_and_confirmed_labels_train_a_new_version(officer, make_user, settings, client):
    from zhijian.complaints import labelling
    from zhijian.complaints.classifier import model as modelmod
    from zhijian.registry.models import ProductCategory

    case, _ = svc.receive(_data(facts="电动自行车充电时电池突然起火，烧毁了楼道里的杂物。"),
                          division=Division.objects.get(pk=KUNSHAN))
    case.refresh_from_db()
    assert case.hazard == "fire" and case.hazard_confidence > 0.3
    assert case.category is not None and case.category_confidence > 0
    assert not case.labels_confirmed
    cat = ProductCategory.objects.exclude(pk=case.category_id).order_by("code").first()
    svc.confirm_labels(case, officer, category=cat, hazard="electric_shock")
    assert list(labelling.confirmed_rows()) == [(case.facts, cat.code, "electric_shock")]
    # A province admin retrains from the page (background job, run in-process here); a small
    # generated set, as this is about the page, the job and the audit, not about accuracy.
    settings.COMPLAINT_CLASSIFIER_GENERATED_PER_CODE = 4
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = make_user("province_admin", "320000")
    client.force_login(officer)
    assert client.post("/complaints/classifier/").status_code == 403
    client.force_login(admin)
    before = modelmod.current_version()
    assert client.post("/complaints/classifier/").status_code == 302
    after = modelmod.current_version()
    assert after != before
    assert AuditEntry.objects.filter(object_type="complaints.classifier", object_id=after).exists()
    page = client.get("/complaints/classifier/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert after in html
    # the training source by name, the training time as a date, not the metadata's raw values
    assert "随平台提供的文本及执法人员已确认的分类" in html and "(confirmed)" not in html
    assert "T" not in html.split("训练时间", 1)[-1].split("</td>", 2)[0].split("<td>")[-1]
