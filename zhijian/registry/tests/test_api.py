"""The registry API: one declarative test class per model, then the special routes."""
import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.core.testing.api import (
    APIViewTestCases,
    api_client_for,
    list_all_ids,
    token_client_for,
    unique,
)
from zhijian.registry import models as m
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.tests.factories import make_enterprise

SUZHOU, GUSU, KUNSHAN, NANJING_XUANWU = "320500", "320505", "320583", "320102"
_uscc_serial = iter(range(5_000_000, 6_000_000))


def new_uscc(division):
    return make_uscc(division, next(_uscc_serial))


def category(n=0):
    return m.ProductCategory.objects.order_by("code")[n]


def standard():
    return m.Standard.objects.create(code=unique("GB/T API-"), title="测试标准", kind="national_recommended")


class _ProvinceAdminCase(APIViewTestCases.ScopedAPITestCase):
    """Reference data: written by the province administration, read by everyone."""

    user_role, user_division = S.ROLE_PROVINCE_ADMIN, "320000"
    update = {"name": "已更名"}

    def update_data(self):
        return dict(self.update)


class _OfficerCase(APIViewTestCases.ScopedAPITestCase):
    """Regional data: a Suzhou city officer; Nanjing is out of scope."""

    user_role, user_division = S.ROLE_OFFICER, SUZHOU

    def enterprise(self, division=GUSU):
        cache_ = self.__dict__.setdefault("_enterprises", {})
        if division not in cache_:
            cache_[division] = make_enterprise(division)
        return cache_[division]


# --------------------------------------------------------------------------- reference


class TestDivisionAPI(_ProvinceAdminCase):
    model = m.Division
    max_queries = 9

    def make_in_scope(self, n):
        return m.Division.objects.create(code=f"3298{n:02d}", name=f"测试区{n}", level="county",
                                         parent_id="320000")

    def make_out_of_scope(self, n):
        return m.Division.objects.get(pk="110101")  # Beijing: outside the province

    def create_data(self):
        return {"code": "329950", "name": "新设区", "level": "county", "parent": "320000"}

    def foreign_create_data(self):
        return {"code": "119950", "name": "外省新区", "level": "county", "parent": "110000"}


class TestIndustryAPI(_ProvinceAdminCase):
    model = m.Industry
    max_queries = 9

    def make_in_scope(self, n):
        return m.Industry.objects.create(code=f"98{n:02d}", name=f"测试行业{n}", level=4, section="T")

    def create_data(self):
        return {"code": "9899", "name": "新行业", "level": 4, "section": "T"}


class TestProductCategoryAPI(_ProvinceAdminCase):
    model = m.ProductCategory
    max_queries = 9

    def make_in_scope(self, n):
        return m.ProductCategory.objects.create(code=unique("T-CAT-"), name=f"测试产品{n}")

    def create_data(self):
        return {"code": unique("T-NEW-"), "name": "电动自行车头盔", "kind": "consumer",
                "seasonal_months": [5, 6, 7], "key_supervised": True, "risk_class": "high"}


class TestStandardAPI(_ProvinceAdminCase):
    model = m.Standard
    max_queries = 9
    update = {"title": "修订后的标准名称"}

    def make_in_scope(self, n):
        return standard()

    def create_data(self):
        return {"code": unique("GB 4943."), "title": "音视频设备安全", "kind": "national_mandatory",
                "issued_on": "2022-07-11"}


# --------------------------------------------------------------------------- regulated world


class TestEnterpriseAPI(_OfficerCase):
    model = m.Enterprise
    max_queries = 9

    def make_in_scope(self, n):
        return make_enterprise(GUSU if n % 2 else KUNSHAN)

    def make_out_of_scope(self, n):
        return make_enterprise(NANJING_XUANWU)

    def create_data(self):
        return {"uscc": new_uscc(GUSU), "name": "苏州新设企业有限公司", "division": GUSU,
                "industry": "1311", "scale": "small"}

    def foreign_create_data(self):
        return {"uscc": new_uscc(NANJING_XUANWU), "name": "南京企业有限公司",
                "division": NANJING_XUANWU}

    def update_data(self):
        return {"name": "苏州更名企业有限公司", "phone": "0512-65000000"}


