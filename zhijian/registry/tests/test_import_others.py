"""Import of products, inspectors, labs and standard declarations."""
import datetime

import pytest

from zhijian.core import scope as S
from zhijian.core.context import change_context
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.importers import (
    DeclarationImporter,
    InspectorImporter,
    LabImporter,
    ProductImporter,
)
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory, Standard, StandardDeclaration

from .importfiles import audit_count, english, error_keys, write_csv  # noqa: F401

pytestmark = pytest.mark.django_db


def run(importer, path, user=None, mode="create"):
    with change_context(user=user, source="cli"):
        return importer(user=user, mode=mode).run(path)


@pytest.fixture
def standards(db):
    return [Standard.objects.create(code="GB 4706.1-2005", title="家用和类似用途电器的安全 通用要求",
                                    kind=Standard.Kind.NATIONAL_MANDATORY),
            Standard.objects.create(code="Q/320505 ABC 001-2024", title="企业标准",
                                    kind=Standard.Kind.ENTERPRISE)]


def categories(n=3):
    return list(ProductCategory.objects.order_by("code")[:n])


def test_products_import_and_their_errors(tmp_path, enterprise_factory, standards):
    ent = enterprise_factory(division="320505")
    c1, c2, _ = categories()
    header = ["企业统一社会信用代码", "产品类别", "产品名称", "品牌", "规格型号", "商品条码", "执行标准"]
    good = [
        [ent.uscc, c1.code, "电热水壶", "苏牌", "SP-1", "6901234567892", standards[0].code],
        [ent.uscc, c2.name, "电热水壶", "苏牌", "SP-2", "", ""],
    ]
    result = run(ProductImporter, write_csv(tmp_path / "p.csv", header, good))
    assert result.ok, result.errors
    p1 = Product.objects.get(model_number="SP-1")
    assert (p1.enterprise_id, p1.category_id, p1.name, p1.brand, p1.barcode, p1.standard_id) == (
        ent.pk, c1.pk, "电热水壶", "苏牌", "6901234567892", standards[0].pk)
    assert Product.objects.get(model_number="SP-2").category_id == c2.pk

    before = audit_count()
    bad = [
        [make_uscc("320505", 999), c1.code, "甲", "", "", "", ""],        # row 2: no such enterprise
        [ent.uscc, "不存在的类别", "乙", "", "", "", ""],                    # row 3: unknown category
        [ent.uscc, c1.code, "丙", "", "", "", "GB 0000-0000"],             # row 4: unknown standard
        [ent.uscc, c1.code, "电热水壶", "苏牌", "SP-1", "", ""],             # row 5: exists
        [ent.uscc, c1.code, "丁", "", "X", "", ""],
        [ent.uscc, c1.code, "丁", "", "X", "", ""],                         # row 7: duplicate of 6
    ]
    result = run(ProductImporter, write_csv(tmp_path / "p2.csv", header, bad))
    assert error_keys(result) == [(2, "enterprise", "unknown"), (3, "category", "unknown"),
                                  (4, "standard", "unknown"), (5, "enterprise", "exists"),
                                  (7, "enterprise", "duplicate")]
    assert "row 6" in result.errors[-1].reason
    assert Product.objects.count() == 2 and audit_count() == before


def test_enterprise_user_imports_only_own_products(tmp_path, enterprise_factory, make_user):
    own = enterprise_factory(division="320505")
    other = enterprise_factory(division="320505")
    user = make_user(S.ROLE_ENTERPRISE, enterprise=own)
    c1 = categories(1)[0]
    header = ["enterprise", "category", "name"]
    path = write_csv(tmp_path / "p.csv", header, [[own.uscc, c1.code, "自家产品"],
                                                  [other.uscc, c1.code, "别家产品"]])
    result = run(ProductImporter, path, user=user)
    assert error_keys(result) == [(3, "enterprise", "scope")]
    assert Product.objects.count() == 0
    path = write_csv(tmp_path / "p2.csv", header, [[own.uscc, c1.code, "自家产品"]])
    assert run(ProductImporter, path, user=user).ok
    assert Product.objects.get().enterprise_id == own.pk


