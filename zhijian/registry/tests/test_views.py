"""The registry pages, one declarative test case per model (``zhijian.core.testing.views``).

Writers: a 苏州 (320500) city officer for the regional models, the province
administrator for the catalogs (divisions, industries, product categories,
standards). Out of scope: 南京 (320100) for the regional models, 北京 for divisions.
"""
import datetime

from zhijian.core.scope import ROLE_INSPECTOR, ROLE_OFFICER, ROLE_PROVINCE_ADMIN
from zhijian.core.testing.views import ViewTestCases, next_n
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import (
    Award,
    Brand,
    Certification,
    Division,
    Enterprise,
    Industry,
    Inspector,
    Lab,
    Product,
    ProductCategory,
    Standard,
    StandardDeclaration,
)

IN, IN2, OUT = "320505", "320583", "320102"  # 虎丘区, 昆山市 (苏州); 玄武区 (南京)


def make_enterprise(division=IN, **kw):
    n = next_n()
    return Enterprise.objects.create(uscc=make_uscc(division, 500000 + n), name=f"视图测试企业{n}有限公司",
                                     division_id=division, **kw)


def make_standard(**kw):
    n = next_n()
    return Standard.objects.create(code=f"Q/ZJT {n}-2026", title=f"测试标准{n}", kind="enterprise", **kw)


def category(i=0):
    return ProductCategory.objects.order_by("code")[i]


def scoped(in_scope):
    return IN if in_scope else OUT


class Base:
    """Shared set-ups (inside a container so that they are not collected themselves)."""

    class Regional(ViewTestCases.PrimaryObjectViewTestCase):
        """Regional models: written by the 苏州 officer, read-only for a 苏州 inspector."""

        user_role, user_division = ROLE_OFFICER, "320500"
        readonly_role, readonly_division = ROLE_INSPECTOR, "320500"

    class Catalog(ViewTestCases.PrimaryObjectViewTestCase):
        """Catalogs: written by the province administrator, read-only for city officers."""

        user_role, user_division = ROLE_PROVINCE_ADMIN, "320000"
        readonly_role, readonly_division = ROLE_OFFICER, "320500"

        def list_params(self, obj):
            return {"q": obj.code}

    class EnterpriseChild(Regional):
        """Rows that belong to an enterprise: their scope is the enterprise's division."""

        def enterprise_data(self, in_scope=True):
            return (self.obj.enterprise if in_scope else self.out_obj.enterprise).uscc

        def out_of_scope_form_data(self):
            return {**self.form_data(), "enterprise": self.enterprise_data(False)}

        def out_of_scope_edit_data(self):
            return {**self.edit_data(), "enterprise": self.enterprise_data(False)}


class EnterpriseViewTests(Base.Regional):
    model = Enterprise
    max_queries = 8
    max_detail_queries = 13

    @classmethod
    def create_object(cls, in_scope=True):
        return make_enterprise(scoped(in_scope), phone="0512-12345678")

    def form_data(self):
        return {"uscc": make_uscc(IN2, 700000 + next_n()), "name": "新建测试企业有限公司", "division": IN2,
                "industry": "3854", "address": "昆山市前进路1号", "status": "active", "scale": "small",
                "established_on": "2020-05-01", "registered_capital": "500.00"}

    def edit_data(self):
        return {"uscc": self.obj.uscc, "name": "改名测试企业有限公司", "division": IN2, "industry": "",
                "status": "abnormal", "scale": "medium", "phone": "0512-87654321"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "division": OUT}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "division": OUT}


class ProductViewTests(Base.EnterpriseChild):
    model = Product
    max_queries = 9
    max_detail_queries = 8

    @classmethod
    def create_object(cls, in_scope=True):
        n = next_n()
        return Product.objects.create(enterprise=make_enterprise(scoped(in_scope)), category=category(),
                                      name=f"测试电热毯{n}", brand="暖洋洋", standard=make_standard())

    def form_data(self):
        return {"enterprise": self.enterprise_data(), "category": category(1).pk, "name": "新产品",
                "brand": "牌子", "model_number": "X-1", "barcode": "6901234567892", "standard": ""}

    def edit_data(self):
        return {"enterprise": self.enterprise_data(), "category": category(2).pk, "name": "改名产品",
                "brand": "", "model_number": "X-2", "barcode": "", "standard": make_standard().code}