class TestProductAPI(_OfficerCase):
    model = m.Product
    max_queries = 9

    def make_in_scope(self, n):
        return m.Product.objects.create(enterprise=self.enterprise(), category=category(n),
                                        name=f"产品{n}")

    def make_out_of_scope(self, n):
        return m.Product.objects.create(enterprise=self.enterprise(NANJING_XUANWU),
                                        category=category(), name="南京产品")

    def create_data(self):
        return {"enterprise": self.enterprise().pk, "category": category(1).pk, "name": "电热毯",
                "brand": "暖冬", "model_number": "TT-1"}

    def foreign_create_data(self):
        return {"enterprise": self.enterprise(NANJING_XUANWU).pk, "category": category().pk,
                "name": "越界产品"}

    def update_data(self):
        return {"name": "电热毯（升级款）"}


class TestStandardDeclarationAPI(_OfficerCase):
    model = m.StandardDeclaration
    max_queries = 9

    def _std(self):
        if "_standard" not in self.__dict__:
            self._standard = standard()
        return self._standard

    def make_in_scope(self, n):
        return m.StandardDeclaration.objects.create(
            enterprise=self.enterprise(), product_name=f"声明产品{n}", standard=self._std(),
            published_on="2026-01-05", status="published")

    def make_out_of_scope(self, n):
        return m.StandardDeclaration.objects.create(
            enterprise=self.enterprise(NANJING_XUANWU), product_name="南京声明",
            standard=self._std(), published_on="2026-01-05", status="published")

    def make_private(self):
        return m.StandardDeclaration.objects.create(
            enterprise=self.enterprise(), product_name="草稿声明", standard=self._std(),
            status="draft")

    def create_data(self):
        return {"enterprise": self.enterprise().pk, "product_name": "纸尿裤",
                "standard": self._std().pk, "published_on": "2026-03-01", "status": "published"}

    def foreign_create_data(self):
        return {**self.create_data(), "enterprise": self.enterprise(NANJING_XUANWU).pk}

    def update_data(self):
        return {"indicators": "吸收量 ≥ 500 mL"}


class TestCertificationAPI(_OfficerCase):
    model = m.Certification
    max_queries = 9

    def make_in_scope(self, n):
        return m.Certification.objects.create(enterprise=self.enterprise(), kind="ccc",
                                              number=unique("2026010101"))

    def make_out_of_scope(self, n):
        return m.Certification.objects.create(enterprise=self.enterprise(NANJING_XUANWU),
                                              kind="ccc", number=unique("2026020202"))

    def create_data(self):
        return {"enterprise": self.enterprise().pk, "kind": "licence", "number": unique("XK06-"),
                "valid_from": "2025-01-01", "valid_until": "2030-01-01"}

    def foreign_create_data(self):
        return {**self.create_data(), "enterprise": self.enterprise(NANJING_XUANWU).pk}

    def update_data(self):
        return {"status": "suspended"}


class TestLabAPI(_OfficerCase):
    model = m.Lab
    max_queries = 10

    def make_in_scope(self, n):
        lab = m.Lab.objects.create(name=f"苏州检测所{n}", accreditation_number=unique("CMA-SZ-"),
                                   division_id=GUSU, level="city")
        lab.categories.set([category(n), category(n + 1)])
        return lab

    def make_out_of_scope(self, n):
        return m.Lab.objects.create(name="南京检测所", accreditation_number=unique("CMA-NJ-"),
                                    division_id=NANJING_XUANWU, level="city")

    def create_data(self):
        return {"name": "昆山检测中心", "accreditation_number": unique("CMA-KS-"),
                "division": KUNSHAN, "level": "county",
                "categories": [category(2).pk, category(3).pk]}

    def foreign_create_data(self):
        return {**self.create_data(), "division": NANJING_XUANWU}

    def update_data(self):
        return {"status": "suspended", "categories": [category(5).pk]}


