"""Import (and export) columns of the registry tables.

Importable: enterprises, products, inspectors, labs, declarations. The other
registry tables have export-only column sets (``importable = False``), so every
registry list can be exported and an export of an importable table re-imports.
See ``docs/import.md`` for the user guide.
"""
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.importing import (
    Boolean,
    Choice,
    Column,
    Date,
    DecimalColumn,
    DivisionLookup,
    Importer,
    Integer,
    Lookup,
    MultiLookup,
    Text,
    Uscc,
    _np_bool,
)

from . import models as m


def _industry_code(values: pa.Array) -> pa.Array:
    """GB/T 4754 codes: ``C3011`` (section letter + class) is accepted as ``3011``."""
    values = pc.utf8_upper(values)
    return pc.replace_substring_regex(values, r"^[A-T](\d{2,4})$", r"\1")


def _enterprise(key="enterprise", header="企业统一社会信用代码", **kw):
    return Lookup(key, header, model=m.Enterprise, by=("uscc",), extra=("division_id",),
                  export_attr="uscc", normalize=Uscc.compact, field="enterprise",
                  aliases=("统一社会信用代码", "enterprise_uscc", "企业信用代码", "uscc"), **kw)


def _category(key="category", header="产品类别", **kw):
    return Lookup(key, header, model=m.ProductCategory, by=("code", "name"), export_attr="code",
                  field="category", aliases=("产品类别代码", "产品分类", "category_code"), **kw)


ENTERPRISE_STATUS = {"active": ("存续", "在业", "开业"), "abnormal": ("经营异常",),
                     "revoked": ("吊销",), "cancelled": ("注销",)}
SCALE = {"large": ("大型",), "medium": ("中型",), "small": ("小型",), "micro": ("微型",)}


