"""Legacy codes: real codes failing GB 32100 are recorded only with the flag, a reason and
the approver, everywhere records enter (model, form, API, import), and are shown and audited."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.context import change_context
from zhijian.core.importing import MODE_UPSERT
from zhijian.core.testing.api import api_client_for
from zhijian.registry import uscc
from zhijian.registry.forms import EnterpriseForm
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.importers import EnterpriseImporter
from zhijian.registry.models import Enterprise

from .importfiles import audit_count, english, error_keys, write_csv  # noqa: F401 (english: autouse)

pytestmark = pytest.mark.django_db

PILOT = "91350211M0000XUF46"  # an early-pilot code in real registers: its check character fails
PILOT2 = "91350211M00013FA1N"
REASON = "厦门早期试点赋码，见营业执照及国家企业信用信息公示系统"


def legacy_enterprise(code=PILOT, **kw):
    return Enterprise.objects.create(uscc=code, name="厦门试点测试有限公司", division_id="320505",
                                     uscc_legacy=True, uscc_legacy_reason=REASON, **kw)


# --------------------------------------------------------------------------- the model


def candidate(**kw):
    values = {"uscc": PILOT, "name": "甲", "division_id": "320505"} | kw
    return Enterprise(**values)


def field_errors(obj):
    try:
        obj.full_clean()
    except ValidationError as exc:
        return {k: " ".join(v) for k, v in exc.message_dict.items()}
    return {}


def test_a_failing_code_needs_the_flag_and_a_reason():
    assert "should be R, not 6" in field_errors(candidate())["uscc"]
    assert "record it as a legacy code" in field_errors(candidate())["uscc"]
    assert set(field_errors(candidate(uscc_legacy=True))) == {"uscc_legacy_reason"}
    assert set(field_errors(candidate(uscc_legacy=True, uscc_legacy_reason="   "))) == {"uscc_legacy_reason"}
    assert field_errors(candidate(uscc_legacy=True, uscc_legacy_reason=REASON)) == {}


def test_a_valid_code_must_not_carry_the_flag():
    code = make_uscc("320505", body="MA1XW7T5")
    assert field_errors(candidate(uscc=code)) == {}
    errors = field_errors(candidate(uscc=code, uscc_legacy=True, uscc_legacy_reason=REASON))
    assert set(errors) == {"uscc_legacy"} and "only for codes that fail it" in errors["uscc_legacy"]


@pytest.mark.parametrize("garbage", ["91350211M0000XUF4", "91350211M0000XUF4O", "91350211M0000XUF4中"])
def test_even_a_legacy_code_has_18_characters_of_the_charset(garbage):
    errors = field_errors(candidate(uscc=garbage, uscc_legacy=True, uscc_legacy_reason=REASON))
    assert set(errors) == {"uscc"}


def test_a_legacy_code_is_unique():
    legacy_enterprise()
    errors = field_errors(candidate(uscc=PILOT.lower(), uscc_legacy=True, uscc_legacy_reason=REASON))
    assert set(errors) == {"uscc"}


def test_saving_records_the_approver_and_the_audit_entry_holds_it(make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    with change_context(user=officer, source="web"):
        ent = legacy_enterprise()
    assert ent.uscc_legacy_approved_by == officer and ent.uscc_legacy_approved_at is not None
    entry = AuditEntry.objects.filter(object_type="registry.enterprise", object_id=str(ent.pk)).latest("seq")
    assert entry.action == "create" and entry.user_id == officer.pk
    assert (entry.postchange["uscc"], entry.postchange["uscc_legacy"], entry.postchange["uscc_legacy_reason"],
            entry.postchange["uscc_legacy_approved_by_id"]) == (PILOT, True, REASON, officer.pk)
    assert entry.postchange["uscc_legacy_approved_at"]
    # Another user changing the reason approves anew; a change elsewhere keeps the approval.
    other = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    with change_context(user=other, source="web"):
        ent.name = "厦门试点测试（改名）有限公司"
        ent.save()
        ent.refresh_from_db()
        assert ent.uscc_legacy_approved_by == officer
        ent.uscc_legacy_reason = REASON + "（复核）"
        ent.save(update_fields=["uscc_legacy_reason"])
    ent.refresh_from_db()
    assert ent.uscc_legacy_approved_by == other
    # Clearing the flag clears reason and approval.
    ent.uscc_legacy = False
    ent.save()
    ent.refresh_from_db()
    assert (ent.uscc_legacy_reason, ent.uscc_legacy_approved_by, ent.uscc_legacy_approved_at) == ("", None, None)


# --------------------------------------------------------------------------- the form and pages


def form_data(**kw):
    return {"uscc": PILOT, "name": "厦门试点表单有限公司", "division": "320505", "status": "active"} | kw


def test_form_accepts_a_legacy_code_only_with_flag_and_reason(make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    form = EnterpriseForm(form_data(), instance=Enterprise(), user=officer)
    assert not form.is_valid() and "should be R" in " ".join(form.errors["uscc"])
    form = EnterpriseForm(form_data(uscc_legacy="on"), instance=Enterprise(), user=officer)
    assert not form.is_valid() and set(form.errors) == {"uscc_legacy_reason"}
    form = EnterpriseForm(form_data(uscc_legacy="on", uscc_legacy_reason=REASON), instance=Enterprise(),
                          user=officer)
    assert form.is_valid(), form.errors
    ent = form.save()
    assert (ent.uscc_legacy, ent.uscc_legacy_approved_by) == (True, officer)


def test_add_page_saves_a_legacy_code_with_the_acting_user(client, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    client.force_login(officer)
    r = client.post(reverse("registry:enterprise_add"),
                    form_data(uscc=PILOT.lower(), uscc_legacy="on", uscc_legacy_reason=REASON))
    assert r.status_code == 302, r.content.decode()[:2000]
    ent = Enterprise.objects.get(uscc=PILOT)
    assert ent.uscc_legacy_approved_by == officer
    r = client.post(reverse("registry:enterprise_add"), form_data(uscc=PILOT2))
    assert r.status_code == 200 and not Enterprise.objects.filter(uscc=PILOT2).exists()


def test_list_shows_the_marker_and_filters_legacy_codes(client, make_user, enterprise_factory):
    officer = make_user(S.ROLE_OFFICER, "320500")
    legacy = legacy_enterprise()
    plain = enterprise_factory("320505", name="普通代码测试有限公司")
    client.force_login(officer)
    with translation.override("zh-hans"):
        page = client.get(reverse("registry:enterprise_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-flag="uscc_legacy"' in page and f'title="{REASON}"' in page and "历史代码" in page
    assert page.count('data-flag="uscc_legacy"') == 1
    only = client.get(reverse("registry:enterprise_list"), {"uscc_legacy": "true"}).content.decode()
    assert legacy.name in only and plain.name not in only
    rest = client.get(reverse("registry:enterprise_list"), {"uscc_legacy": "false"}).content.decode()
    assert legacy.name not in rest and plain.name in rest


def test_detail_shows_flag_reason_approver_and_time(client, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    with change_context(user=officer, source="web"):
        ent = legacy_enterprise()
    client.force_login(officer)
    page = client.get(ent.get_absolute_url()).content.decode()
    assert REASON in page and officer.username in page
    assert "legacy code approved at" in page or "历史代码批准时间" in page


# --------------------------------------------------------------------------- the API


def test_api_accepts_a_legacy_code_only_with_flag_and_reason_and_records_the_user(make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    client = api_client_for(officer)
    url = reverse("registry-api:enterprise-list")
    body = {"uscc": PILOT, "name": "厦门试点接口有限公司", "division": "320505"}
    r = client.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "should be R" in " ".join(r.json()["uscc"])
    r = client.post(url, body | {"uscc_legacy": True}, format="json")
    assert r.status_code == 400 and set(r.json()) == {"uscc_legacy_reason"}
    other = make_user(S.ROLE_OFFICER, "320500")
    r = client.post(url, body | {"uscc_legacy": True, "uscc_legacy_reason": REASON,
                                 "uscc_legacy_approved_by": other.username}, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert (data["uscc_legacy"], data["uscc_legacy_reason"], data["uscc_legacy_approved_by"]) == (
        True, REASON, officer.username)  # the approver is the requesting user, not what was sent
    assert data["uscc_legacy_approved_at"]
    valid = make_uscc("320505", body="MA1XW7T5")
    r = client.post(url, body | {"uscc": valid, "uscc_legacy": True, "uscc_legacy_reason": REASON},
                    format="json")
    assert r.status_code == 400 and set(r.json()) == {"uscc_legacy"}


def test_api_hides_the_approver_from_the_public(make_user):
    legacy_enterprise(uscc_legacy_approved_by=make_user(S.ROLE_OFFICER, "320500"))
    row = api_client_for(None).get(reverse("registry-api:enterprise-list"), {"uscc_legacy": "true"}).json()
    [ent] = row["results"]
    assert ent["uscc_legacy"] is True and "uscc_legacy_approved_by" not in ent


# --------------------------------------------------------------------------- imports

HEADER = ["统一社会信用代码", "企业名称", "行政区划代码", "历史代码", "历史代码说明"]


def run(path, user, mode="create"):
    with change_context(user=user, source="cli"):
        return EnterpriseImporter(user=user, mode=mode).run(path)


def test_import_accepts_a_legacy_code_with_flag_and_reason(tmp_path, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    path = write_csv(tmp_path / "e.csv", HEADER, [
        [PILOT, "厦门试点导入有限公司", "320505", "是", REASON],
        [make_uscc("320505", 1), "普通导入有限公司", "320505", "", ""],
    ])
    result = run(path, officer)
    assert result.ok, result.errors
    ent = Enterprise.objects.get(uscc=PILOT)
    assert (ent.uscc_legacy, ent.uscc_legacy_reason, ent.uscc_legacy_approved_by) == (True, REASON, officer)
    assert ent.uscc_legacy_approved_at is not None
    plain = Enterprise.objects.get(uscc=make_uscc("320505", 1))
    assert (plain.uscc_legacy, plain.uscc_legacy_approved_by, plain.uscc_legacy_approved_at) == (False, None, None)
    entry = AuditEntry.objects.get(seq=result.audit_seq)
    assert entry.user_id == officer.pk and entry.postchange["legacy_uscc"] == [PILOT]


def test_import_without_flag_or_reason_names_row_and_field_and_writes_nothing(tmp_path, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    path = write_csv(tmp_path / "e.csv", HEADER, [
        [make_uscc("320505", 1), "普通导入有限公司", "320505", "", ""],   # row 2: fine
        [PILOT, "厦门试点导入有限公司", "320505", "", ""],                 # row 3: no flag
        [PILOT2, "厦门试点二有限公司", "320505", "是", ""],                # row 4: no reason
        [make_uscc("320505", 2), "有标记的普通企业", "320505", "是", REASON],  # row 5: valid code, flag
        [make_uscc("320505", 3), "只有说明的企业", "320505", "否", REASON],    # row 6: reason, no flag
    ])
    before = audit_count()
    result = run(path, officer)
    assert not result.ok
    assert error_keys(result) == [(3, "uscc", "invalid_uscc"), (4, "uscc_legacy_reason", "required"),
                                  (5, "uscc_legacy", "legacy_flag"), (6, "uscc_legacy_reason", "legacy_flag")]
    reason = result.errors[0].reason
    assert "should be R, not 6" in reason and "历史代码" in reason and "uscc_legacy" in reason
    assert Enterprise.objects.count() == 0 and audit_count() == before  # all or nothing


def test_a_failing_code_in_a_file_without_the_legacy_columns(tmp_path, make_user):
    path = write_csv(tmp_path / "e.csv", HEADER[:3], [[PILOT, "厦门试点导入有限公司", "320505"]])
    result = run(path, make_user(S.ROLE_OFFICER, "320500"))
    assert error_keys(result) == [(2, "uscc", "invalid_uscc")]
    assert Enterprise.objects.count() == 0


def test_import_accepts_valid_a_n_y_codes(tmp_path, make_user):
    codes = [make_uscc("320505", body="MB0U1234", authority="A", kind="1"),
             make_uscc("320583", body="N2345678", authority="N", kind="2"),
             make_uscc("320505", body="MY1234JK", authority="Y", kind="1"),
             make_uscc("320506", body="MJ1234AB", authority="5", kind="2")]
    path = write_csv(tmp_path / "e.csv", HEADER[:3],
                     [[c, f"字母代码{i}测试单位", c[2:8]] for i, c in enumerate(codes)])
    result = run(path, make_user(S.ROLE_OFFICER, "320500"))
    assert result.ok, result.errors
    assert sorted(Enterprise.objects.values_list("uscc", flat=True)) == sorted(codes)
    assert not Enterprise.objects.filter(uscc_legacy=True).exists()


def test_upsert_keeps_or_sets_legacy_codes(tmp_path, make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    legacy_enterprise()
    # without the legacy columns, a registered legacy code updates its enterprise
    path = write_csv(tmp_path / "a.csv", HEADER[:3], [[PILOT, "厦门试点（更名）有限公司", "320505"]])
    result = run(path, officer, MODE_UPSERT)
    assert result.ok and result.updated == 1, result.errors
    ent = Enterprise.objects.get(uscc=PILOT)
    assert ent.name == "厦门试点（更名）有限公司" and ent.uscc_legacy
    # a new reason is approved by the importing user, audited with the update
    path = write_csv(tmp_path / "b.csv", HEADER, [[PILOT, ent.name, "320505", "是", REASON + "（复核）"]])
    result = run(path, officer, MODE_UPSERT)
    assert result.ok and result.updated == 1, result.errors
    ent.refresh_from_db()
    assert (ent.uscc_legacy_reason, ent.uscc_legacy_approved_by) == (REASON + "（复核）", officer)
    entry = AuditEntry.objects.filter(object_type="registry.enterprise", action="update").latest("seq")
    assert entry.postchange["uscc_legacy_approved_by_id"] == officer.pk


def test_export_of_a_legacy_enterprise_reimports(tmp_path, make_user, client):
    officer = make_user(S.ROLE_OFFICER, "320500")
    legacy_enterprise()
    client.force_login(officer)
    body = b"".join(client.get(reverse("registry:enterprise_list"), {"export": "csv"}).streaming_content)
    path = tmp_path / "export.csv"
    path.write_bytes(body)
    text = body.decode("utf-8-sig")
    assert "历史代码 (uscc_legacy)" in text and REASON in text
    result = run(path, officer, MODE_UPSERT)
    assert result.ok, result.errors
    assert (result.updated, result.unchanged) == (0, 1)


# --------------------------------------------------------------------------- lookups


def test_agency_and_complaint_lookups_find_a_registered_legacy_code():
    from zhijian.complaints.services import clean_uscc as complaint_uscc
    from zhijian.credit.agency import clean_uscc as agency_uscc

    with pytest.raises(ValidationError) as exc:
        agency_uscc(PILOT)
    assert "should be R, not 6" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        complaint_uscc(PILOT)
    legacy_enterprise()
    assert agency_uscc(PILOT.lower()) == PILOT
    assert complaint_uscc(PILOT) == PILOT
    assert uscc.clean_lookup(PILOT) == PILOT
    with pytest.raises(ValidationError):
        agency_uscc(PILOT2)  # well formed, failing, not registered