class TestInspectorAPI(_OfficerCase):
    model = m.Inspector
    max_queries = 10

    def make_in_scope(self, n):
        inspector = m.Inspector.objects.create(name=f"检查员{n}", badge_number=unique("SZ"),
                                               division_id=GUSU)
        inspector.categories.set([category(n)])
        return inspector

    def make_out_of_scope(self, n):
        return m.Inspector.objects.create(name="南京检查员", badge_number=unique("NJ"),
                                          division_id=NANJING_XUANWU)

    def create_data(self):
        return {"name": "新检查员", "badge_number": unique("KS"), "division": KUNSHAN,
                "categories": [category(1).pk]}

    def foreign_create_data(self):
        return {**self.create_data(), "division": NANJING_XUANWU}

    def update_data(self):
        return {"status": "retired"}


class TestAwardAPI(_OfficerCase):
    model = m.Award
    max_queries = 9

    def make_in_scope(self, n):
        return m.Award.objects.create(enterprise=self.enterprise(), kind="provincial_quality",
                                      year=2020 + n % 5)

    def make_out_of_scope(self, n):
        return m.Award.objects.create(enterprise=self.enterprise(NANJING_XUANWU),
                                      kind="provincial_quality", year=2024)

    def create_data(self):
        return {"enterprise": self.enterprise().pk, "kind": "china_quality", "year": 2025,
                "title": "中国质量奖"}

    def foreign_create_data(self):
        return {**self.create_data(), "enterprise": self.enterprise(NANJING_XUANWU).pk}

    def update_data(self):
        return {"awarded_by": "国务院"}


class TestBrandAPI(_OfficerCase):
    model = m.Brand
    max_queries = 9

    def make_in_scope(self, n):
        return m.Brand.objects.create(enterprise=self.enterprise(), kind="famous",
                                      name=f"品牌{n}", year=2021)

    def make_out_of_scope(self, n):
        return m.Brand.objects.create(enterprise=self.enterprise(NANJING_XUANWU), kind="famous",
                                      name="南京品牌", year=2021)

    def create_data(self):
        return {"enterprise": self.enterprise().pk, "kind": "provincial_brand", "name": "姑苏绣",
                "year": 2024}

    def foreign_create_data(self):
        return {**self.create_data(), "enterprise": self.enterprise(NANJING_XUANWU).pk}

    def update_data(self):
        return {"valid_until": "2029-12-31"}


# --------------------------------------------------------------------------- special routes


@pytest.fixture
def officer(make_user):
    return make_user(S.ROLE_OFFICER, SUZHOU)


def test_every_registry_model_has_a_declared_api_test():
    declared = {cls.model for cls in globals().values()
                if isinstance(cls, type) and cls.__name__.startswith("Test")
                and getattr(cls, "model", None) is not None}
    assert declared == set(m.__dict__[name] for name in (
        "Division", "Industry", "ProductCategory", "Standard", "Enterprise", "Product",
        "StandardDeclaration", "Certification", "Lab", "Inspector", "Award", "Brand"))


def test_enterprise_by_uscc_and_q(officer):
    mine = make_enterprise(KUNSHAN, name="昆山某某电器有限公司")
    other = make_enterprise(NANJING_XUANWU)
    client = api_client_for(officer)
    response = client.get(reverse("registry-api:enterprise-by-uscc", args=[mine.uscc.lower()]))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == mine.pk
    assert body["division_detail"] == {"code": KUNSHAN, "name": "昆山市", "level": "county"}
    # out of scope: not found, like any detail
    assert client.get(reverse("registry-api:enterprise-by-uscc",
                              args=[other.uscc])).status_code == 404
    listed = client.get(reverse("registry-api:enterprise-list"), {"q": mine.uscc}).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(reverse("registry-api:enterprise-list"),
                      {"q": other.uscc}).json()["count"] == 0


def test_division_filter_includes_lower_levels(officer):
    city = make_enterprise(GUSU)
    county = make_enterprise(KUNSHAN)
    client = api_client_for(officer)
    url = reverse("registry-api:enterprise-list")
    ids = {row["id"] for row in client.get(url, {"division": SUZHOU, "limit": 100}).json()["results"]}
    assert {city.pk, county.pk} <= ids
    ids = {row["id"] for row in client.get(url, {"division": KUNSHAN}).json()["results"]}
    assert city.pk not in ids and county.pk in ids