def test_inspectors_with_categories(tmp_path):
    c1, c2, c3 = categories()
    header = ["姓名", "执法证号", "行政区划代码", "检查产品类别", "状态", "联系电话"]
    rows = [["王强", "32050001", "320505", f"{c1.code};{c2.code}；{c3.name}", "在岗", "13900000001"],
            ["李娜", "32050002", "320506", "", "退休", ""]]
    result = run(InspectorImporter, write_csv(tmp_path / "i.csv", header, rows))
    assert result.ok, result.errors
    wang = Inspector.objects.get(badge_number="32050001")
    assert (wang.name, wang.division_id, wang.status) == ("王强", "320505", "active")
    assert sorted(wang.categories.values_list("pk", flat=True)) == sorted([c1.pk, c2.pk, c3.pk])
    assert Inspector.objects.get(badge_number="32050002").status == "retired"

    before = audit_count()
    rows = [["赵六", "32050003", "320505", f"{c1.code};KP999", "", ""],   # row 2: unknown category
            ["钱七", "32050001", "320505", "", "", ""],                   # row 3: exists
            ["孙八", "32050004", "320505", "", "休假", ""]]               # row 4: bad status
    result = run(InspectorImporter, write_csv(tmp_path / "i2.csv", header, rows))
    assert error_keys(result) == [(2, "categories", "unknown"), (3, "badge_number", "exists"),
                                  (4, "status", "choice")]
    assert "KP999" in result.errors[0].reason
    assert Inspector.objects.count() == 2 and audit_count() == before


def test_inspector_upsert_changes_categories_with_audit(tmp_path):
    c1, c2, _ = categories()
    header = ["name", "badge_number", "division", "categories"]
    run(InspectorImporter, write_csv(tmp_path / "i.csv", header, [["王强", "B1", "320505", c1.code]]))
    before = audit_count()
    result = run(InspectorImporter, write_csv(tmp_path / "i2.csv", header,
                                              [["王强", "B1", "320505", f"{c1.code};{c2.code}"]]),
                 mode="upsert")
    assert (result.ok, result.updated) == (True, 1)
    assert sorted(Inspector.objects.get().categories.values_list("pk", flat=True)) == sorted([c1.pk, c2.pk])
    assert audit_count() > before + 1  # the m2m change and the import entry


def test_labs(tmp_path):
    c1 = categories(1)[0]
    header = ["机构名称", "统一社会信用代码", "资质认定证书编号", "行政区划代码", "机构层级", "资质认定范围",
              "产品类别", "证书有效期至", "状态"]
    rows = [["苏州市产品质量监督检验院", make_uscc("320500", 5, authority="1", kind="2"), "CMA-320500-01",
             "320500", "市级", "电器、纺织品", c1.code, "2027/6/30", "有效"],
            ["第三方检测公司", "", "CMA-320505-02", "320505", "第三方", "", "", "", ""]]
    result = run(LabImporter, write_csv(tmp_path / "l.csv", header, rows))
    assert result.ok, result.errors
    lab = Lab.objects.get(accreditation_number="CMA-320500-01")
    assert (lab.level, lab.accredited_until, lab.status) == ("city", datetime.date(2027, 6, 30), "active")
    assert list(lab.categories.values_list("pk", flat=True)) == [c1.pk]
    assert Lab.objects.get(accreditation_number="CMA-320505-02").uscc == ""

    rows = [["坏代码检测", "91320505ABCDEFGH1X", "CMA-X", "320505", "市级", "", "", "", ""],
            ["缺层级", "", "CMA-Y", "320505", "", "", "", "", ""]]
    result = run(LabImporter, write_csv(tmp_path / "l2.csv", header, rows))
    assert error_keys(result) == [(2, "uscc", "invalid_uscc"), (3, "level", "required")]
    assert Lab.objects.count() == 2


def test_declarations(tmp_path, enterprise_factory, standards):
    ent = enterprise_factory(division="320505")
    c1 = categories(1)[0]
    header = ["企业统一社会信用代码", "产品名称", "产品类别", "标准编号", "功能指标和性能指标", "公开日期", "状态"]
    rows = [[ent.uscc, "电热水壶", c1.code, standards[1].code, "功率 1800 W", "2024-05-06", "已公开"],
            [ent.uscc, "电饭煲", "", standards[0].code, "", "", "草稿"]]
    result = run(DeclarationImporter, write_csv(tmp_path / "d.csv", header, rows))
    assert result.ok, result.errors
    d = StandardDeclaration.objects.get(product_name="电热水壶")
    assert (d.standard_id, d.category_id, d.published_on, d.status) == (
        standards[1].pk, c1.pk, datetime.date(2024, 5, 6), "published")
    assert StandardDeclaration.objects.get(product_name="电饭煲").status == "draft"

    rows = [[ent.uscc, "电烤箱", "", standards[0].code, "", "", "已公开"],   # published without date
            [ent.uscc, "电烤箱", "", "", "", "", "草稿"]]                  # no standard
    result = run(DeclarationImporter, write_csv(tmp_path / "d2.csv", header, rows))
    assert error_keys(result) == [(2, "published_on", "required"), (3, "standard", "required")]
    assert StandardDeclaration.objects.count() == 2
