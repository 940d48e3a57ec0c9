"""The deterministic data generator: enterprise table, Parquet output, demo load."""
import datetime
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.cn import uscc as stdnum_uscc

from zhijian.accounts.audit import verify_chain
from zhijian.accounts.models import AuditEntry
from zhijian.registry import generator as G
from zhijian.registry import generator_data as D
from zhijian.registry import uscc as gb32100
from zhijian.registry.identifiers import org_code_check
from zhijian.registry.models import (Award, Brand, Certification, Division, Enterprise, Industry,
                                     Inspector, Lab, Product, ProductCategory, Standard,
                                     StandardDeclaration)


@pytest.fixture(scope="module")
def sample():
    """100k generated Jiangsu entities (seed 11)."""
    return G.enterprise_table(100_000, 11, "320000")


def test_columns_are_exactly_the_importers():
    table = G.enterprise_table(10, 1, "320000")
    assert table.column_names == ["uscc", "name", "division", "industry", "address",
                                  "legal_representative", "established_on", "registered_capital",
                                  "scale", "status", "phone"]
    assert str(table.schema.field("established_on").type) == "date32[day]"
    assert str(table.schema.field("registered_capital").type) == "double"
    assert G.enterprise_table(0, 1, "320000").num_rows == 0


def test_same_seed_same_rows_other_seed_other_rows():
    a = G.enterprise_table(3000, 5, "320000")
    assert a.equals(G.enterprise_table(3000, 5, "320000"))
    b = G.enterprise_table(3000, 6, "320000")
    assert not a.equals(b)
    assert not set(a.column("uscc").to_pylist()) & set(b.column("uscc").to_pylist())


def test_first_rows_do_not_depend_on_the_total():
    short, long = G.enterprise_table(50, 5, "320000"), G.enterprise_table(2000, 5, "320000")
    assert short.column("uscc").to_pylist() == long.column("uscc").to_pylist()[:50]
    assert short.column("division").to_pylist() == long.column("division").to_pylist()[:50]


def test_usccs_are_valid_unique_and_registered_in_their_division(sample):
    codes = sample.column("uscc").to_pylist()
    assert len(set(codes)) == len(codes)
    bad = [c for c in codes if not gb32100.is_valid(c)]
    assert bad == []
    assert all(stdnum_uscc.is_valid(c) for c in codes[:5000])  # an independent cross-check
    assert all(c[2:8] == d for c, d in zip(codes, sample.column("division").to_pylist()))
    assert all(c[:2] == "91" and c[16] == org_code_check(c[8:16]) for c in codes[:5000])


def test_vectorised_check_characters_match_stdnum():
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
    first17 = alphabet[rng.integers(0, 31, (2000, 17))]
    ours = G.uscc_check_chars(first17)
    for row, check in zip(first17, ours):
        assert chr(check) == stdnum_uscc.calc_check_digit(bytes(row).decode())
        assert chr(check) == gb32100.check_character(bytes(row).decode())


@pytest.mark.django_db
def test_every_division_and_industry_exists_and_lies_in_the_province(sample):
    divisions = set(sample.column("division").to_pylist())
    found = Division.objects.filter(code__in=divisions)
    assert found.count() == len(divisions)
    assert all(d.startswith("32") for d in divisions)
    # county level, except a city without counties
    assert set(found.values_list("level", flat=True)) == {"county"}
    assert len(divisions) == Division.objects.filter(code__startswith="32", level="county").count()
    industries = set(sample.column("industry").to_pylist())
    assert Industry.objects.filter(code__in=industries, level=4).count() == len(industries)


def test_city_shares_follow_the_weights(sample):
    weights = D.CITY_WEIGHTS["320000"]
    total = sum(weights.values())
    counts = Counter(d[:4] + "00" for d in sample.column("division").to_pylist())
    for city, w in weights.items():
        assert abs(counts[city] / sample.num_rows - w / total) < 0.005, city
    # Suzhou is the heaviest city, Lianyungang the lightest
    assert counts.most_common()[0][0] == "320500" and counts.most_common()[-1][0] == "320700"


