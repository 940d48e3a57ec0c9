"""The public complaint form, the receipt and the status lookup on the portal."""
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from zhijian.complaints import services as svc
from zhijian.complaints.models import Case, Complainant
from zhijian.core import scope as S

from .test_views import ID_NUMBER, KUNSHAN, NAME, PHONE, SUZHOU, make_case

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "portal": "1000/minute"}}


def form_data(**kw):
    d = {"kind": "complaint", "complainant_name": NAME, "complainant_phone": PHONE,
         "complainant_id_number": ID_NUMBER, "complainant_address": "江苏省昆山市前进中路1号",
         "respondent_name": "昆山某电器有限公司", "respondent_address": "昆山市人民路8号", "division": KUNSHAN,
         "product": "电暖器", "facts": "电暖器使用三天后冒烟。", "request": "退货", "amount_claimed": "599"}
    d.update(kw)
    return d


def submit(client, **kw):
    response = client.post(reverse("portal:complaint_form"), form_data(**kw), **EN)
    if response.status_code != 302:
        return response, None
    receipt = client.get(response["Location"], **EN)
    return receipt, receipt.context["receipt"]


def lookup(client, ticket, code):
    return client.post(reverse("portal:complaint_status"), {"ticket": ticket, "code": code}, **EN)


def test_public_form_receipt_once_and_routing_by_uscc(client, enterprise_factory):
    ent = enterprise_factory(division="320506", name="苏州吴中暖风电器有限公司")
    assert client.get(reverse("portal:complaint_form")).status_code == 200
    page, receipt = submit(client, respondent_uscc=ent.uscc.lower(), division=KUNSHAN)
    case = Case.objects.get()
    assert receipt["ticket"] == case.ticket and case.channel == "web" and case.respondent == ent
    assert case.division_id == "320506"  # the registered enterprise's bureau, not the one chosen
    assert svc.find_by_ticket(case.ticket, receipt["code"]) == case
    html = page.content.decode()
    assert receipt["code"] in html and "Keep the ticket number" in html
    again = client.get(reverse("portal:complaint_receipt")).content.decode()
    assert receipt["code"] not in again and case.ticket not in again
    assert Complainant.objects.get(case=case).id_number == ID_NUMBER


def test_public_form_errors_and_nothing_written(client):
    response, _ = submit(client, complainant_phone="", division="", respondent_uscc="91320000XXXXXXXXXX")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "respondent_uscc" in errors and "complainant_phone" in errors
    response, _ = submit(client, division="")  # no registered respondent, no division
    assert "division" in response.context["form"].errors
    response, _ = submit(client, anonymous="on")  # a complaint cannot be anonymous
    assert "anonymous" in response.context["form"].errors
    assert not Case.objects.exists()


def test_anonymous_report_keeps_no_personal_data(client):
    _page, receipt = submit(client, kind="report", anonymous="on", facts="该店销售无厂名厂址的电热毯。")
    case = Case.objects.get(ticket=receipt["ticket"])
    assert case.kind == "report" and not case.real_name
    person = Complainant.objects.get(case=case)
    assert not (person.name or person.phone or person.id_number or person.address)


def test_csrf_is_required(enterprise_factory):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("portal:complaint_form"), form_data()).status_code == 403
    assert client.post(reverse("portal:complaint_status"), {"ticket": "x", "code": "y"}).status_code == 403
    assert not Case.objects.exists()


def test_status_lookup_shows_progress_and_outcome_without_personal_data(client, make_user):
    case = make_case(KUNSHAN)
    code = case.code
    officer = make_user(S.ROLE_OFFICER, SUZHOU)
    case = svc.accept(case, officer)
    svc.record_mediation(case, officer, method="phone", mediator="李调解", summary=f"联系 {PHONE}")
    svc.close_with_agreement(case, officer, refunded="899.00", compensated="100", note=f"电话 {PHONE}")
    response = lookup(client, case.ticket.lower(), code.lower())
    html = response.content.decode()
    assert response.status_code == 200 and response.context["status"]["ticket"] == case.ticket
    assert "899.00" in html and "mediation agreement" in html and "王**" in html
    for secret in (PHONE, ID_NUMBER, NAME, "前进中路", "李调解"):
        assert secret not in html


def test_rejection_reason_is_shown(client, make_user):
    case = make_case(KUNSHAN)
    code = case.code
    svc.reject(case, make_user(S.ROLE_OFFICER, KUNSHAN), "time_barred", "2019 年购买")
    html = lookup(client, case.ticket, code).content.decode()
    assert "not accepted" in html and "3 years" in html


def test_wrong_ticket_or_code_same_answer(client):
    case = make_case(KUNSHAN)
    wrong_code = lookup(client, case.ticket, "AAAAAAAA")
    no_ticket = lookup(client, "TS2026010100000000", case.code)
    assert wrong_code.status_code == no_ticket.status_code == 200
    assert wrong_code.context["not_found"] and no_ticket.context["not_found"]
    assert wrong_code.context["status"] is None and no_ticket.context["status"] is None

    def strip(html):  # the forms echo the ticket typed, CSRF tokens differ; the rest is identical
        html = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)
        return html.replace(case.ticket, "").replace("TS2026010100000000", "")

    assert strip(wrong_code.content.decode()) == strip(no_ticket.content.decode())
    assert case.respondent_name not in wrong_code.content.decode()


def test_status_lookup_is_throttled(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "complaint_lookup": "3/minute"}}
    case = make_case(KUNSHAN)
    for i in range(3):
        assert lookup(client, case.ticket, f"WRONG{i}XX").status_code == 200
    blocked = lookup(client, case.ticket, case.code)  # even the right code waits now
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1


def test_portal_pages_are_rate_limited(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "portal": "2/minute"}}
    url = reverse("portal:complaint_form")
    assert client.get(url).status_code == 200 and client.get(url).status_code == 200
    assert client.get(url).status_code == 429


def test_linked_from_the_portal_home(client):
    html = client.get("/", **EN).content.decode()
    assert reverse("portal:complaint_form") in html and reverse("portal:complaint_status") in html