class EnterpriseImporter(Importer):
    name = "enterprises"
    model = m.Enterprise
    natural_key = ("uscc",)
    scope_division = "division"
    columns = [
        Uscc("uscc", "统一社会信用代码", required=True, aliases=("信用代码", "社会信用代码", "USCC"),
             legacy_decided_by_importer=True),
        Text("name", "企业名称", required=True, aliases=("名称", "企业（机构）名称")),
        DivisionLookup("division", "行政区划代码", required=True,
                       aliases=("区划代码", "所属区划", "division_code")),
        Lookup("industry", "行业代码", model=m.Industry, by=("code",), normalize=_industry_code,
               aliases=("国民经济行业代码", "industry_code")),
        Text("address", "地址", aliases=("住所", "经营场所")),
        Text("legal_representative", "法定代表人", aliases=("法人代表", "负责人")),
        Date("established_on", "成立日期", aliases=("成立时间",)),
        DecimalColumn("registered_capital", "注册资本（万元）", max_digits=14, decimal_places=2,
                      aliases=("注册资本", "注册资本(万元)")),
        Choice("scale", "规模", choices=SCALE, aliases=("企业规模",)),
        Choice("status", "状态", choices=ENTERPRISE_STATUS, aliases=("登记状态", "经营状态")),
        Text("phone", "联系电话", aliases=("电话",)),
        # a code failing GB 32100 that was really issued: flag and reason (see check_rows)
        Boolean("uscc_legacy", "历史代码", aliases=("是否历史代码", "历史统一社会信用代码", "legacy")),
        Text("uscc_legacy_reason", "历史代码说明",
             aliases=("历史代码原因", "历史代码理由", "legacy_reason")),
    ]
    select_related = ()

    # ------------------------------------------------------------------ legacy codes
    def check_rows(self, data, v):
        """A code failing GB 32100 goes in only as a legacy code: flag and reason given (or,
        without the flag column, an enterprise already registered with it as one)."""
        reasons = v.extras.get("uscc", {}).get("gb32100") or [None] * v.n
        flags = data["uscc_legacy"].to_pylist() if "uscc_legacy" in data else None
        texts = data["uscc_legacy_reason"].to_pylist() if "uscc_legacy_reason" in data else None
        registered = set()
        if flags is None:
            registered = Uscc.registered_legacy(
                data["uscc"][i].as_py() for i in range(v.n) if reasons[i] and not v.bad[i])
        raw = self._raw["uscc"]
        self._legacy = np.zeros(v.n, dtype=bool)
        for i in range(v.n):
            if v.bad[i]:
                continue
            flag = bool(flags[i]) if flags is not None else False
            text = (texts[i] or "").strip() if texts is not None else ""
            if reasons[i] is None:
                if flag:
                    v.reject_row(i, "uscc_legacy", self._raw["uscc_legacy"][i].as_py(),
                                 _("the code meets GB 32100: the legacy flag (历史代码) is only for "
                                   "codes that fail it"), "legacy_flag")
                elif text:
                    v.reject_row(i, "uscc_legacy_reason", text,
                                 _("a legacy-code reason without the legacy flag (历史代码 = 是)"),
                                 "legacy_flag")
            elif flag and text:
                self._legacy[i] = True
            elif flag:
                v.reject_row(i, "uscc_legacy_reason", "",
                             _("a legacy code needs the reason it is recorded (历史代码说明)"), "required")
            elif data["uscc"][i].as_py() in registered:
                pass  # the enterprise keeps its legacy code (upsert of an existing row)
            else:
                v.reject_row(i, "uscc", raw[i].as_py(),
                             _("%(reason)s To record a code that was really issued, set 历史代码 "
                               "(uscc_legacy) to 是 and give 历史代码说明 (uscc_legacy_reason).")
                             % {"reason": reasons[i]}, "invalid_uscc")

    def derived_values(self, data, rows):
        from zhijian.core.importing import _constant_for_db

        legacy = self._legacy[rows]
        approver = self.user.pk if self.user is not None and self.user.pk is not None else None
        stamp = _constant_for_db(m.Enterprise._meta.get_field("uscc_legacy_approved_at"),
                                 timezone.now())
        return {
            "uscc_legacy_approved_by": pa.array([approver if x else None for x in legacy], pa.int64()),
            "uscc_legacy_approved_at": pa.array([stamp if x else None for x in legacy], pa.string()),
        }

    def before_update(self, obj, changed):
        obj.legacy_approver = self.user
        changed.extend(f for f in obj.stamp_legacy_approval(self.user) if f not in changed)

    def audit_details(self, data, v):
        """The legacy codes the import approves (inserted rows bypass the per-row audit)."""
        codes = [data["uscc"][int(i)].as_py() for i in np.flatnonzero(self._legacy)]
        return {"legacy_uscc": codes} if codes else {}


class ProductImporter(Importer):
    name = "products"
    model = m.Product
    natural_key = ("enterprise", "name", "brand", "model")
    scope_division = "enterprise.division_id"
    scope_enterprise = "enterprise"
    columns = [
        _enterprise(required=True),
        _category(required=True),
        Text("name", "产品名称", required=True, aliases=("名称",)),
        Text("brand", "品牌", aliases=("商标",)),
        Text("model", "规格型号", field="model_number", aliases=("型号", "model_number")),
        Text("barcode", "商品条码", aliases=("条码", "条形码")),
        Lookup("standard", "执行标准", model=m.Standard, by=("code",), export_attr="code",
               aliases=("标准编号", "standard_code")),
    ]
    select_related = ("enterprise", "category", "standard")


INSPECTOR_STATUS = {"active": ("在岗", "在职"), "suspended": ("暂停执法", "暂停"),
                    "retired": ("退休", "离岗")}


class InspectorImporter(Importer):
    name = "inspectors"
    model = m.Inspector
    natural_key = ("badge_number",)
    scope_division = "division"
    columns = [
        Text("name", "姓名", required=True),
        Text("badge_number", "执法证号", required=True, aliases=("执法证件号", "证件号")),
        DivisionLookup("division", "行政区划代码", required=True, aliases=("区划代码", "所属区划")),
        MultiLookup("categories", "检查产品类别", model=m.ProductCategory, by=("code", "name"),
                    export_attr="code", aliases=("产品类别", "检查领域")),
        Choice("status", "状态", choices=INSPECTOR_STATUS),
        Text("phone", "联系电话", aliases=("电话",)),
    ]
    select_related = ()
    prefetch_related = ("categories",)