@pytest.mark.django_db
def test_division_and_industry_detail_by_code():
    anon = api_client_for(None)
    body = anon.get(reverse("registry-api:division-detail", args=["320583"])).json()
    assert body["name"] == "昆山市" and body["parent"] == "320500"
    assert body["parent_detail"]["name"] == "苏州市"
    body = anon.get(reverse("registry-api:industry-detail", args=["1311"])).json()
    assert body["parent"] == "131" and body["parent_detail"]["code"] == "131"
    assert anon.get("/api/registry/divisions/32058/").status_code == 404


def test_phone_is_not_public(make_user):
    mine = make_enterprise(GUSU, phone="0512-11111111")
    other = make_enterprise(KUNSHAN, phone="0512-22222222")
    url = reverse("registry-api:enterprise-detail", args=[other.pk])
    assert "phone" not in api_client_for(None).get(url).json()
    ent_user = make_user(S.ROLE_ENTERPRISE, enterprise=mine)
    client = api_client_for(ent_user)
    assert "phone" not in client.get(url).json()  # another enterprise: public view
    own = client.get(reverse("registry-api:enterprise-detail", args=[mine.pk])).json()
    assert own["phone"] == "0512-11111111"
    staff = api_client_for(make_user(S.ROLE_OFFICER, SUZHOU)).get(url).json()
    assert staff["phone"] == "0512-22222222"
    listed = api_client_for(None).get(reverse("registry-api:enterprise-list"),
                                      {"q": other.uscc}).json()["results"]
    assert listed and all("phone" not in row for row in listed)


def test_enterprise_user_writes_only_for_its_enterprise(make_user):
    mine, other = make_enterprise(GUSU), make_enterprise(GUSU)
    user = make_user(S.ROLE_ENTERPRISE, enterprise=mine)
    client = api_client_for(user)
    url = reverse("registry-api:product-list")
    data = {"enterprise": mine.pk, "category": category().pk, "name": "自有产品"}
    response = client.post(url, data, format="json")
    assert response.status_code == 201, response.content
    assert AuditEntry.objects.filter(object_type="registry.product", action="create",
                                     object_id=str(response.json()["id"]), user=user).exists()
    response = client.post(url, {**data, "enterprise": other.pk, "name": "冒名产品"}, format="json")
    assert response.status_code == 403
    assert not m.Product.objects.filter(name="冒名产品").exists()
    # nor may it change its own enterprise's registration
    response = client.patch(reverse("registry-api:enterprise-detail", args=[mine.pk]),
                            {"name": "x"}, format="json")
    assert response.status_code == 403


