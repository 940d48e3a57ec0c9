"""File import of injury cases (产品伤害监测病例导入): our own layout and the NEISS public layout.

Both run through the core import framework (:mod:`zhijian.core.importing`): CSV (UTF-8 / GBK)
or .xlsx, every row checked before anything is written, one transaction that locks the case
table, one ``import`` entry in the audit chain. Errors name the row (as Excel numbers it), the
column and the reason.

* ``injury_cases`` — the DESIGN §6.5 record with Chinese or English headers (see
  ``docs/risk.md``). The hospital is the column 哨点医院编码 (its code); a hospital user may leave
  it out (the user's own hospital). The case weight is the hospital's weight at import.
* ``injury_cases_neiss`` — the CPSC NEISS public-use file columns (``CPSC_Case_Number``,
  ``Treatment_Date`` … ``Stratum``, ``PSU``, ``Weight``). The codes are mapped to our choices
  (``NEISS_*`` tables below); the three product codes are kept on the case
  (``product_codes``) and the product category comes from the narrative classifier. The
  hospital is the sentinel hospital whose ``psu`` is the row's PSU — it must exist (hospitals
  are not created by an import: a hospital needs its division, stratum and weight from the
  sampling design); the row's stratum must be the hospital's; the row's weight is the case
  weight (NEISS weights vary by period).

A case is identified by hospital + case number: a number twice in the file, or already
imported for that hospital, is a row error (``duplicate`` / ``exists``), so importing the same
file again writes nothing. There is no update mode: a case is corrected on its page.

Product and hazard left blank are filled in by the complaints classifier from the narrative
(``services.classify_injury_cases``) and the case is marked machine-classified.
"""
from __future__ import annotations

import decimal
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.complaints.classifier.model import HAZARD_ALIASES
from zhijian.complaints.hazards import HAZARDS
from zhijian.core import scope as S
from zhijian.core.importing import (
    MODE_CREATE,
    Choice,
    Date,
    ImportFileError,
    Importer,
    Integer,
    Lookup,
    Text,
    _chunks,
    normalize_header,
)

from .models import InjuryCase, SentinelHospital

# --------------------------------------------------------------------------- NEISS code tables
# From the NEISS Coding Manual (CPSC); the Chinese texts are what the case stores.

NEISS_SEX = {0: InjuryCase.Sex.UNKNOWN, 1: InjuryCase.Sex.MALE, 2: InjuryCase.Sex.FEMALE,
             3: InjuryCase.Sex.UNKNOWN}  # 3 = non-binary/other: not a choice of ours
NEISS_DISPOSITION = {1: InjuryCase.Disposition.RELEASED, 2: InjuryCase.Disposition.TRANSFERRED,
                     4: InjuryCase.Disposition.ADMITTED, 5: InjuryCase.Disposition.OBSERVED,
                     6: InjuryCase.Disposition.LEFT, 8: InjuryCase.Disposition.DIED,
                     9: InjuryCase.Disposition.UNKNOWN}
# 0: no fire involvement (or not recorded); 1–3: fire involvement and/or smoke inhalation
# (fire department attended / did not attend / attendance not recorded).
NEISS_FIRE = {0: InjuryCase.Fire.NO, 1: InjuryCase.Fire.FIRE, 2: InjuryCase.Fire.FIRE,
              3: InjuryCase.Fire.FIRE}
NEISS_LOCATION = {0: "", 1: "家中", 2: "农场/牧场", 4: "道路", 5: "其他公共场所", 6: "活动板房/移动住房",
                  7: "工业场所", 8: "学校/托幼机构", 9: "娱乐或体育场所"}
NEISS_BODY_PART = {0: "内部器官", 30: "肩部", 31: "上躯干", 32: "肘部", 33: "前臂", 34: "腕部", 35: "膝部",
                   36: "小腿", 37: "踝部", 38: "会阴部", 75: "头部", 76: "面部", 77: "眼球", 79: "下躯干",
                   80: "上臂", 81: "大腿", 82: "手部", 83: "足部", 84: "全身25%-50%", 85: "全身大部",
                   87: "未记录", 88: "口腔", 89: "颈部", 92: "手指", 93: "足趾", 94: "耳部"}
NEISS_DIAGNOSIS = {41: "误食异物", 42: "误吸异物", 46: "电烧伤", 47: "烧伤（未注明）", 48: "烫伤",
                   49: "化学烧伤", 50: "截肢（离断伤）", 51: "热烧伤", 52: "脑震荡", 53: "挫伤、擦伤", 54: "挤压伤",
                   55: "脱位", 56: "异物", 57: "骨折", 58: "血肿", 59: "撕裂伤", 60: "牙齿损伤", 61: "神经损伤",
                   62: "内脏损伤", 63: "刺伤", 64: "扭伤、拉伤", 65: "缺氧", 66: "出血", 67: "电击伤",
                   68: "中毒", 69: "淹溺", 70: "其他", 71: "其他/未注明", 72: "撕脱伤", 73: "辐射烧伤",
                   74: "皮炎、结膜炎"}
