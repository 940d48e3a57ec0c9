"""Every target of the seed's 一(三) is in the preloaded 2020 target set (and the 2025 set of
DESIGN §6.7 is there too). The seed paragraph is kept verbatim in ``seed_1_3.txt``."""
import re
from decimal import Decimal
from pathlib import Path

import pytest

from zhijian.targets.models import DataElement, Target, TargetSet

SEED = (Path(__file__).parent / "seed_1_3.txt").read_text(encoding="utf-8").split("\n", 1)[1]

# (the seed's words, indicator code, direction, value)
SEED_TARGETS = [
    ("制造业质量竞争力指数达88", "manufacturing_quality_index", "gte", 88),
    ("新培育中国质量奖2－3个", "china_quality_award", "count", 2),
    ("中国工业大奖5个", "china_industry_award", "count", 5),
    ("全国质量奖10个", "national_quality_award", "count", 10),
    ("江苏省质量奖50个", "jiangsu_quality_award", "count", 50),
    ("中国建筑工程鲁班奖25个", "luban_award", "count", 25),
    ("省优质工程“扬子杯”奖1000个", "yangzi_cup_award", "count", 1000),
    ("中国土木工程詹天佑奖10个", "zhan_tianyou_award", "count", 10),
    ("省交通建设优质工程100个", "transport_quality_projects", "count", 100),
    ("中国水利工程优质（大禹）奖5个", "dayu_award", "count", 5),
    ("省水利优质工程和文明工地80个", "water_quality_projects", "count", 80),
    ("质量信用AA级和AAA级企业达1000家", "credit_aa_or_above", "count", 1000),
    ("获得驰名商标认定保护总数达800件", "well_known_trademarks", "count", 800),
    ("累计培育江苏省著名商标4000件", "jiangsu_famous_trademarks", "count", 4000),
    ("江苏名牌3500个", "jiangsu_famous_brands", "count", 3500),
    ("重点培育和发展的国际知名品牌达350个", "international_brands", "count", 350),
    ("自主品牌企业增加值占GDP比重达15%以上", "own_brand_share", "gte", 15),
    ("新增制修订国际标准30项", "international_standards", "count", 30),
    ("国家标准500项", "national_standards", "count", 500),
    ("承担国际标准化组织（ISO）和国际电工委员会（IEC）的技术委员会、分技术委员会及工作组达12个",
     "iso_iec_committees", "count", 12),
    ("主要地产农产品质量监督抽检合格率稳定在98%以上", "pass_rate_agricultural", "gte", 98),
    ("种植业食用农产品“三品”产量占食用农产品产量比重达55%", "three_products_share", "gte", 55),
    ("主要工业产品、日用消费品国家质量监督抽查合格率稳定在90%以上", "pass_rate_industrial", "gte", 90),
    ("主要工业产品、日用消费品国家质量监督抽查合格率稳定在90%以上", "pass_rate_consumer", "gte", 90),
    ("投诉率逐年下降", "construction_complaint_rate_change", "lte", 0),
    ("遏制重大工程质量安全事故发生", "major_construction_accidents", "lte", 0),
    ("大中型工程项目一次验收合格率达100%", "first_acceptance_rate", "gte", 100),
    ("全省新建民用建筑全面按一星级以上绿色建筑标准规划、设计和建设", "green_building_share", "gte", 100),
    ("新建省级以上服务业标准化试点示范120个", "service_standardisation_pilots", "count", 120),
    ("新增制修订地方服务标准150项", "local_service_standards", "count", 150),
    ("新增江苏省服务业名牌企业200家", "service_brand_enterprises", "count", 200),
    ("生产性和生活性服务行业顾客满意度分别稳定在85和80以上", "producer_service_satisfaction", "gte", 85),
    ("生产性和生活性服务行业顾客满意度分别稳定在85和80以上", "consumer_service_satisfaction", "gte", 80),
]
SPLIT = {"pass_rate_industrial", "pass_rate_consumer", "producer_service_satisfaction",
         "consumer_service_satisfaction"}
