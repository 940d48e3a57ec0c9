"""The recall case from opening to closure: deadlines, ordered and voluntary recalls, the scope
from the graph, progress limits, events, audit and credit."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.credit.models import CreditEvent
from zhijian.recall import services
from zhijian.recall.models import RecallCase, RecallEvent, RecallRecord
from zhijian.registry.models import ProductCategory

from .graph import build_graph

pytestmark = pytest.mark.django_db

NOTIFIED = dt.date(2026, 9, 28)  # a Monday; the National Day holiday follows
NOW = timezone.make_aware(dt.datetime(2026, 9, 28, 10, 0))


@pytest.fixture
def world(make_user):
    ops, lots, moves = build_graph()
    officer = make_user(S.ROLE_OFFICER, "320500")
    producer_user = make_user(S.ROLE_ENTERPRISE, enterprise=ops["P"])
    return {"ops": ops, "lots": lots, "officer": officer, "producer": producer_user,
            "category": ProductCategory.objects.filter(active=True).first()
            if hasattr(ProductCategory, "active") else ProductCategory.objects.first()}


def open_case(w, **kw):
    return services.open_case(w["officer"], producer=w["ops"]["P"], title="移动电源过热",
                              product_description="某牌移动电源 10000mAh", defect="电芯过热起火",
                              category=w["category"], hazard="fire", on=NOTIFIED, now=NOW, **kw)


def assess(w, case):
    from zhijian.risk.models import RiskAssessment

    a = RiskAssessment.objects.create(division=case.division, category=w["category"], product="移动电源",
                                      hazard="fire", scenarios=[], level="S", probability="1/100",
                                      worst_scenario="起火", evidence="检测报告", assessor=w["officer"])
    return services.assess_case(case, w["officer"], assessment=a, now=NOW)


def audited(case):
    return AuditEntry.objects.filter(object_type="recall.recallcase", object_id=str(case.pk)).count()


def types(case):
    return list(case.events.values_list("type", flat=True))


def test_objection_window_is_15_working_days_on_the_calendar(world):
    case = assess(world, open_case(world))
    case = services.notify_defect(case, world["officer"], finding="电芯隔膜缺陷", on=NOTIFIED, now=NOW)
    # 29, 30 Sep; 1-7 Oct is the National Day holiday; Sat 10 Oct is an adjusted working day
    assert case.objection_due == dt.date(2026, 10, 23)
    assert case.status == RecallCase.Status.NOTIFIED
    notified = case.events.get(type=RecallEvent.Type.NOTIFIED)
    assert notified.parameters["objection_due"] == "2026-10-23"
    assert "缺陷汽车产品召回管理条例" in notified.parameters["basis"]
    # the producer objects on the last day; a day later is too late
    with pytest.raises(ValidationError, match="届满"):
        services.file_objection(case, world["producer"], text="不存在缺陷", on=dt.date(2026, 10, 24), now=NOW)
    with pytest.raises(ValidationError):  # not yet: the producer may still object
        services.order_recall(case, world["officer"], on=dt.date(2026, 10, 23), now=NOW)
    case = services.file_objection(case, world["producer"], text="不存在缺陷，附检测报告",
                                   on=dt.date(2026, 10, 23), now=NOW)
    assert case.status == RecallCase.Status.OBJECTED


def test_ordered_recall_after_the_window_and_a_credit_event(world):
    case = assess(world, open_case(world))
    case = services.notify_defect(case, world["officer"], finding="缺陷", on=NOTIFIED, now=NOW)
    with pytest.raises(PermissionDenied):
        services.order_recall(case, world["producer"], on=dt.date(2026, 10, 26), now=NOW)
    case = services.order_recall(case, world["officer"], on=dt.date(2026, 10, 26), now=NOW)
    assert (case.kind, case.status) == (RecallCase.Kind.ORDERED, RecallCase.Status.RECALLING)
    event = CreditEvent.objects.get(source_type="recall.recallcase", source_id=str(case.pk))
    assert (event.type.code, event.date, event.enterprise_id) == ("recall", dt.date(2026, 10, 26), world["ops"]["P"].pk)
    assert types(case)[-1] == RecallEvent.Type.RECALL_ORDERED


def test_rejected_objection_orders_the_recall_and_an_upheld_one_ends_the_case(world):
    case = assess(world, open_case(world))
    case = services.notify_defect(case, world["officer"], finding="缺陷", on=NOTIFIED, now=NOW)
    case = services.file_objection(case, world["producer"], text="异议", on=NOTIFIED, now=NOW)
    case = services.decide_objection(case, world["officer"], upheld=False, text="专家论证确认缺陷",
                                     on=dt.date(2026, 11, 2), now=NOW)
    assert case.kind == RecallCase.Kind.ORDERED and case.status == RecallCase.Status.RECALLING
    assert types(case)[-2:] == [RecallEvent.Type.OBJECTION_REJECTED, RecallEvent.Type.RECALL_ORDERED]

    other = assess(world, open_case(world))
    other = services.notify_defect(other, world["officer"], finding="缺陷", on=NOTIFIED, now=NOW)
    other = services.file_objection(other, world["producer"], text="异议", on=NOTIFIED, now=NOW)
    other = services.decide_objection(other, world["officer"], upheld=True, text="不构成缺陷", now=NOW)
    assert other.status == RecallCase.Status.DROPPED and other.kind == ""
    assert not CreditEvent.objects.filter(source_type="recall.recallcase", source_id=str(other.pk)).exists()


def test_voluntary_recall_by_the_producer(world):
    case = open_case(world)
    case = services.start_voluntary_recall(case, world["producer"], on=NOTIFIED, now=NOW)
    assert case.kind == RecallCase.Kind.VOLUNTARY
    assert CreditEvent.objects.filter(type__code="recall", source_id=str(case.pk)).count() == 1
    # another enterprise cannot
    stranger = world["ops"]["D"]
    from zhijian.accounts.services import create_user

    seller = create_user("seller-x", "pw", S.ROLE_ENTERPRISE, enterprise=stranger)
    other = open_case(world)
    with pytest.raises(PermissionDenied):
        services.start_voluntary_recall(other, seller, on=NOTIFIED, now=NOW)


def test_scope_is_the_forward_trace_with_hand_counted_quantities(world):
    lots = world["lots"]
    case = services.start_voluntary_recall(open_case(world), world["producer"], on=NOTIFIED, now=NOW)
    case = services.compute_scope(case, world["producer"], lots=[lots["B2"]], now=NOW)
    got = {a.lot.code: (a.depth, a.quantity) for a in case.affected.select_related("lot")}
    assert got == {"B2": (0, 400), "D2": (1, 400), "R2b": (2, 100)}
    assert case.scope_quantity == Decimal(400)  # the producer's lot B2
    # a defective material lot of the supplier: every product lot it went into and beyond
    case = services.compute_scope(case, world["officer"], lots=[lots["C2"]], now=NOW)
    got = {a.lot.code: a.depth for a in case.affected.select_related("lot")}
    assert got == {"C2": 0, "B1": 1, "B2": 1, "D1": 2, "D2": 2, "R2b": 2, "R1a": 3, "R2a": 3}
    assert case.scope_quantity == Decimal(1200)  # B1 800 + B2 400 at the producer
    by_op = {row["operator"].name: row["quantity"] for row in services.scope_by_operator(case)}
    assert by_op == {"电芯供应有限公司": 500, "移动电源制造有限公司": 1200, "数码批发有限公司": 900,
                     "便利零售一店": 300, "上海零售二店": 300}
    # a lot that neither is the producer's nor went into its products is refused
    with pytest.raises(ValidationError):
        services.compute_scope(case, world["officer"], lots=[lots["R1a"]], now=NOW)


def test_plan_progress_summary_closure_and_the_public_record(world):
    lots, officer, producer = world["lots"], world["officer"], world["producer"]
    case = assess(world, open_case(world))
    case = services.notify_defect(case, officer, finding="电芯隔膜缺陷", on=NOTIFIED, now=NOW)
    case = services.start_voluntary_recall(case, producer, on=dt.date(2026, 9, 30), now=NOW)
    with pytest.raises(ValidationError, match="召回范围"):
        services.report_progress(case, producer, on=dt.date(2026, 10, 9), now=NOW, located=1)
    case = services.compute_scope(case, producer, lots=[lots["B1"]], now=NOW)
    assert case.scope_quantity == 800
    with pytest.raises(ValidationError):
        services.send_plan(case, producer, now=NOW)  # no plan registered yet
    case = services.register_plan(case, producer, plan="召回计划：退货退款", on=dt.date(2026, 10, 8), now=NOW)
    operators = services.send_plan(case, producer, on=dt.date(2026, 10, 8), now=NOW)
    assert set(operators) == {world["ops"][k].pk for k in ("D", "R1", "R2")}
    assert not case.affected.filter(operator=world["ops"]["D"], notified_on=None).exists()

    first = services.report_progress(case, producer, on=dt.date(2026, 10, 9), now=NOW, located=500, recovered=300)
    with pytest.raises(ValidationError) as exc:
        services.report_progress(case, producer, on=dt.date(2026, 10, 16), now=NOW, located=801, recovered=300)
    assert "located" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.report_progress(case, producer, on=dt.date(2026, 10, 16), now=NOW, located=600, recovered=200)
    assert "recovered" in exc.value.message_dict  # cumulative: cannot go down
    with pytest.raises(ValidationError) as exc:
        services.report_progress(case, producer, on=dt.date(2026, 10, 16), now=NOW, located=600, recovered=300,
                                 destroyed=301)
    assert "destroyed" in exc.value.message_dict
    services.report_progress(case, producer, on=dt.date(2026, 10, 16), now=NOW, located=800, recovered=780,
                             repaired=0, destroyed=780)
    assert case.progress.count() == 2 and first.pk

    record = services.publish_notice(case, officer, title="召回公告", text="……", now=NOW)
    assert (record.classification, record.status, record.voluntary_mandated) == ("I", "ongoing", "voluntary")
    assert record.published and record.code_info == "B1" and record.product_quantity == "800 个"
    assert record.recalling_firm == "移动电源制造有限公司" and record.state == "江苏省"
    assert "上海" in record.distribution_pattern

    with pytest.raises(ValidationError):
        services.close_case(case, officer, now=NOW)  # no summary yet
    case = services.file_summary(case, producer, text="已完成", on=dt.date(2026, 10, 20), now=NOW)
    with pytest.raises(PermissionDenied):
        services.close_case(case, producer, now=NOW)
    case = services.close_case(case, officer, on=dt.date(2026, 10, 23), now=NOW)
    record.refresh_from_db()
    assert (record.status, record.termination_date) == ("completed", dt.date(2026, 10, 23))
    codes = set(CreditEvent.objects.filter(source_id=str(case.pk), source_type="recall.recallcase")
                .values_list("type__code", flat=True))
    assert codes == {"recall", "recall_completed"}


def test_every_step_leaves_one_event_and_one_audit_entry(world):
    lots, officer, producer = world["lots"], world["officer"], world["producer"]
    case = open_case(world, lots=[lots["B1"]])
    steps = [
        lambda c: services.record_investigation(c, officer, text="现场调查", now=NOW),
        lambda c: assess(world, c),
        lambda c: services.notify_defect(c, officer, finding="缺陷", on=NOTIFIED, now=NOW),
        lambda c: services.order_recall(c, officer, on=dt.date(2026, 10, 26), now=NOW),
        lambda c: services.compute_scope(c, officer, now=NOW),
        lambda c: services.register_plan(c, producer, plan="计划", on=dt.date(2026, 10, 27), now=NOW),
        lambda c: services.send_plan(c, producer, on=dt.date(2026, 10, 27), now=NOW),
        lambda c: services.file_summary(c, producer, text="总结", on=dt.date(2026, 11, 2), now=NOW),
        lambda c: services.close_case(c, officer, on=dt.date(2026, 11, 3), now=NOW),
    ]
    for n, step in enumerate(steps):
        if n == 7:
            before_p = AuditEntry.objects.filter(object_type="recall.progressreport").count()
            services.report_progress(case, producer, on=dt.date(2026, 10, 30), now=NOW, located=10)
            assert AuditEntry.objects.filter(object_type="recall.progressreport").count() == before_p + 1
        events, entries = case.events.count(), audited(case)
        step(case)
        case.refresh_from_db()
        assert case.events.count() == events + 1, n
        assert audited(case) == entries + 1, n
    assert types(case) == ["opened", "investigated", "assessed", "notified", "recall_ordered", "scope_computed",
                           "plan_registered", "plan_sent", "progress", "summary", "closed"]


def test_opening_from_an_alert_a_result_and_an_incident(world, make_user):
    from zhijian.risk import services as risk

    officer = world["officer"]
    alert = risk.open_alert(officer, title="移动电源起火", division=officer.profile.division,
                            category=world["category"], level="H", hazard="fire", now=NOW)
    case = open_case(world, origin=RecallCase.Origin.ALERT, alert=alert)
    assert case.risk_level == "H" and case.alert == alert
    assert alert.events.filter(type="handed_off", parameters__to="recall_case").exists()
    with pytest.raises(ValidationError):
        open_case(world, origin=RecallCase.Origin.INCIDENT)  # names no incident
    # an enterprise reports its own product's defect only
    mine = services.open_case(world["producer"], producer=world["ops"]["P"], title="自查发现缺陷",
                              product_description="移动电源", defect="过热", now=NOW)
    assert mine.division == world["ops"]["P"].division and mine.origin == "defect_report"
    with pytest.raises(PermissionDenied):
        services.open_case(world["producer"], producer=world["ops"]["D"], title="x", product_description="x",
                           defect="x", now=NOW)


def test_progress_before_a_recall_and_officer_only_steps(world):
    case = open_case(world)
    with pytest.raises(ValidationError):
        services.report_progress(case, world["producer"], now=NOW, located=1)
    with pytest.raises(PermissionDenied):
        services.notify_defect(case, world["producer"], finding="x", now=NOW)
    with pytest.raises(ValidationError):  # no risk level yet
        services.notify_defect(case, world["officer"], finding="x", now=NOW)
    assert RecallRecord.objects.count() == 0


def test_demo_data_goes_through_the_services(make_user):
    from zhijian.recall import demo
    from zhijian.registry.tests.factories import make_enterprise

    for _ in range(6):
        make_enterprise("320505")
    officer = make_user(S.ROLE_OFFICER, "320500")
    counts = demo.load(officer, today=dt.date(2026, 11, 16))
    assert counts == {"lots": 9, "movements": 8, "recall cases": 1}
    case = RecallCase.objects.get()
    assert case.status == "recalling" and case.scope_quantity == 1500
    assert {a.lot.code for a in case.affected.all()} == {"PB-2406-01", "WH-A-0601", "WH-B-0603", "SHOP-A-17",
                                                         "SHOP-B-09"}
    assert RecallRecord.objects.get(case=case).published
    assert demo.load(officer)["lots"] == 0  # once