NEISS_STRATA = {"S": "S", "M": "M", "L": "L", "V": "VL", "VL": "VL", "C": "C"}

def _both(label) -> tuple[str, ...]:
    """A choice label in Chinese and in English (both are accepted in files)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return (zh, en) if zh != en else (zh,)


HAZARD_CHOICES = {code: _both(label) + tuple(a for a, c in HAZARD_ALIASES.items() if c == code)
                  for code, label in HAZARDS}


def _labels(choices, extra=None):
    extra = extra or {}
    return {value: (*_both(label), *extra.get(value, ())) for value, label in choices}


SEX_CHOICES = _labels(InjuryCase.Sex.choices, {"male": ("男", "m"), "female": ("女", "f"),
                                               "unknown": ("不详", "未知")})
DISPOSITION_CHOICES = _labels(InjuryCase.Disposition.choices, {
    "released": ("治疗后离院", "离院", "处理后离院"), "transferred": ("转院",), "admitted": ("住院", "收住院"),
    "observed": ("留观", "留院观察"), "left": ("未就诊离开", "自行离院"), "died": ("死亡",),
    "unknown": ("不详", "未知")})
FIRE_CHOICES = _labels(InjuryCase.Fire.choices, {"no": ("否", "无", "未涉火"), "fire": ("是", "有", "涉火"),
                                                 "unknown": ("不详", "未知")})


class UnknownLayout(ImportFileError):
    pass


def _hospitals_for(user) -> dict[str, SentinelHospital]:
    """The active hospitals the importing user may add cases for, by code (system import: all)."""
    qs = SentinelHospital.objects.restrict(user, "view") if user is not None else SentinelHospital._base_manager.all()
    return {h.code: h for h in qs.select_related("division")}


def _existing(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    found = set()
    by_hospital: dict[int, list[str]] = {}
    for h, number in pairs:
        by_hospital.setdefault(h, []).append(number)
    for h, numbers in by_hospital.items():
        for chunk in _chunks(sorted(numbers), 900):
            found.update((h, n) for n in InjuryCase._base_manager.filter(
                hospital_id=h, case_number__in=chunk).values_list("case_number", flat=True))
    return found


class _InjuryImporter(Importer):
    """Shared checks and writing: rows become ``self.rows[i]`` (field values) in ``check_rows``."""

    model = InjuryCase
    source = InjuryCase.Source.FILE

    def __init__(self, user=None, mode: str = MODE_CREATE):
        super().__init__(user=user, mode=mode)
        self.rows: dict[int, dict] = {}
        self.classified = 0

    def permission_error(self) -> str | None:
        if self.mode != MODE_CREATE:
            return _("Injury cases are imported in create mode only: a case is corrected on its page.")
        return super().permission_error()

    def hospital_user(self):
        scope = S.scope_for(self.user) if self.user is not None else None
        return scope.hospital_id if scope is not None and scope.role == S.ROLE_HOSPITAL else None

    def existing(self, keys):
        return {}  # checked per hospital in check_rows, and again under the lock in insert

    def check_existing(self, v, raw_numbers) -> None:
        taken = _existing({(r["hospital_id"], r["case_number"]) for r in self.rows.values()})
        for i in sorted(self.rows):
            r = self.rows[i]
            if (r["hospital_id"], r["case_number"]) in taken:
                v.reject_row(i, self.case_key, raw_numbers[i], _(
                    "case %(number)s of hospital %(hospital)s is already imported") % {
                    "number": r["case_number"], "hospital": r["hospital_code"]}, "exists")
                del self.rows[i]

    def insert(self, data, rows, v, progress) -> None:
        from . import services

        idx = [int(i) for i in np.flatnonzero(rows)]
        n = len(idx)
        if progress:
            progress("write", 0, n)
        values = [self.rows[i] for i in idx]
        if _existing({(r["hospital_id"], r["case_number"]) for r in values}):
            raise ImportFileError(_("Some of these cases were imported by another import meanwhile; "
                                    "import the file again to see them as errors."), code="exists")
        now = timezone.now()
        cases = []
        for r in values:
            r = {k: val for k, val in r.items() if k != "hospital_code"}
            cases.append(InjuryCase(**r, source=self.source, created=now, last_updated=now))
        self.classified = services.classify_injury_cases(cases)
        # Bulk insert (no per-row signals): the import's audit entry stands for the rows.
        InjuryCase._base_manager.bulk_create(
            sorted(cases, key=lambda c: (c.hospital_id, c.case_number)), batch_size=1000)
        if progress:
            progress("write", n, n)

    def audit_details(self, data, v) -> dict:
        return {"hospitals": sorted({r["hospital_code"] for r in self.rows.values()})}

    def run(self, path, file_name=None, *, encoding=None, progress=None, job_id=None):
        result = super().run(path, file_name, encoding=encoding, progress=progress, job_id=job_id)
        result.classified = self.classified if result.ok else 0
        return result


class InjuryCaseImporter(_InjuryImporter):
    """Our layout: the DESIGN §6.5 fields with Chinese or English headers."""

    name = "injury_cases"
    natural_key = ("case_number", "hospital")
    case_key = "case_number"
    columns = [
        Text("hospital", "哨点医院编码", field=None, max_length=32,
             aliases=("医院编码", "医院代码", "哨点医院", "hospital_code")),
        Text("case_number", "病例编号", required=True, max_length=32, aliases=("病例号", "编号", "case_no")),
        Date("treated_on", "就诊日期", required=True, aliases=("治疗日期", "就诊时间", "treatment_date")),
        Integer("age", "年龄", min_value=0, max_value=130, aliases=("年龄(岁)", "年龄（岁）")),
        Integer("age_months", "月龄", min_value=0, max_value=23, aliases=("月龄(2岁以下)",)),
        Choice("sex", "性别", choices=SEX_CHOICES),
        Text("diagnosis", "诊断", required=True, aliases=("伤害性质", "临床诊断")),
        Text("body_part", "受伤部位", required=True, aliases=("伤害部位", "部位")),
        Choice("disposition", "处置结局", required=True, choices=DISPOSITION_CHOICES,
               aliases=("处置", "结局", "转归", "离院方式")),
        Text("location", "发生地点", aliases=("地点", "伤害发生地点")),
        Choice("fire", "是否涉火", choices=FIRE_CHOICES, aliases=("涉火", "火灾")),
        Lookup("product", "产品类别", model="registry.ProductCategory", by=("code", "name"),
               aliases=("产品", "产品类别代码", "product_code")),
        Lookup("product_2", "第二产品类别", model="registry.ProductCategory", by=("code", "name"),
               aliases=("第二产品", "产品类别2", "product2")),
        Choice("hazard", "危害类型", choices=HAZARD_CHOICES, aliases=("危害", "伤害类型")),
        Text("narrative", "伤害经过", required=True, aliases=("简要经过", "事件描述", "描述", "病例描述")),
    ]

    def validate(self, table, progress=None):
        if {normalize_header(h) for h in table.headers} & {"cpsc_case_number", "psu"}:
            raise UnknownLayout(_("This file has the NEISS layout (CPSC_Case_Number, PSU …): import it as "
                                  "“injury cases (NEISS layout)”."), code="header")
        return super().validate(table, progress)

    def check_rows(self, data, v):
        n = v.n
        raw = self._raw
        hospitals = _hospitals_for(self.user)
        own = self.hospital_user()
        own_code = next((code for code, h in hospitals.items() if h.pk == own), None)
        empty = [""] * n
        cols = {k: data[k].to_pylist() for k in data}
        codes = cols.get("hospital", empty)
        for i in range(n):
            if v.bad[i]:
                continue
            code = codes[i] or (own_code if own is not None else "")
            if not code:
                v.reject_row(i, "hospital", "", _("a value is required (the sentinel hospital's code)"), "required")
                continue
            hospital = hospitals.get(code)
            if hospital is None:
                exists = SentinelHospital._base_manager.filter(code=code).exists()
                v.reject_row(i, "hospital", code, _("not your hospital: you may import only your own hospital's "
                                                    "cases") if own is not None and exists
                             else _("outside your region: you may not import cases of this hospital") if exists
                             else _("unknown sentinel hospital: %(code)s") % {"code": code},
                             "scope" if exists else "unknown")
                continue
            if not hospital.active:
                v.reject_row(i, "hospital", code, _("the hospital is no longer in the sample"), "invalid")
                continue
            age, months = cols.get("age", [None] * n)[i], cols.get("age_months", [None] * n)[i]
            if months is not None and age not in (None, 0, 1):
                v.reject_row(i, "age_months", raw["age_months"][i].as_py(),
                             _("an age in months is for children under 2"), "invalid")
                continue
            if months is not None and age is None:
                age = months // 12
            self.rows[i] = {
                "hospital_id": hospital.pk, "hospital_code": hospital.code, "weight": hospital.weight,
                "case_number": cols["case_number"][i], "treated_on": cols["treated_on"][i], "age": age,
                "age_months": months, "sex": cols.get("sex", empty)[i] or InjuryCase.Sex.UNKNOWN,
                "diagnosis": cols["diagnosis"][i], "body_part": cols["body_part"][i],
                "disposition": cols["disposition"][i], "location": cols.get("location", empty)[i] or "",
                "fire": cols.get("fire", empty)[i] or InjuryCase.Fire.UNKNOWN,
                "product_id": cols.get("product", [None] * n)[i], "product_2_id": cols.get("product_2", [None] * n)[i],
                "hazard": cols.get("hazard", empty)[i] or "", "narrative": cols["narrative"][i],
            }
        self.check_existing(v, [raw["case_number"][i].as_py() for i in range(n)] if "case_number" in raw else empty)


# --------------------------------------------------------------------------- NEISS layout

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+0{1,2}:00(?::00)?)?$")


class NeissDate(Date):
    """NEISS public files write ``MM/DD/YYYY`` (also accepted: the forms of :class:`Date`)."""

    def clean(self, values, v):
        values = pc.replace_substring_regex(values, _US_DATE.pattern, r"\3-\1-\2")
        return super().clean(values, v)


class Code(Integer):
    """A NEISS code: a whole number that must be in ``table`` (0 may mean "none")."""

    def __init__(self, key, header, *, table=None, **kw):
        super().__init__(key, header, min_value=0, max_value=999_999, **kw)
        self.table = table

    def clean(self, values, v):
        values = pc.replace_substring_regex(values, r"^(\d+)\.0+$", r"\1")  # Excel number cells
        nums = super().clean(values, v)
        if self.table is not None:
            listed = pa.array(sorted(self.table), pa.int64())
            unknown = _np(pc.and_(pc.is_valid(nums), pc.invert(pc.is_in(nums, value_set=listed))))
            v.reject(self.key, unknown, values, _("not a NEISS code of this column: %(codes)s") % {
                "codes": ", ".join(str(c) for c in sorted(self.table))}, "choice")
        return nums


def _np(arr) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


class NeissImporter(_InjuryImporter):
    """The CPSC NEISS public-use file layout (tab- or comma-separated, or .xlsx)."""

    name = "injury_cases_neiss"
    natural_key = ("CPSC_Case_Number", "PSU")
    case_key = "CPSC_Case_Number"
    source = InjuryCase.Source.NEISS
    columns = [
        Text("CPSC_Case_Number", "CPSC病例编号", field=None, required=True, max_length=32),
        NeissDate("Treatment_Date", "就诊日期", field=None, required=True),
        Code("Age", "年龄（NEISS编码）", field=None, required=True),
        Code("Sex", "性别（NEISS编码）", field=None, table=NEISS_SEX),
        Code("Race", "种族", field=None),
        Text("Other_Race", "其他种族", field=None),
        Code("Hispanic", "西班牙裔", field=None),
        Code("Body_Part", "受伤部位（NEISS编码）", field=None, required=True, table=NEISS_BODY_PART),
        Code("Diagnosis", "诊断（NEISS编码）", field=None, required=True, table=NEISS_DIAGNOSIS),
        Text("Other_Diagnosis", "其他诊断", field=None),
        Code("Body_Part_2", "第二受伤部位", field=None, table=NEISS_BODY_PART),
        Code("Diagnosis_2", "第二诊断", field=None, table=NEISS_DIAGNOSIS),
        Text("Other_Diagnosis_2", "其他第二诊断", field=None),
        Code("Disposition", "处置结局（NEISS编码）", field=None, required=True, table=NEISS_DISPOSITION),
        Code("Location", "发生地点（NEISS编码）", field=None, table=NEISS_LOCATION),
        Code("Fire_Involvement", "涉火（NEISS编码）", field=None, table=NEISS_FIRE),
        Code("Alcohol_Involvement", "涉酒", field=None),
        Code("Drug_Involvement", "涉药", field=None),
        Code("Product_1", "产品编码1", field=None, required=True),
        Code("Product_2", "产品编码2", field=None),
        Code("Product_3", "产品编码3", field=None),
        Text("Narrative", "伤害经过", field=None, required=True, aliases=("Narrative_1",)),
        Text("Stratum", "层", field=None, required=True),
        Code("PSU", "PSU", field=None, required=True),
        Text("Weight", "权重", field=None, required=True),
    ]

    @staticmethod
    def age(code: int) -> tuple[int | None, int | None, str | None]:
        """(years, months, error) of a NEISS age code: 0 not recorded, 2xx months, else years."""
        if code == 0:
            return None, None, None
        if 200 <= code <= 299:
            months = code - 200
            if months > 23:
                return None, None, _("2xx codes are months of children under 2 (200–223)")
            return months // 12, months, None
        if 1 <= code <= 130:
            return code, None, None
        return None, None, _("not a NEISS age (0, 1–130 years or 200–223 months)")

    def check_rows(self, data, v):
        n = v.n
        raw = self._raw
        cols = {k: data[k].to_pylist() for k in data}
        text = {k: raw[k].to_pylist() for k in raw}
        none, empty = [None] * n, [""] * n
        hospitals = {h.psu: h for h in _hospitals_for(self.user).values() if h.psu is not None}
        own = self.hospital_user()
        for i in range(n):
            if v.bad[i]:
                continue
            psu = cols["PSU"][i]
            hospital = hospitals.get(psu)
            if hospital is None:
                exists = SentinelHospital._base_manager.filter(psu=psu).exists()
                v.reject_row(i, "PSU", text["PSU"][i], (
                    _("not your hospital: you may import only your own hospital's cases") if own is not None
                    else _("outside your region: you may not import cases of this hospital")) if exists
                    else _("no sentinel hospital has this PSU number (set it on the hospital first)"),
                    "scope" if exists else "unknown")
                continue
            if not hospital.active:
                v.reject_row(i, "PSU", text["PSU"][i], _("the hospital is no longer in the sample"), "invalid")
                continue
            stratum = NEISS_STRATA.get(text["Stratum"][i].upper())
            if stratum != NEISS_STRATA.get(hospital.stratum.upper(), hospital.stratum):
                v.reject_row(i, "Stratum", text["Stratum"][i], _(
                    "hospital %(code)s (PSU %(psu)s) is in stratum %(stratum)s") % {
                    "code": hospital.code, "psu": psu, "stratum": hospital.stratum}, "invalid")
                continue
            try:
                weight = decimal.Decimal(text["Weight"][i].replace(",", ""))
            except decimal.InvalidOperation:
                weight = None
            if weight is None or not weight.is_finite() or weight <= 0 or weight >= 10 ** 6:
                v.reject_row(i, "Weight", text["Weight"][i], _("not a positive case weight"), "number")
                continue
            years, months, error = self.age(cols["Age"][i])
            if error:
                v.reject_row(i, "Age", text["Age"][i], error, "invalid")
                continue
            diagnosis = NEISS_DIAGNOSIS[cols["Diagnosis"][i]]
            if cols["Diagnosis"][i] in (70, 71) and text.get("Other_Diagnosis", empty)[i]:
                diagnosis = f"{diagnosis}：{text['Other_Diagnosis'][i]}"
            body_part = NEISS_BODY_PART[cols["Body_Part"][i]]
            second = cols.get("Body_Part_2", none)[i]
            if second not in (None, cols["Body_Part"][i]):
                body_part = f"{body_part}、{NEISS_BODY_PART[second]}"
            second_dx = cols.get("Diagnosis_2", none)[i]
            if second_dx not in (None, cols["Diagnosis"][i]):
                diagnosis = f"{diagnosis}；{NEISS_DIAGNOSIS[second_dx]}"
            products = [cols[k][i] for k in ("Product_1", "Product_2", "Product_3") if k in cols]
            fire = cols.get("Fire_Involvement", none)[i]
            location = cols.get("Location", none)[i]
            self.rows[i] = {
                "hospital_id": hospital.pk, "hospital_code": hospital.code,
                "weight": weight.quantize(decimal.Decimal("0.0001")),
                "case_number": cols["CPSC_Case_Number"][i], "treated_on": cols["Treatment_Date"][i],
                "age": years, "age_months": months,
                "sex": NEISS_SEX.get(cols.get("Sex", none)[i], InjuryCase.Sex.UNKNOWN),
                "diagnosis": diagnosis[:64], "body_part": body_part[:64],
                "disposition": NEISS_DISPOSITION[cols["Disposition"][i]],
                "location": NEISS_LOCATION.get(location, "") if location is not None else "",
                "fire": NEISS_FIRE.get(fire, InjuryCase.Fire.UNKNOWN) if fire is not None else InjuryCase.Fire.UNKNOWN,
                "product_codes": ";".join(str(p) for p in products if p),
                "narrative": cols["Narrative"][i],
            }
        self.check_existing(v, text["CPSC_Case_Number"])


IMPORTERS = {"injury_cases": InjuryCaseImporter, "injury_cases_neiss": NeissImporter}