def test_counties_split_by_type(sample):
    counts = Counter(sample.column("division").to_pylist())
    # Xuzhou: districts and county-level cities weigh 1, counties 0.6
    assert counts["320321"] / counts["320381"] == pytest.approx(0.6, abs=0.1)  # 丰县 / 新沂市
    assert counts["320302"] / counts["320381"] == pytest.approx(1.0, abs=0.12)  # 鼓楼区 / 新沂市


def test_other_provinces_get_equal_city_weights():
    table = G.enterprise_table(26_000, 2, "440000")  # Guangdong: 21 prefecture-level cities
    counts = Counter(d[:4] for d in table.column("division").to_pylist())
    assert set(d[:2] for d in table.column("division").to_pylist()) == {"44"}
    assert len(counts) == 21
    assert max(counts.values()) / min(counts.values()) < 1.25
    assert "441900" in set(table.column("division").to_pylist())  # 东莞市 has no counties
    assert not any(p.startswith("0") for p in table.column("phone").to_pylist())


def test_attributes_are_plausible(sample):
    rows = sample.slice(0, 20_000).to_pylist()
    status = Counter(r["status"] for r in rows)
    assert status["active"] / len(rows) > 0.85
    assert {"abnormal", "revoked", "cancelled"} <= set(status)
    assert set(r["scale"] for r in rows) == {"large", "medium", "small", "micro"}
    assert all(r["established_on"] <= G.REFERENCE_DATE for r in rows)
    assert min(r["established_on"].year for r in rows) >= G.REFERENCE_DATE.year - D.MAX_AGE_YEARS
    caps = np.array([r["registered_capital"] for r in rows])
    assert caps.min() >= D.CAPITAL_MIN and 50 < np.median(caps) < 200
    suffixes = tuple(s for s, _ in D.SUFFIXES)
    assert all(r["name"].endswith(suffixes) for r in rows)
    assert all(re.fullmatch(r"0\d{2,3}-[5-8]\d{7}|1\d{10}", r["phone"]) for r in rows)
    assert all(r["address"].startswith("江苏省") and r["address"].endswith("号") for r in rows)
    assert all(2 <= len(r["legal_representative"]) <= 3 for r in rows)
    share_c = np.mean([r["industry"][:2] in {f"{i}" for i in range(13, 44)} for r in rows])
    assert 0.15 < share_c < 0.35


def _read(path: Path):
    return pq.read_table(path)


def test_province_parquet_is_byte_identical_per_seed_with_the_right_schema(tmp_path):
    args = dict(scale="province", rows=50_000, no_progress=True)
    call_command("generate", seed=4, out=str(tmp_path / "a"), **args)
    call_command("generate", seed=4, out=str(tmp_path / "b"), **args)
    call_command("generate", seed=9, out=str(tmp_path / "c"), **args)
    names = ["enterprises", "products", "inspectors", "labs"]
    for name in names:
        a = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.parquet").read_bytes(), name
    assert (tmp_path / "a" / "enterprises.parquet").read_bytes() != \
        (tmp_path / "c" / "enterprises.parquet").read_bytes()
    assert not list((tmp_path / "a").glob("*.partial"))

    ents = _read(tmp_path / "a" / "enterprises.parquet")
    assert ents.schema.equals(G.ENTERPRISE_SCHEMA)
    assert ents.num_rows == 50_000
    assert ents.equals(G.enterprise_table(50_000, 4, "320000"))
    products = _read(tmp_path / "a" / "products.parquet")
    assert products.schema.equals(G.PRODUCT_SCHEMA)
    makers = set(products.column("enterprise_uscc").to_pylist())
    assert makers <= set(ents.column("uscc").to_pylist())
    assert 0.08 < len(makers) / ents.num_rows < 0.3
    catalog = set(G.Catalog.from_csv().codes)
    assert set(products.column("category").to_pylist()) <= catalog
    per = Counter(products.column("enterprise_uscc").to_pylist())
    assert set(per.values()) == {1, 2, 3, 4, 5}
    assert all(re.fullmatch(r"69\d{11}", b) for b in products.column("barcode").to_pylist()[:1000])
    inspectors = _read(tmp_path / "a" / "inspectors.parquet")
    assert inspectors.schema.equals(G.INSPECTOR_SCHEMA)
    per_div = Counter(inspectors.column("division").to_pylist())
    assert all(per_div[c] >= D.MIN_INSPECTORS_PER_COUNTY for c in set(ents.column("division").to_pylist()))
    assert len(set(inspectors.column("badge_number").to_pylist())) == inspectors.num_rows
    assert all(inspectors.column("categories").to_pylist())
    labs = _read(tmp_path / "a" / "labs.parquet").to_pylist()
    assert [lab["level"] for lab in labs].count("provincial") == 1
    assert [lab["level"] for lab in labs].count("city") == 13
    assert all(gb32100.is_valid(lab["uscc"]) for lab in labs)
    assert len({lab["accreditation_number"] for lab in labs}) == len(labs)