class StandardDeclarationViewTests(Base.EnterpriseChild):
    model = StandardDeclaration
    max_queries = 9
    max_detail_queries = 8

    @classmethod
    def create_object(cls, in_scope=True):
        n = next_n()
        return StandardDeclaration.objects.create(
            enterprise=make_enterprise(scoped(in_scope)), product_name=f"测试产品{n}", category=category(),
            standard=make_standard(), published_on=datetime.date(2026, 1, 15), status="published")

    def form_data(self):
        return {"enterprise": self.enterprise_data(), "product_name": "新声明产品", "category": category(1).pk,
                "standard": make_standard().code, "indicators": "额定电压 220V", "published_on": "2026-03-01",
                "status": "published"}

    def edit_data(self):
        return {"enterprise": self.enterprise_data(), "product_name": "改名声明产品", "category": "",
                "standard": self.obj.standard.code, "indicators": "", "published_on": "", "status": "draft"}


class CertificationViewTests(Base.EnterpriseChild):
    model = Certification
    max_queries = 8
    max_detail_queries = 8

    @classmethod
    def create_object(cls, in_scope=True):
        return Certification.objects.create(enterprise=make_enterprise(scoped(in_scope)), kind="qms",
                                            number=f"00126Q{next_n():05d}", issuer="中国质量认证中心")

    def form_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "ccc", "number": f"2026010701{next_n():06d}",
                "issuer": "CQC", "valid_from": "2026-01-01", "valid_until": "2031-01-01", "status": "valid"}

    def edit_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "qms", "number": self.obj.number,
                "issuer": "", "valid_from": "", "valid_until": "", "status": "suspended"}


class AwardViewTests(Base.EnterpriseChild):
    model = Award
    max_queries = 8
    max_detail_queries = 8

    @classmethod
    def create_object(cls, in_scope=True):
        return Award.objects.create(enterprise=make_enterprise(scoped(in_scope)), kind="provincial_quality",
                                    title=f"省长质量奖{next_n()}", year=2025)

    def form_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "china_quality_nomination",
                "title": "中国质量奖提名奖", "year": 2026, "awarded_by": "国务院"}

    def edit_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "other", "title": "", "year": 2024,
                "awarded_by": "市政府"}


class BrandViewTests(Base.EnterpriseChild):
    model = Brand
    max_queries = 8
    max_detail_queries = 8

    @classmethod
    def create_object(cls, in_scope=True):
        return Brand.objects.create(enterprise=make_enterprise(scoped(in_scope)), kind="famous",
                                    name=f"品牌{next_n()}", year=2024)

    def form_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "provincial_brand", "name": "名牌产品",
                "year": 2026, "valid_until": "2029-12-31"}

    def edit_data(self):
        return {"enterprise": self.enterprise_data(), "kind": "well_known", "name": "驰名",
                "year": 2023, "valid_until": ""}


class LabViewTests(Base.Regional):
    model = Lab
    max_queries = 9
    max_detail_queries = 9

    @classmethod
    def create_object(cls, in_scope=True):
        n = next_n()
        lab = Lab.objects.create(name=f"测试检验所{n}", accreditation_number=f"CMA{n:06d}",
                                 division_id=scoped(in_scope), level="city")
        lab.categories.set([category(0), category(1)])
        return lab

    def form_data(self):
        return {"name": "新检验所", "uscc": "", "accreditation_number": f"CNAS L{next_n()}",
                "division": IN2, "level": "private", "scope_text": "电器", "categories": [category(2), category(3)],
                "accredited_until": "2030-06-30", "status": "active"}

    def edit_data(self):
        return {"name": "改名检验所", "uscc": "", "accreditation_number": self.obj.accreditation_number,
                "division": IN, "level": "county", "scope_text": "", "categories": [category(4)],
                "accredited_until": "", "status": "suspended"}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "division": OUT}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "division": OUT}