# Not numeric targets: the overall aims of the paragraph's first sentence and a quality-work
# aim without a measure ("推进工程质量标准化建设").
QUALITATIVE = ["综合质量竞争力位居全国前列", "质量整体状况达到中等发达国家水平", "推进工程质量标准化建设"]


def test_every_listed_phrase_is_in_the_seed_text():
    for words, *_rest in SEED_TARGETS:
        assert words in SEED, words
    for words in QUALITATIVE:
        assert words in SEED, words


def test_every_number_of_the_seed_paragraph_belongs_to_a_listed_target():
    """Each quantity in the text (a number with a unit, a share, an index) lies inside the words
    of a listed target, so a target left out of the list (and of the data) would fail here."""
    spans = []
    for words, *_rest in SEED_TARGETS:
        for m in re.finditer(re.escape(words), SEED):
            spans.append((m.start(), m.end()))
    numbers = [m for m in re.finditer(r"\d+(?:－\d+)?(?!．)", SEED) if m.group() != "2020"]  # not the 1．2． headings
    assert len(numbers) == 29
    for m in numbers:
        assert any(a <= m.start() and m.end() <= b for a, b in spans), f"not covered: {SEED[m.start()-15:m.end()+5]}"


@pytest.mark.django_db
def test_the_preloaded_2020_set_holds_exactly_the_seed_targets():
    ts = TargetSet.objects.get(code="seed_2020")
    assert ts.year == 2020 and "关于加快质量发展的意见" in ts.source
    stored = {t.indicator.code: t for t in ts.targets.select_related("indicator")}
    assert len(stored) == len(SEED_TARGETS)
    for words, code, direction, value in SEED_TARGETS:
        t = stored[code]
        assert (t.direction, t.value) == (direction, Decimal(value)), code
        # the stored wording is the seed's, except where one sentence holds two targets
        if code not in SPLIT:
            assert t.wording in SEED, t.wording


@pytest.mark.django_db
def test_targets_the_platform_cannot_compute_are_entered_elements():
    computed = {"pass_rate_agricultural", "pass_rate_industrial", "pass_rate_consumer", "credit_aa_or_above",
                # counted from award applications and recognised brands (issue 12 §3)
                "china_quality_award", "jiangsu_quality_award", "well_known_trademarks", "jiangsu_famous_trademarks",
                "jiangsu_famous_brands", "international_brands", "service_brand_enterprises"}
    ts = TargetSet.objects.get(code="seed_2020")
    for t in ts.targets.select_related("indicator"):
        kinds = set(DataElement.objects.filter(code__in=t.indicator.element_codes()).values_list("kind", flat=True))
        assert kinds == ({"computed"} if t.indicator.code in computed else {"entered"}), t.indicator.code


@pytest.mark.django_db
def test_the_2025_set_of_the_design():
    ts = TargetSet.objects.get(code="plan_2025")
    got = {t.indicator.code: (t.direction, t.value) for t in ts.targets.select_related("indicator")}
    assert got == {"manufacturing_quality_index": ("gte", 88), "pass_rate_manufactured": ("gte", 95),
                   "pass_rate_agricultural": ("gte", 98), "public_service_satisfaction": ("gte", 82)}


@pytest.mark.django_db
def test_loading_again_keeps_edits_and_restores_missing_rows():
    from zhijian.targets.reference import load_all

    t = Target.objects.get(target_set__code="seed_2020", indicator__code="luban_award")
    t.value = 30
    t.save()
    Target.objects.filter(target_set__code="seed_2020", indicator__code="dayu_award").delete()
    load_all()
    assert Target.objects.get(pk=t.pk).value == 30
    assert Target.objects.filter(target_set__code="seed_2020", indicator__code="dayu_award").exists()