def test_city_scale_stays_in_the_city(tmp_path):
    call_command("generate", scale="city", city="320200", rows=5000, seed=2,
                 out=str(tmp_path), no_progress=True)
    divisions = set(_read(tmp_path / "enterprises.parquet").column("division").to_pylist())
    assert divisions and all(d.startswith("3202") for d in divisions)
    labs = _read(tmp_path / "labs.parquet").column("division").to_pylist()
    assert all(d.startswith("3202") or d == "320000" for d in labs)
    with pytest.raises(CommandError, match="110000 is not a city"):
        call_command("generate", scale="city", city="110000", rows=10, out=str(tmp_path),
                     no_progress=True)


# --------------------------------------------------------------------------- demo load


@pytest.mark.django_db
def test_database_and_csv_reference_data_give_the_same_generator_input():
    a, b = G.Geography.from_db("320000"), G.Geography.from_csv("320000")
    assert a.leaf_codes == b.leaf_codes and a.unit_codes == b.unit_codes
    assert np.array_equal(a.leaf_shares, b.leaf_shares)
    ca, cb = G.Catalog.from_db(), G.Catalog.from_csv()
    assert (ca.codes, ca.names, ca.groups) == (cb.codes, cb.names, cb.groups)
    assert np.array_equal(ca.ccc, cb.ccc) and np.array_equal(ca.licence, cb.licence)
    ia, ib = G.Industries.from_db(), G.Industries.from_csv()
    assert ia.codes == ib.codes and np.array_equal(ia.shares, ib.shares)


@pytest.fixture
def audit_before(db):
    """Audit entries already in the chain (reference data loaded for the session)."""
    return AuditEntry.objects.count()


@pytest.fixture
def demo(audit_before):
    # the fixed reference day, so the rows can be compared with the Parquet-side generator
    return G.load_demo(seed=3, progress=False, enterprises=1500, reference_date=G.REFERENCE_DATE)


def test_demo_load_writes_every_kind_once_with_one_audit_entry(demo, audit_before):
    assert demo["enterprises"] == Enterprise.objects.count() == 1500
    assert demo["products"] == Product.objects.count() > 300
    for key, model in [("declarations", StandardDeclaration), ("certifications", Certification),
                       ("inspectors", Inspector), ("labs", Lab), ("awards", Award),
                       ("brands", Brand)]:
        assert demo[key] == model.objects.count() > 0, key
    assert Standard.objects.filter(kind="national_mandatory", code="GB 4706.1-2005").exists()
    assert Standard.objects.filter(kind="enterprise").exists()
    assert not Product.objects.exclude(category__key_supervised=True).exists()
    per = Counter(Product.objects.values_list("enterprise_id", flat=True))
    assert set(per.values()) <= {1, 2, 3, 4, 5}
    # CCC certificates exactly for the makers of CCC categories, XK for licensed ones
    ccc = set(Product.objects.filter(category__ccc_required=True).values_list("enterprise_id", flat=True))
    assert set(Certification.objects.filter(kind="ccc").values_list("enterprise_id", flat=True)) == ccc
    xk = set(Product.objects.filter(category__licence_required=True).values_list("enterprise_id", flat=True))
    assert set(Certification.objects.filter(kind="licence").values_list("enterprise_id", flat=True)) == xk
    assert Certification.objects.filter(kind="qms").exists()
    assert {"valid", "expired"} <= set(Certification.objects.values_list("status", flat=True))
    # inspectors in every county, qualified for categories; labs at every level
    counties = Division.objects.filter(code__startswith="32", level="county")
    for county in counties:
        assert Inspector.objects.filter(division=county).count() >= D.MIN_INSPECTORS_PER_COUNTY
    assert not Inspector.objects.filter(categories__isnull=True).exists()
    assert Lab.objects.filter(level="provincial").count() == 1
    assert Lab.objects.filter(level="city").count() == 13
    assert Lab.objects.get(level="provincial").categories.count() == \
        ProductCategory.objects.filter(key_supervised=True).count()
    entries = AuditEntry.objects.filter(action="import", object_type="registry.enterprise")
    assert entries.count() == 1 and AuditEntry.objects.count() == audit_before + 1
    assert entries.get().object_repr == "generate demo seed=3"
    assert entries.get().postchange == demo
    assert verify_chain().ok

    # idempotent: a second load of the same seed writes nothing and returns the same counts
    assert G.load_demo(seed=3, progress=False, enterprises=1500) == demo
    assert Enterprise.objects.count() == 1500 and AuditEntry.objects.count() == audit_before + 1
    # another seed would collide with the numbering of this one's badges and certificates
    with pytest.raises(RuntimeError, match="seed 3 is already loaded"):
        G.load_demo(seed=4, progress=False, enterprises=100)
    assert Enterprise.objects.count() == 1500


