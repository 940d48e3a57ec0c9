"""Staff pages of complaints and reports: list, case page, steps, intake, dashboard, exports."""
import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhijian.complaints import services as svc
from zhijian.complaints.models import Case, Complainant
from zhijian.core import scope as S
from zhijian.registry.models import Division, ProductCategory

pytestmark = pytest.mark.django_db

KUNSHAN, SUZHOU, GUSU, NANJING, XUANWU = "320583", "320500", "320508", "320100", "320102"
PHONE, ID_NUMBER, NAME = "13912345678", "320102199001011234", "王小明"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def intake_data(**kw):
    d = {"kind": "complaint", "channel": "phone", "complainant_name": NAME, "complainant_phone": PHONE,
         "complainant_id_number": ID_NUMBER, "complainant_address": "江苏省昆山市前进中路1号",
         "respondent_name": "昆山某电器有限公司", "facts": f"购买的电暖器冒烟起火。联系电话 {PHONE}。",
         "request": "退货并赔偿", "amount_claimed": "1200", "received_on": timezone.localdate().isoformat()}
    d.update(kw)
    return d


def make_case(division=KUNSHAN, **kw):
    case, code = svc.receive(intake_data(**kw), division=Division.objects.get(pk=division))
    case.code = code
    return case


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def officer(make_user):
    return make_user(S.ROLE_OFFICER, SUZHOU)


def text(response):
    return response.content.decode()


# --------------------------------------------------------------------------- list


def test_list_is_scoped_and_masks_the_complainant(client, officer):
    mine, other = make_case(KUNSHAN), make_case(XUANWU)
    html = text(login(client, officer).get(reverse("complaints:case_list"), **EN))
    assert mine.ticket in html and other.ticket not in html
    assert "王**" in html and NAME not in html and PHONE not in html


def test_list_filters(client, officer):
    old = make_case(received_on="2026-01-05")  # long overdue
    new = make_case(kind="report", respondent_name="苏州某食品店")
    login(client, officer)
    url = reverse("complaints:case_list")

    def tickets(**params):
        page = client.get(url, params)
        assert page.status_code == 200
        return {c.ticket for c in page.context["table"].data}

    assert tickets(kind="report") == {new.ticket}
    assert tickets(due="overdue") == {old.ticket}
    assert tickets(received_before="2026-02-01") == {old.ticket}
    assert tickets(received_after="2026-02-01") == {new.ticket}
    assert tickets(q=new.ticket.lower()) == {new.ticket}
    assert tickets(q="食品") == {new.ticket}
    assert tickets(q=PHONE) == set()  # personal data is not searchable
    assert tickets(division=KUNSHAN, status="received") == {old.ticket, new.ticket}
    assert tickets(division=NANJING) == set()
    svc.confirm_labels(old, officer, category=ProductCategory.objects.order_by("code").first(),
                       hazard="chemical")
    assert tickets(hazard="chemical") == {old.ticket}
    assert tickets(category=ProductCategory.objects.order_by("code").first().pk) >= {old.ticket}