class InspectorViewTests(Base.Regional):
    """Inspectors are not public: anonymous visitors are sent to log in."""

    model = Inspector
    max_queries = 9
    max_detail_queries = 9

    @classmethod
    def create_object(cls, in_scope=True):
        n = next_n()
        inspector = Inspector.objects.create(name=f"检查员{n}", badge_number=f"ZJ{n:06d}",
                                             division_id=scoped(in_scope), phone="13800000000")
        inspector.categories.set([category(0)])
        return inspector

    def form_data(self):
        return {"name": "新检查员", "badge_number": f"ZJN{next_n():05d}", "division": IN,
                "categories": [category(1)], "status": "active", "phone": "13900000000"}

    def edit_data(self):
        return {"name": "改名检查员", "badge_number": self.obj.badge_number, "division": IN2,
                "categories": [], "status": "retired", "phone": ""}

    def out_of_scope_form_data(self):
        return {**self.form_data(), "division": OUT}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "division": OUT}


def free_division_code(prefix4: str) -> str:
    for k in range(10, 100):
        code = f"{prefix4}{k:02d}"
        if not Division.objects.filter(pk=code).exists():
            return code
    raise AssertionError(f"no free division code under {prefix4}")


class DivisionViewTests(Base.Catalog):
    """Divisions are scoped by their own code: the province admin's scope is 32xxxx."""

    model = Division
    max_queries = 7
    max_detail_queries = 10

    @classmethod
    def create_object(cls, in_scope=True):
        if in_scope:
            code, parent = free_division_code("3205"), "320500"
        else:
            code, parent = free_division_code("1101"), "110000"
        return Division.objects.create(code=code, name=f"测试区{code}", parent_id=parent, level="county")

    def form_data(self):
        return {"code": free_division_code("3205"), "name": "新设区", "parent": "320500", "level": "county"}

    def edit_data(self):
        return {"code": self.obj.code, "name": "改名区", "parent": "320500", "level": "county"}

    def out_of_scope_form_data(self):
        # The parent is in scope, the code is not: refused by the check after the save.
        return {"code": free_division_code("1101"), "name": "越界区", "parent": "320500", "level": "county"}

    def out_of_scope_edit_data(self):
        return {**self.edit_data(), "parent": "110000"}


class IndustryViewTests(Base.Catalog):
    model = Industry
    max_queries = 7
    max_detail_queries = 9

    @classmethod
    def create_object(cls, in_scope=True):
        if not in_scope:
            return None  # industries have no region
        n = next_n()
        return Industry.objects.create(code=f"Z{n:04d}", name=f"测试行业{n}", level=4, section="C",
                                       parent_id="385")

    def form_data(self):
        return {"code": f"Y{next_n():04d}", "name": "新行业", "level": 4, "section": "C", "parent": "385"}

    def edit_data(self):
        return {"code": self.obj.code, "name": "改名行业", "level": 3, "section": "C", "parent": "38"}


class ProductCategoryViewTests(Base.Catalog):
    """Key-supervised flag, risk class and seasonal months, editable by the province admin."""

    model = ProductCategory
    max_queries = 7
    max_detail_queries = 9

    @classmethod
    def create_object(cls, in_scope=True):
        if not in_scope:
            return None
        n = next_n()
        return ProductCategory.objects.create(code=f"ZJT{n:04d}", name=f"测试产品类别{n}", group="日用消费品",
                                              kind="consumer", key_supervised=True, risk_class="high",
                                              seasonal_months=[10, 11])

    def form_data(self):
        return {"code": f"ZJN{next_n():04d}", "name": "电动自行车头盔", "group": "日用消费品", "kind": "consumer",
                "key_supervised": True, "risk_class": "high", "seasonal_months": [5, 6, 7],
                "licence_required": False, "ccc_required": True, "special_requirements": ""}

    def edit_data(self):
        return {"code": self.obj.code, "name": self.obj.name, "group": "", "kind": "industrial",
                "key_supervised": False, "risk_class": "low", "seasonal_months": [],
                "licence_required": True, "ccc_required": False, "special_requirements": "XK"}


class StandardViewTests(Base.Catalog):
    model = Standard
    max_queries = 7
    max_detail_queries = 9

    @classmethod
    def create_object(cls, in_scope=True):
        return make_standard() if in_scope else None

    def form_data(self):
        return {"code": f"GB {90000 + next_n()}-2026", "title": "新国家标准", "kind": "national_mandatory",
                "status": "upcoming", "issued_on": "2026-01-01", "effective_on": "2027-01-01",
                "issuer": "国家市场监督管理总局"}

    def edit_data(self):
        return {"code": self.obj.code, "title": "改名标准", "kind": "group", "status": "abolished",
                "issued_on": "", "effective_on": "", "issuer": ""}
