"""Public portal pages: published self-declarations and the enterprise lookup."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhijian.core import scope as S
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise, Standard, StandardDeclaration


@pytest.fixture
def world(db):
    huqiu = Enterprise.objects.create(uscc=make_uscc("320505", 920001), name="苏州虎丘电器有限公司",
                                      division_id="320505", phone="0512-99990000")
    nanjing = Enterprise.objects.create(uscc=make_uscc("320102", 920002), name="南京玄武食品有限公司",
                                        division_id="320102", phone="025-88880000", status="abnormal")
    gb = Standard.objects.create(code="GB 4706.8-2008", title="电热毯的特殊要求", kind="national_mandatory")
    q = Standard.objects.create(code="Q/NJXW 001-2026", title="速冻食品", kind="enterprise")
    return {
        "huqiu": huqiu, "nanjing": nanjing,
        "published": StandardDeclaration.objects.create(enterprise=huqiu, product_name="电热毯", standard=gb,
                                                        published_on="2026-02-01", indicators="额定功率 60W"),
        "nanjing_decl": StandardDeclaration.objects.create(enterprise=nanjing, product_name="速冻水饺",
                                                           standard=q, published_on="2026-03-01"),
        "draft": StandardDeclaration.objects.create(enterprise=huqiu, product_name="草稿产品", standard=gb,
                                                    status="draft"),
        "withdrawn": StandardDeclaration.objects.create(enterprise=huqiu, product_name="撤回产品", standard=gb,
                                                        published_on="2025-01-01", status="withdrawn"),
    }


def listed(response):
    return [d.product_name for d in response.context["page"]]


def test_declaration_list_shows_published_only(client, world):
    response = client.get("/portal/declarations/")
    assert response.status_code == 200
    assert listed(response) == ["速冻水饺", "电热毯"]  # newest first
    html = response.content.decode()
    assert "草稿产品" not in html and "撤回产品" not in html


@pytest.mark.parametrize("query,expected", [
    ("虎丘", ["电热毯"]),  # enterprise name
    ("GB 4706.8", ["电热毯"]),  # standard code
    ("q/njxw", ["速冻水饺"]),  # standard code, any case
    ("水饺", ["速冻水饺"]),  # product
])
def test_declaration_search(client, world, query, expected):
    assert listed(client.get("/portal/declarations/", {"q": query})) == expected


def test_declaration_search_by_uscc(client, world):
    uscc = world["nanjing"].uscc
    assert listed(client.get("/portal/declarations/", {"q": uscc})) == ["速冻水饺"]
    assert listed(client.get("/portal/declarations/", {"q": uscc[:9]})) == ["速冻水饺"]


def test_declaration_portal_is_public_even_for_signed_in_staff(client, make_user, world):
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    assert listed(client.get("/portal/declarations/")) == ["速冻水饺", "电热毯"]  # not only 苏州, no drafts


def test_declaration_detail(client, world):
    response = client.get(f"/portal/declarations/{world['published'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "GB 4706.8-2008" in html and "额定功率 60W" in html and world["huqiu"].uscc in html
    assert "0512-99990000" not in html
    assert client.get(f"/portal/declarations/{world['draft'].pk}/").status_code == 404
    assert client.get(f"/portal/declarations/{world['withdrawn'].pk}/").status_code == 404


def test_enterprise_lookup(client, world):
    response = client.get("/portal/enterprises/", {"q": "玄武"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert [e.name for e in response.context["page"]] == ["南京玄武食品有限公司"]
    assert world["nanjing"].uscc in html and "玄武区" in html and "on the abnormal-operation list" in html
    assert "025-88880000" not in html
    by_uscc = client.get("/portal/enterprises/", {"q": world["huqiu"].uscc.lower()})
    assert [e.name for e in by_uscc.context["page"]] == ["苏州虎丘电器有限公司"]


def test_enterprise_lookup_needs_a_query(client, world):
    assert client.get("/portal/enterprises/").context["page"] is None
    short = client.get("/portal/enterprises/", {"q": "苏"})
    assert short.context["page"] is None and short.context["too_short"]


def test_enterprise_public_page_never_loads_the_phone(client, world):
    huqiu = world["huqiu"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/portal/enterprises/{huqiu.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert huqiu.uscc in html and "电热毯" in html and "草稿产品" not in html
    assert "0512-99990000" not in html
    assert not any('"phone"' in q["sql"] for q in ctx.captured_queries)


def test_portal_list_query_count_does_not_grow(client, world):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/portal/declarations/").status_code == 200
        return len(ctx.captured_queries)

    one = count()
    gb = Standard.objects.get(code="GB 4706.8-2008")
    for i in range(10):
        e = Enterprise.objects.create(uscc=make_uscc("320506", 930000 + i), name=f"企业{i}", division_id="320506")
        StandardDeclaration.objects.create(enterprise=e, product_name=f"产品{i}", standard=gb,
                                           published_on="2026-01-01")
    assert count() == one <= 4