LAB_LEVEL = {"national": ("国家级",), "provincial": ("省级",), "city": ("市级",),
             "county": ("县级",), "private": ("第三方", "社会")}
LAB_STATUS = {"active": ("有效",), "suspended": ("暂停",), "revoked": ("撤销",)}


class LabImporter(Importer):
    name = "labs"
    model = m.Lab
    natural_key = ("accreditation_number",)
    scope_division = "division"
    columns = [
        Text("name", "机构名称", required=True, aliases=("名称",)),
        Uscc("uscc", "统一社会信用代码", aliases=("信用代码",)),
        Text("accreditation_number", "资质认定证书编号", required=True,
             aliases=("证书编号", "CMA证书编号")),
        DivisionLookup("division", "行政区划代码", required=True, aliases=("区划代码", "所属区划")),
        Choice("level", "机构层级", required=True, choices=LAB_LEVEL, aliases=("层级",)),
        Text("scope_text", "资质认定范围", aliases=("检验检测能力范围",)),
        MultiLookup("categories", "产品类别", model=m.ProductCategory, by=("code", "name"),
                    export_attr="code", aliases=("检验产品类别",)),
        Date("accredited_until", "证书有效期至", aliases=("有效期至",)),
        Choice("status", "状态", choices=LAB_STATUS),
    ]
    prefetch_related = ("categories",)


DECLARATION_STATUS = {"draft": ("草稿",), "published": ("已公开", "公开"),
                      "withdrawn": ("已撤回", "撤回")}


class DeclarationImporter(Importer):
    name = "declarations"
    model = m.StandardDeclaration
    natural_key = ("enterprise", "product_name", "standard")
    scope_division = "enterprise.division_id"
    scope_enterprise = "enterprise"
    columns = [
        _enterprise(required=True),
        Text("product_name", "产品名称", required=True, aliases=("名称",)),
        _category(),
        Lookup("standard", "标准编号", model=m.Standard, by=("code",), export_attr="code",
               required=True, aliases=("执行标准", "standard_code")),
        Text("indicators", "功能指标和性能指标", aliases=("性能指标", "指标")),
        Date("published_on", "公开日期", aliases=("发布日期",)),
        Choice("status", "状态", choices=DECLARATION_STATUS),
    ]
    select_related = ("enterprise", "category", "standard")

    def check_rows(self, data, v):
        if "status" in data:
            published = _np_bool(pc.equal(data["status"], m.StandardDeclaration.Status.PUBLISHED))
        else:
            published = np.ones(v.n, dtype=bool)
        dates = data.get("published_on")
        no_date = np.ones(v.n, dtype=bool) if dates is None else _np_bool(pc.is_null(dates))
        values = dates if dates is not None else pa.array([""] * v.n)
        v.reject("published_on", published & no_date & ~v.bad, values,
                 _("a published declaration needs its publication date"), "required")


# --------------------------------------------------------------------------- export only


class _Months(Column):
    def export_value(self, obj):
        return ";".join(str(x) for x in getattr(obj, self.field) or [])


class DivisionExport(Importer):
    name = "divisions"
    model = m.Division
    importable = False
    columns = [
        Text("code", "区划代码"), Text("name", "名称"),
        DivisionLookup("parent", "上级区划代码"),
        Choice("level", "级别", choices={"province": ("省级",), "prefecture": ("地级",),
                                         "county": ("县级",)}),
    ]


class IndustryExport(Importer):
    name = "industries"
    model = m.Industry
    importable = False
    columns = [
        Text("code", "行业代码"), Text("name", "名称"), Integer("level", "层级"),
        Text("section", "门类"),
        Lookup("parent", "上级代码", model=m.Industry, export_attr="code"),
    ]

    def export_queryset(self, queryset):
        return queryset.select_related("parent")