def test_demo_rows_are_the_deterministic_plan(demo):
    table = G.enterprise_table(1500, 3, "320000")
    fields = ["uscc", "name", "division_id", "industry_id", "address", "legal_representative",
              "established_on", "scale", "status", "phone"]
    db_rows = sorted(Enterprise.objects.values_list(*fields))
    gen_rows = sorted(zip(*(table.column(c.removesuffix("_id")).to_pylist() for c in fields)))
    assert db_rows == gen_rows
    caps = dict(Enterprise.objects.values_list("uscc", "registered_capital"))
    assert all(float(caps[r["uscc"]]) == r["registered_capital"] for r in table.to_pylist())
    plan = G.demo_plan(3, 1500)
    db_products = sorted(Product.objects.values_list(
        "enterprise__uscc", "category__code", "name", "brand", "model_number", "barcode",
        "standard__code"))
    assert db_products == sorted(
        (p["enterprise_uscc"], p["category"], p["name"], p["brand"], p["model_number"],
         p["barcode"], p["standard"]) for p in plan.products)
    assert sorted(Certification.objects.values_list("kind", "number", "enterprise__uscc")) == \
        sorted((c["kind"], c["number"], c["enterprise"]) for c in plan.certifications)
    assert sorted(Inspector.objects.values_list("badge_number", "name")) == \
        sorted((i["badge_number"], i["name"]) for i in plan.inspectors)


@pytest.mark.django_db
def test_demo_dates_are_relative_to_the_day_it_is_loaded():
    import time_machine
    with time_machine.travel(datetime.datetime(2031, 5, 20, 9, tzinfo=datetime.timezone.utc), tick=False):
        G.load_demo(seed=4, progress=False, enterprises=300)
    day = datetime.date(2031, 5, 20)
    newest = Enterprise.objects.order_by("-established_on").values_list("established_on", flat=True)[0]
    assert day - datetime.timedelta(days=400) < newest <= day
    assert Certification.objects.filter(valid_from__gt=day).count() == 0
    assert Certification.objects.filter(valid_from__year=2031).exists()


@pytest.mark.django_db
def test_generate_command_loads_the_demo(capsys):
    call_command("generate", scale="demo", seed=8, rows=300, no_progress=True)
    out = capsys.readouterr().out
    assert "enterprises: 300" in out
    entry = AuditEntry.objects.get(object_repr="generate demo seed=8")
    assert entry.source == "cli"
    with pytest.raises(CommandError, match="--out and --city"):
        call_command("generate", scale="demo", out="/tmp/x", no_progress=True)


@pytest.mark.django_db
def test_the_province_bureau_can_check_every_catalog_category():
    """A draw anywhere widens to the province bureau (docs/draw.md §6), so its roster holds at
    least two active inspectors qualified for each catalog category (demo draws never lack them)."""
    plan = G.demo_plan(3, 1500)
    province = [i for i in plan.inspectors if i["division"] == "320000" and i["status"] == "active"]
    assert len(province) == D.PROVINCE_INSPECTORS
    qualified = Counter(c for i in province for c in i["categories"])
    codes = set(G.Catalog.from_csv().codes)
    assert len(codes) == 329 and min(qualified[c] for c in codes) >= 2, \
        sorted((qualified[c], c) for c in codes)[:5]