def test_lab_user_changes_own_lab_only(make_user):
    own = m.Lab.objects.create(name="苏州所", accreditation_number="CMA-OWN", division_id=GUSU,
                               level="city")
    other = m.Lab.objects.create(name="昆山所", accreditation_number="CMA-OTHER",
                                 division_id=KUNSHAN, level="county")
    client = api_client_for(make_user(S.ROLE_LAB, lab=own))
    assert client.patch(reverse("registry-api:lab-detail", args=[own.pk]),
                        {"scope_text": "电器"}, format="json").status_code == 200
    assert client.patch(reverse("registry-api:lab-detail", args=[other.pk]),
                        {"scope_text": "电器"}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.scope_text == ""


def test_model_rules_are_enforced(officer):
    client = api_client_for(officer)
    ent = make_enterprise(GUSU)
    response = client.post(reverse("registry-api:standarddeclaration-list"),
                           {"enterprise": ent.pk, "product_name": "x", "standard": standard().pk,
                            "status": "published"}, format="json")
    assert response.status_code == 400 and "published_on" in response.json()
    response = client.post(reverse("registry-api:certification-list"),
                           {"enterprise": ent.pk, "kind": "qms", "number": "Q-1",
                            "valid_from": "2026-01-01", "valid_until": "2025-01-01"}, format="json")
    assert response.status_code == 400 and "valid_until" in response.json()
    response = client.post(reverse("registry-api:enterprise-list"),
                           {"uscc": "91320505MA1XXXXXX0", "name": "x", "division": GUSU},
                           format="json")
    assert response.status_code == 400 and "uscc" in response.json()
    # a lower-case code is normalised, as the model's clean() does
    uscc = new_uscc(GUSU)
    response = client.post(reverse("registry-api:enterprise-list"),
                           {"uscc": uscc.lower(), "name": "小写代码企业", "division": GUSU},
                           format="json")
    assert response.status_code == 201 and response.json()["uscc"] == uscc


def test_referenced_division_cannot_be_deleted(make_user):
    division = m.Division.objects.create(code="329977", name="待撤销区", level="county",
                                         parent_id="320000")
    make_enterprise(division)
    client = api_client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    response = client.delete(reverse("registry-api:division-detail", args=["329977"]))
    assert response.status_code == 409
    assert m.Division.objects.filter(pk="329977").exists()


def test_division_code_cannot_be_renamed(make_user):
    client = api_client_for(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    m.Division.objects.create(code="329978", name="甲区", level="county", parent_id="320000")
    response = client.patch(reverse("registry-api:division-detail", args=["329978"]),
                            {"code": "329979", "name": "乙区"}, format="json")
    assert response.status_code == 200
    assert not m.Division.objects.filter(pk="329979").exists()
    assert m.Division.objects.get(pk="329978").name == "乙区"


@pytest.mark.django_db
def test_list_is_paginated_with_a_ceiling():
    anon = api_client_for(None)
    body = anon.get(reverse("registry-api:division-list"), {"limit": 100000}).json()
    assert len(body["results"]) == 1000 and body["next"]
    assert len(list_all_ids(anon, reverse("registry-api:division-list"))) == m.Division.objects.count()


def test_ordering(officer):
    make_enterprise(GUSU, name="乙企业")
    make_enterprise(GUSU, name="甲企业")
    client = api_client_for(officer)
    names = [r["name"] for r in client.get(reverse("registry-api:enterprise-list"),
                                           {"ordering": "-uscc"}).json()["results"]]
    usccs = [r["uscc"] for r in client.get(reverse("registry-api:enterprise-list"),
                                           {"ordering": "-uscc"}).json()["results"]]
    assert usccs == sorted(usccs, reverse=True) and len(names) == 2


# --------------------------------------------------------------------------- rate limits

RATES = {"anon": "3/minute", "token": "4/minute"}


def _rest_framework_with(rates):
    from django.conf import settings

    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.django_db
def test_anonymous_clients_are_rate_limited():
    cache.clear()
    url = reverse("registry-api:productcategory-list")
    with override_settings(REST_FRAMEWORK=_rest_framework_with(RATES)):
        anon = api_client_for(None)
        codes = [anon.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_token_clients_are_rate_limited_per_token(make_user):
    cache.clear()
    url = reverse("registry-api:productcategory-list")
    agency = make_user(S.ROLE_AGENCY, "320000")
    with override_settings(REST_FRAMEWORK=_rest_framework_with(RATES)):
        first, second = token_client_for(agency, "bank"), token_client_for(agency, "bidding")
        codes = [first.get(url).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]
        assert "Retry-After" in first.get(url)
        assert second.get(url).status_code == 200  # the limit is per token
        # logged-in staff are not throttled by these scopes
        staff = api_client_for(make_user(S.ROLE_OFFICER, SUZHOU))
        assert {staff.get(url).status_code for _ in range(6)} == {200}


def test_out_of_range_keys_in_filters_are_a_client_error(officer):
    client = api_client_for(officer)
    for url in ("/api/registry/inspectors/", "/api/registry/labs/"):
        for value in ("-9789924446255453734699008", str(2 ** 64), "abc"):
            response = client.get(url, {"categories": value})
            assert response.status_code == 400, (url, value, response.status_code)
    assert client.get("/api/registry/products/", {"enterprise": str(10 ** 30)}).status_code == 400


def test_filters_on_relations_do_not_reveal_rows_outside_the_scope(officer):
    inside, outside = make_enterprise(GUSU), make_enterprise(NANJING_XUANWU)
    client = api_client_for(officer)
    assert client.get("/api/registry/products/", {"enterprise": inside.pk}).status_code == 200
    # an existing enterprise outside the scope is refused like a missing one
    missing = client.get("/api/registry/products/", {"enterprise": 10 ** 9})
    hidden = client.get("/api/registry/products/", {"enterprise": outside.pk})
    assert missing.status_code == hidden.status_code == 400