class ProductCategoryExport(Importer):
    name = "product_categories"
    model = m.ProductCategory
    importable = False
    columns = [
        Text("code", "类别代码"), Text("name", "名称"), Text("group", "目录分组"),
        Choice("kind", "类型", choices={"industrial": ("工业产品",), "consumer": ("消费品",),
                                        "agricultural": ("农产品",)}),
        Boolean("key_supervised", "重点监管"),
        Choice("risk_class", "风险等级", choices={"high": ("高",), "medium": ("中",), "low": ("低",)}),
        _Months("seasonal_months", "季节月份"),
        Boolean("licence_required", "生产许可证"), Boolean("ccc_required", "CCC认证"),
        Text("special_requirements", "特殊要求"),
    ]


class StandardExport(Importer):
    name = "standards"
    model = m.Standard
    importable = False
    columns = [
        Text("code", "标准编号"), Text("title", "标准名称"),
        Choice("kind", "类型", choices={
            "national_mandatory": ("强制性国家标准",), "national_recommended": ("推荐性国家标准",),
            "industry": ("行业标准",), "local": ("地方标准",), "group": ("团体标准",),
            "enterprise": ("企业标准",)}),
        Choice("status", "状态", choices={"current": ("现行",), "upcoming": ("即将实施",),
                                          "abolished": ("废止",)}),
        Date("issued_on", "发布日期"), Date("effective_on", "实施日期"), Text("issuer", "发布单位"),
    ]


class CertificationExport(Importer):
    name = "certifications"
    model = m.Certification
    importable = False
    columns = [
        _enterprise(),
        Choice("kind", "证书类型", choices={
            "ccc": ("强制性产品认证",), "licence": ("生产许可证",), "qms": ("质量管理体系认证",),
            "ems": ("环境管理体系认证",), "product": ("自愿性产品认证",), "other": ("其他",)}),
        Text("number", "证书编号"), Text("issuer", "发证机构"),
        Date("valid_from", "有效期起"), Date("valid_until", "有效期至"),
        Choice("status", "状态", choices={"valid": ("有效",), "suspended": ("暂停",),
                                          "revoked": ("撤销",), "expired": ("过期",)}),
    ]
    select_related = ("enterprise",)


class AwardImporter(Importer):
    """Awards import too: each row passes the award-eligibility checks that apps register
    in ``hooks`` (credit: no award for an enterprise on the serious-violation list)."""

    name = "awards"
    model = m.Award
    natural_key = ("enterprise", "kind", "year", "title")
    scope_division = "enterprise.division_id"
    scope_enterprise = "enterprise"
    columns = [
        _enterprise(required=True),
        Choice("kind", "奖项类型", choices={k: () for k in m.Award.Kind.values}, required=True),
        Text("title", "奖项名称"), Integer("year", "年度", required=True, min_value=1949, max_value=2100),
        Text("awarded_by", "授予单位"),
    ]
    select_related = ("enterprise",)

    def check_rows(self, data, v):
        from .hooks import award_refusals

        if "enterprise" not in data or "year" not in data:
            return
        ents, years = data["enterprise"].to_pylist(), data["year"].to_pylist()
        rows = [i for i in range(v.n) if not v.bad[i] and ents[i] is not None and years[i] is not None]
        refused = award_refusals([(ents[i], years[i]) for i in rows])
        raw = self._raw.get("enterprise")
        for index, message in sorted(refused.items()):
            i = rows[index]
            v.reject_row(i, "enterprise", raw[i].as_py() if raw is not None else ents[i], message,
                         "ineligible")


class BrandExport(Importer):
    name = "brands"
    model = m.Brand
    importable = False
    columns = [
        _enterprise(),
        Choice("kind", "类型", choices={k: () for k in m.Brand.Kind.values}),
        Text("name", "品牌名称"), Integer("year", "认定年度"), Date("valid_until", "有效期至"),
    ]
    select_related = ("enterprise",)


IMPORTERS = {
    "enterprises": EnterpriseImporter,
    "products": ProductImporter,
    "inspectors": InspectorImporter,
    "labs": LabImporter,
    "declarations": DeclarationImporter,
    "divisions": DivisionExport,
    "industries": IndustryExport,
    "product_categories": ProductCategoryExport,
    "standards": StandardExport,
    "certifications": CertificationExport,
    "awards": AwardImporter,
    "brands": BrandExport,
}

BY_MODEL = {cls.model: cls for cls in IMPORTERS.values()}