def test_exports_mask_personal_data(client, officer):
    case = make_case()
    login(client, officer)
    response = client.get(reverse("complaints:case_list"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and rows[1][0] == case.ticket
    assert "王**" in body and "139****5678" in body
    assert PHONE not in body and ID_NUMBER not in body and NAME not in body
    response = client.get(reverse("complaints:case_list"), {"export": "xlsx"})
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [str(c) for row in wb.active.iter_rows(values_only=True) for c in row]
    assert case.ticket in cells and PHONE not in " ".join(cells) and "王**" in cells


def test_list_query_count_does_not_grow(client, officer):
    make_case()
    login(client, officer)
    url = reverse("complaints:case_list")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(15):
        make_case(respondent_name=f"昆山某店{i}")
    assert count() == one <= 14


# --------------------------------------------------------------------------- case page


def test_case_page_clear_for_the_handling_bureau_masked_for_others(client, officer, make_user):
    case = make_case()
    url = reverse("complaints:case_detail", args=[case.pk])
    html = text(login(client, officer).get(url, **EN))
    assert PHONE in html and ID_NUMBER in html and NAME in html
    assert "accept the complaint" in html.lower()  # the steps
    inspector = make_user(S.ROLE_INSPECTOR, KUNSHAN)
    html = text(login(client, inspector).get(url, **EN))
    assert PHONE not in html and ID_NUMBER not in html and NAME not in html
    assert "139****5678" in html and "masked" in html and 'id="steps"' not in html
    assert login(client, make_user(S.ROLE_OFFICER, NANJING)).get(url).status_code == 404
    enterprise = make_user(S.ROLE_ENTERPRISE, enterprise=case_enterprise())
    assert login(client, enterprise).get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def case_enterprise():
    from zhijian.registry.tests.factories import make_enterprise

    return make_enterprise(KUNSHAN)


def test_case_page_shows_the_clocks_and_the_overdue_badge(client, officer):
    case = make_case(received_on="2026-01-05")
    html = text(login(client, officer).get(reverse("complaints:case_detail", args=[case.pk]), **EN))
    assert case.accept_due.isoformat() in html and 'id="overdue-badge"' in html
    assert "Art. 14" in html and 'data-clock="accept"' in html


def test_case_page_query_count_is_bounded(client, officer):
    case = make_case()
    case = svc.accept(case, officer)
    for i in range(5):
        svc.record_mediation(case, officer, method="phone", mediator=f"调解员{i}", summary="调解")
    url = reverse("complaints:case_detail", args=[case.pk])
    login(client, officer).get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    few = len(ctx.captured_queries)
    for i in range(5):
        svc.record_mediation(case, officer, method="phone", mediator=f"调解员{i}", summary="调解")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) == few <= 30, "\n".join(q["sql"][:150] for q in ctx.captured_queries)


def step(client, case, name, **fields):
    return client.post(reverse("complaints:case_step", args=[case.pk, name]),
                       {f"{name}-{k}": v for k, v in fields.items()}, **EN)


def test_steps_accept_mediate_close(client, officer):
    case = make_case()
    login(client, officer)
    response = step(client, case, "accept")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and case.mediation_due
    assert step(client, case, "mediate", method="phone", mediator="李调解", summary="双方同意退款").status_code == 302
    assert step(client, case, "close_agreement", amount_refunded="899.00", upheld="on").status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and str(case.amount_refunded) == "899.00" and case.upheld
    assert [e.type for e in case.events.all()][-3:] == ["accepted", "mediated", "closed"]


def test_step_errors_are_on_the_fields_and_change_nothing(client, officer):
    case = make_case()
    login(client, officer)
    response = step(client, case, "reject", note="无理由")
    assert response.status_code == 200
    reject_form = next(s["form"] for s in response.context["steps"] if s["name"] == "reject")
    assert list(reject_form.errors) == ["rejection_reason"]
    assert reject_form["note"].value() == "无理由"  # what was typed is kept
    # a service error (state) is shown too: mediation before acceptance
    response = step(client, case, "mediate", method="phone", mediator="李", summary="x")
    assert response.status_code == 200 and "received" in text(response)
    # a date before receipt
    response = step(client, case, "accept", on="2020-01-01")
    assert "cannot precede receipt" in text(response)
    case.refresh_from_db()
    assert case.status == Case.Status.RECEIVED and not case.mediations.exists()


def test_steps_need_the_change_scope(client, officer, make_user):
    case = make_case()
    assert step(login(client, make_user(S.ROLE_OFFICER, NANJING)), case, "accept").status_code == 404
    assert step(login(client, make_user(S.ROLE_INSPECTOR, KUNSHAN)), case, "accept").status_code == 403
    assert step(login(client, officer), case, "no_such_step").status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.RECEIVED


def test_candidates_and_confirm_respondent(client, officer, enterprise_factory):
    ent = enterprise_factory(division=KUNSHAN, name="昆山市示例电器有限公司")
    case = make_case(respondent_name="昆山示例电器")
    html = text(login(client, officer).get(reverse("complaints:case_detail", args=[case.pk]), **EN))
    assert ent.uscc in html and "confirm-candidate" in html
    response = client.post(reverse("complaints:case_step", args=[case.pk, "match"]), {"match-enterprise": ent.uscc})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.respondent == ent and case.respondent_match == Case.Match.CONFIRMED


def test_labels_confirmed_or_corrected(client, officer):
    case = make_case()
    cat = ProductCategory.objects.order_by("code")[2]
    login(client, officer)
    assert step(client, case, "labels", category=cat.pk, hazard="electric_shock").status_code == 302
    case.refresh_from_db()
    assert case.labels_confirmed and case.category == cat and case.hazard == "electric_shock"
    assert case.labels_confirmed_by == officer
    response = step(client, case, "labels", hazard="lightning")
    assert response.status_code == 200 and response.context["labels_step"]["form"].errors["hazard"]


# --------------------------------------------------------------------------- intake


def test_officer_intake_shows_ticket_and_code_once(client, officer):
    login(client, officer)
    data = intake_data(division=KUNSHAN, amount_claimed="1200")
    data.pop("received_on")
    response = client.post(reverse("complaints:case_add"), data)
    assert response.status_code == 302, response.context["form"].errors
    case = Case.objects.get()
    assert case.channel == "phone" and case.division_id == KUNSHAN
    receipt = client.get(response["Location"])
    code = receipt.context["receipt"]["code"]
    assert receipt.context["receipt"]["ticket"] == case.ticket
    assert svc.find_by_ticket(case.ticket, code) == case
    again = client.get(response["Location"])
    assert again.context["receipt"] is None and code not in text(again)
    assert Complainant.objects.get(case=case).phone == PHONE


def test_officer_intake_errors_name_the_fields(client, officer):
    login(client, officer)
    response = client.post(reverse("complaints:case_add"),
                           intake_data(complainant_phone="", respondent_uscc="123", division=KUNSHAN), **EN)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "complainant_phone" in errors and "respondent_uscc" in errors
    assert not Case.objects.exists()


def test_officer_intake_outside_the_area_is_refused(client, officer, enterprise_factory):
    nanjing = enterprise_factory(division=XUANWU)
    login(client, officer)
    response = client.post(reverse("complaints:case_add"),
                           intake_data(respondent_uscc=nanjing.uscc, division=KUNSHAN), **EN)
    assert response.status_code == 200 and "outside your area" in text(response)
    assert not Case.objects.exists() and not Complainant.objects.exists()


def test_intake_needs_the_add_permission(client, make_user):
    login(client, make_user(S.ROLE_INSPECTOR, KUNSHAN))
    assert client.get(reverse("complaints:case_add")).status_code == 403
    assert client.post(reverse("complaints:case_add"), intake_data(division=KUNSHAN)).status_code == 403
    assert not Case.objects.exists()


# --------------------------------------------------------------------------- dashboard and menu


def test_dashboard_lists_overdue_and_due_soon(client, officer, make_user):
    overdue = make_case(received_on="2026-01-05")
    soon = make_case(received_on=(timezone.localdate() - dt.timedelta(days=7)).isoformat())
    elsewhere = make_case(XUANWU, received_on="2026-01-05")
    response = login(client, officer).get(reverse("complaints:dashboard"), **EN)
    assert response.status_code == 200
    sections = {s["key"]: {c.ticket for c in s["cases"]} for s in response.context["sections"]}
    assert overdue.ticket in sections["overdue"] and elsewhere.ticket not in sections["overdue"]
    if soon.next_due >= timezone.localdate():
        assert soon.ticket in sections["due_soon"]
    html = text(response)
    assert NAME not in html and "王**" in html
    home = text(client.get("/", **EN))
    assert 'id="complaints-due"' in home and reverse("complaints:dashboard") in home
    assert login(client, make_user(S.ROLE_ENTERPRISE, enterprise=case_enterprise())).get(
        reverse("complaints:dashboard")).status_code == 403
    assert 'id="complaints-due"' not in text(client.get("/"))


def test_menu_links_the_dashboard_and_list(client, officer):
    html = text(login(client, officer).get("/", **EN))
    assert reverse("complaints:dashboard") in html and reverse("complaints:case_list") in html


def test_admin_is_read_only_and_shows_no_personal_data(client, make_user):
    from django.contrib.auth import get_user_model

    case = make_case()
    root = get_user_model().objects.create_superuser("cmp-root", "root@example.org", "pw")
    login(client, root)
    listing = client.get(reverse("admin:complaints_case_changelist"))
    assert listing.status_code == 200 and case.ticket in text(listing)
    page = client.get(reverse("admin:complaints_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert PHONE not in text(page) and ID_NUMBER not in text(page) and NAME not in text(page)
    assert client.get(reverse("admin:complaints_case_add")).status_code == 403


def test_dashboard_query_count_does_not_grow(client, officer):
    make_case(received_on="2026-01-05")
    login(client, officer)
    url = reverse("complaints:dashboard")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(10):
        make_case(received_on="2026-01-05", respondent_name=f"逾期店{i}")
    assert count() == one <= 12


def test_every_step_form_reaches_its_service(client, officer):
    """Each step's page form hands the right values to its service (report and complaint paths)."""
    login(client, officer)
    report = make_case(kind="report")
    for name, fields in [("start_check", {}), ("extend_clue", {"approval": "局长批准 2026-9"}),
                         ("decide", {"open_case": "on", "reference": "昆市监立〔2026〕7号"}),
                         ("notify", {}), ("close_report", {})]:
        assert step(client, report, name, **fields).status_code == 302, name
    report.refresh_from_db()
    assert report.status == Case.Status.CLOSED and report.clue_extended and report.notified_on
    assert report.conversions.get().reference == "昆市监立〔2026〕7号"

    complaint = make_case()
    today = timezone.localdate().isoformat()
    for name, fields in [("accept", {"on": today}), ("start_testing", {"body": "昆山检测中心"}),
                         ("end_testing", {}), ("find_clue", {"note": "疑似销售不合格电暖器"}),
                         ("extend_clue", {"approval": "局长批准"}), ("check_clue", {"result": "属实"}),
                         ("convert", {"target": "spotcheck", "reference": "2026 电暖器专项抽查"}),
                         ("terminate", {"termination_reason": "no_agreement", "note": "双方分歧"}),
                         ("notify", {})]:
        assert step(client, complaint, name, **fields).status_code == 302, name
    complaint.refresh_from_db()
    assert complaint.status == Case.Status.CLOSED and complaint.termination_reason == "no_agreement"
    assert complaint.testing_periods.get().body == "昆山检测中心" and complaint.clue_checked_on
    assert complaint.conversions.get().target == "spotcheck" and complaint.notified_on

    moved = make_case()
    assert step(client, moved, "transfer", to_division=XUANWU, reason="实际经营地在玄武区").status_code == 302
    moved = Case.objects.get(pk=moved.pk)
    assert moved.division_id == XUANWU and moved.transfers.get().reason == "实际经营地在玄武区"
    # it left the Suzhou officer's scope
    assert client.get(reverse("complaints:case_detail", args=[moved.pk])).status_code == 404
