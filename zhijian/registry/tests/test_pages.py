"""Registry pages beyond the declarative cases: search, filters, contact data, owners, rollback."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import (
    Division,
    Enterprise,
    Product,
    ProductCategory,
    Standard,
    StandardDeclaration,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def world(db):
    def ent(division, serial, name, **kw):
        return Enterprise.objects.create(uscc=make_uscc(division, serial), name=name, division_id=division, **kw)

    return {
        "huqiu": ent("320505", 810001, "苏州虎丘精工电器有限公司", industry_id="3854", phone="0512-11111111"),
        "kunshan": ent("320583", 810002, "昆山精工机械有限公司", status="abnormal"),
        "city": ent("320500", 810003, "苏州市精工纺织有限公司"),
        "nanjing": ent("320102", 810004, "南京玄武精工电器有限公司", phone="025-22222222"),
    }


@pytest.fixture
def officer_client(client, make_user):
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    return client


def names(response):
    return sorted(row.record.name for row in response.context["table"].paginated_rows)


ENTERPRISES = "/registry/enterprises/"


def test_enterprise_search_by_name_and_uscc(officer_client, world):
    assert names(officer_client.get(ENTERPRISES)) == sorted(
        ["苏州虎丘精工电器有限公司", "昆山精工机械有限公司", "苏州市精工纺织有限公司"])
    assert names(officer_client.get(ENTERPRISES, {"q": "精工电器"})) == ["苏州虎丘精工电器有限公司"]
    uscc = world["kunshan"].uscc
    assert names(officer_client.get(ENTERPRISES, {"q": uscc})) == ["昆山精工机械有限公司"]
    assert names(officer_client.get(ENTERPRISES, {"q": uscc.lower()})) == ["昆山精工机械有限公司"]
    assert names(officer_client.get(ENTERPRISES, {"q": uscc[:10]})) == ["昆山精工机械有限公司"]
    # A Nanjing enterprise is not found even by its exact USCC.
    assert names(officer_client.get(ENTERPRISES, {"q": world["nanjing"].uscc})) == []


def test_enterprise_filters(officer_client, world):
    assert names(officer_client.get(ENTERPRISES, {"division": "320583"})) == ["昆山精工机械有限公司"]
    assert len(names(officer_client.get(ENTERPRISES, {"division": "320500"}))) == 3  # city and below
    assert names(officer_client.get(ENTERPRISES, {"division": "320100"})) == []  # Nanjing: not in scope
    assert names(officer_client.get(ENTERPRISES, {"industry": "38"})) == ["苏州虎丘精工电器有限公司"]
    assert names(officer_client.get(ENTERPRISES, {"status": "abnormal"})) == ["昆山精工机械有限公司"]
    response = officer_client.get(ENTERPRISES)
    # The division drop-down offers the officer's own divisions only.
    codes = [c for c, _ in response.context["filter_form"].fields["division"].choices if c]
    assert "320500" in codes and "320583" in codes and not any(c.startswith("3201") for c in codes)


def test_enterprise_detail_contact_only_for_staff(client, make_user, world):
    huqiu = world["huqiu"]
    url = huqiu.get_absolute_url()
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert huqiu.uscc in anonymous.content.decode() and huqiu.phone not in anonymous.content.decode()
    other_enterprise_user = make_user(S.ROLE_ENTERPRISE, enterprise=world["kunshan"])
    client.force_login(other_enterprise_user)
    assert huqiu.phone not in client.get(url).content.decode()
    client.force_login(make_user(S.ROLE_ENTERPRISE, enterprise=huqiu))
    assert huqiu.phone in client.get(url).content.decode()
    client.force_login(make_user(S.ROLE_INSPECTOR, "320500"))
    assert huqiu.phone in client.get(url).content.decode()


def test_enterprise_detail_lists_related_rows(officer_client, world):
    huqiu = world["huqiu"]
    category = ProductCategory.objects.order_by("code").first()
    std = Standard.objects.create(code="GB 4706.1-2005", title="家用电器安全", kind="national_mandatory")
    Product.objects.create(enterprise=huqiu, category=category, name="电热毯A型", standard=std)
    StandardDeclaration.objects.create(enterprise=huqiu, product_name="电热毯声明", standard=std,
                                       published_on="2026-01-01")
    huqiu.certifications.create(kind="ccc", number="2026011111")
    huqiu.awards.create(kind="provincial_quality", year=2025)
    huqiu.brands.create(kind="famous", name="暖洋洋", year=2024)
    response = officer_client.get(huqiu.get_absolute_url(), **EN)
    html = response.content.decode()
    for text in ("电热毯A型", "电热毯声明", "2026011111", "Provincial Quality Award", "暖洋洋"):
        assert text in html
    sections = {s["key"]: s for s in response.context["sections"]}
    assert set(sections) == {"products", "declarations", "certifications", "awards", "brands"}
    assert sections["products"]["add_url"] == f"/registry/products/add/?enterprise={huqiu.uscc}"


def test_add_page_takes_enterprise_from_query_string(officer_client, world):
    huqiu = world["huqiu"]
    response = officer_client.get(f"/registry/products/add/?enterprise={huqiu.uscc}")
    assert response.context["form"]["enterprise"].value() == huqiu.uscc


def test_division_page_shows_children_and_enterprise_count(officer_client, world):
    response = officer_client.get("/registry/divisions/320500/")
    assert response.status_code == 200
    children = [d.code for d in response.context["children"]]
    assert "320505" in children and "320583" in children
    assert response.context["enterprise_count"] == 3
    assert officer_client.get("/registry/divisions/320100/").status_code == 404


def test_product_category_page_and_edit_rights(client, make_user):
    category = ProductCategory.objects.create(code="ZJTEST1", name="电热毯", key_supervised=True,
                                              risk_class="high", seasonal_months=[10, 11, 12, 1, 2])
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    html = client.get(category.get_absolute_url(), **EN).content.decode()
    assert "January, February, October, November, December" not in html  # kept in season order
    assert "October, November, December, January, February" in html
    assert "high" in html and "✔" in html
    assert client.get(f"/registry/product-categories/{category.pk}/edit/").status_code == 403
    client.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    response = client.post(f"/registry/product-categories/{category.pk}/edit/", {
        "code": "ZJTEST1", "name": "电热毯", "kind": "consumer", "risk_class": "medium",
        "seasonal_months": ["11", "12", "11"]})
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.key_supervised, category.risk_class, category.seasonal_months) == (False, "medium", [11, 12])


def test_write_outside_scope_after_save_is_rolled_back(client, make_user):
    """The check after the save (a code outside the province) rolls back row and audit entry."""
    client.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    before = AuditEntry.objects.count()
    response = client.post("/registry/divisions/add/",
                           {"code": "110199", "name": "越界区", "parent": "320500", "level": "county"})
    assert response.status_code == 403
    assert not Division.objects.filter(pk="110199").exists()
    assert AuditEntry.objects.count() == before


def test_enterprise_user_writes_own_rows_only(client, make_user, world):
    huqiu, nanjing = world["huqiu"], world["nanjing"]
    std = Standard.objects.create(code="Q/HQ 1-2026", title="企业标准", kind="enterprise")
    client.force_login(make_user(S.ROLE_ENTERPRISE, enterprise=huqiu))
    data = {"product_name": "新品", "standard": std.code, "status": "draft"}
    assert client.post("/registry/declarations/add/", {**data, "enterprise": huqiu.uscc}).status_code == 302
    own = StandardDeclaration.objects.get(enterprise=huqiu)
    response = client.post("/registry/declarations/add/", {**data, "enterprise": nanjing.uscc})
    assert response.status_code == 200 and "enterprise" in response.context["form"].errors
    assert not StandardDeclaration.objects.filter(enterprise=nanjing).exists()
    # Another enterprise's draft is invisible; its published declaration readable, not editable.
    other = StandardDeclaration.objects.create(enterprise=nanjing, product_name="别家", standard=std,
                                               status="draft")
    assert client.get(other.get_absolute_url()).status_code == 404
    other.status, other.published_on = "published", "2026-02-01"
    other.save()
    assert client.get(other.get_absolute_url()).status_code == 200
    assert client.get(f"/registry/declarations/{other.pk}/edit/").status_code == 404
    # Own draft: readable and editable; enterprises are read-only for enterprise users.
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(f"/registry/declarations/{own.pk}/edit/").status_code == 200
    assert client.get(f"/registry/enterprises/{huqiu.pk}/edit/").status_code == 403


def test_anonymous_sees_published_declarations_only(client, world):
    std = Standard.objects.create(code="Q/HQ 2-2026", title="企业标准", kind="enterprise")
    draft = StandardDeclaration.objects.create(enterprise=world["huqiu"], product_name="草稿", standard=std,
                                               status="draft")
    public = StandardDeclaration.objects.create(enterprise=world["huqiu"], product_name="公开",
                                                standard=std, published_on="2026-03-01")
    rows = [r.record for r in client.get("/registry/declarations/").context["table"].paginated_rows]
    assert rows == [public]
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(public.get_absolute_url()).status_code == 200


def test_htmx_request_gets_only_the_results(officer_client, world):
    response = officer_client.get(ENTERPRISES, {"q": "昆山"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and "昆山精工机械有限公司" in html
    assert "HX-Request" in response["Vary"]
    full = officer_client.get(ENTERPRISES, {"q": "昆山"})
    assert "<html" in full.content.decode()


def test_per_page_is_capped_and_bad_page_tolerated(officer_client, world):
    response = officer_client.get(ENTERPRISES, {"per_page": "100000", "page": "x"})
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == 500
    assert officer_client.get(ENTERPRISES, {"page": "999"}).status_code == 200


def test_export_links_follow_the_filters(officer_client, world):
    response = officer_client.get(ENTERPRISES, {"q": "精工", "page": "1"})
    links = {link["format"]: link["url"] for link in response.context["export_links"]}
    if not links:
        pytest.skip("zhijian.registry.exports is not installed")
    assert links["csv"] == "?q=%E7%B2%BE%E5%B7%A5&export=csv"
    export = officer_client.get(ENTERPRISES + links["csv"])
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig") if export.streaming else \
        export.content.decode("utf-8-sig")
    assert world["kunshan"].uscc in body and world["nanjing"].uscc not in body


def test_export_needs_login(client, world):
    response = client.get(ENTERPRISES, {"export": "csv"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_inspectors_need_login(client):
    response = client.get("/registry/inspectors/")
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_delete_protected_object_explains_why(client, make_user, world):
    client.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    Division.objects.create(code="320590", name="测试区", parent_id="320500", level="county")
    Enterprise.objects.create(uscc=make_uscc("320590", 1), name="测试区企业", division_id="320590")
    response = client.post("/registry/divisions/320590/delete/", follow=True, **EN)
    assert Division.objects.filter(pk="320590").exists()
    assert "cannot be deleted" in response.content.decode()


# --------------------------------------------------------------------------- navigation and home


def test_menu_depends_on_role(client, make_user, world):
    html = client.get("/", **EN).content.decode()
    assert "/portal/declarations/" in html and "/registry/enterprises/" not in html
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    html = client.get("/", **EN).content.decode()
    assert "/registry/enterprises/" in html and "/registry/inspectors/" in html
    client.force_login(get_user_model().objects.create_user("norole", password="x"))
    html = client.get("/", **EN).content.decode()
    assert "/registry/enterprises/" in html and "/registry/inspectors/" not in html


def test_home_dashboard_counts_within_scope(client, make_user, world):
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    counts = {str(c["label"]): c["count"] for c in client.get("/", **EN).context["counts"]}
    assert counts["enterprises"] == 3
    client.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    counts = {str(c["label"]): c["count"] for c in client.get("/", **EN).context["counts"]}
    assert counts["enterprises"] == 4


# --------------------------------------------------------------------------- languages


def test_chinese_is_the_default_and_english_available(client, world):
    html = client.get(ENTERPRISES).content.decode()
    assert "<h1>企业</h1>" in html and "统一社会信用代码" in html and "行政区划（含下级）" in html
    html = client.get(ENTERPRISES, **EN).content.decode()
    assert "<h1>Enterprises</h1>" in html and "Unified social credit code" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>Enterprises</h1>" in client.get(ENTERPRISES).content.decode()


# --------------------------------------------------------------------------- admin


def test_admin_is_scoped(client, make_user, world):
    officer = make_user(S.ROLE_OFFICER, "320500")
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    response = client.get("/admin/registry/enterprise/")
    assert response.status_code == 200
    shown = {e.name for e in response.context["cl"].result_list}
    assert shown == {"苏州虎丘精工电器有限公司", "昆山精工机械有限公司", "苏州市精工纺织有限公司"}
    assert client.get(f"/admin/registry/enterprise/{world['nanjing'].pk}/change/").status_code == 302
    assert client.get(f"/admin/registry/enterprise/{world['huqiu'].pk}/change/").status_code == 200
    search = client.get("/admin/registry/enterprise/", {"q": world["kunshan"].uscc})
    assert [e.name for e in search.context["cl"].result_list] == ["昆山精工机械有限公司"]
