"""Training data: the bundled hand-written examples and deterministic template examples.

``zhijian/complaints/data/labelled_complaints.csv`` holds complaint texts written for the project
(see the README beside it), each with a catalog category code, a hazard and a fixed ``split``
(``train`` / ``test``). The reported scores are those of a model trained on the ``train`` rows
(plus the template rows below) and evaluated on the ``test`` rows, which no template was derived
from.

The template rows give every catalog category a few examples, so that a category no officer has
confirmed yet can still be predicted: product term (from the user dictionary) × a short symptom
phrase of a hazard plausible for that product × a sentence frame, chosen by a seeded generator.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

from .dictionary import UserDictionary

SEED = 20260101
PER_CATEGORY = 4

FRAMES = (
    "{p}{s}",
    "买的{p}{s}",
    "我家的{p}{s}，要求商家处理",
    "网购的{p}，{s}",
    "投诉：{p}{s}",
    "上个月在商场买的{p}，{s}，希望监管部门调查",
    "举报一款{p}，{s}",
    "新买的{p}用了没几天{s}",
    "这款{p}存在问题，{s}",
    "{p}质量太差，{s}",
)

SYMPTOMS = {
    "fire": ("突然冒烟起火", "充电时自燃", "使用中着火烧了起来", "插头处冒火花烧焦",
             "外壳烧熔冒出火苗", "过热起火差点引发火灾", "发出焦味后燃烧", "爆燃烧毁了家具"),
    "electric_shock": ("外壳带电手被电麻", "漏电把人电了一下", "摸到金属部分触电",
                       "漏电保护不动作人被电击", "手碰到就有电流感", "绝缘破损导致触电"),
    "burn": ("喷出热水把手烫伤", "温度失控把皮肤烫起泡", "表面太烫孩子被烫伤",
             "蒸汽喷出烫伤了脸", "热汤溅出造成烫伤", "局部过热导致低温烫伤"),
    "cut": ("边缘锋利把手划伤", "毛刺划破了孩子的手", "碎裂后碎片割伤了腿",
            "刀片外露割伤手指", "尖角把胳膊划出血", "断口锋利割破了手"),
    "choking": ("小零件脱落孩子差点吞下", "孩子误吞卡在喉咙", "绳带勒住孩子脖子",
                "部件太小孩子含在嘴里噎住", "导致宝宝呼吸困难差点窒息", "配件脱落被孩子吸进气管"),
    "poisoning": ("使用后全家头晕呕吐中毒", "导致一氧化碳中毒", "孩子误食后中毒洗胃",
                  "漏气导致人员中毒", "有毒物质迁移吃了以后上吐下泻", "用后恶心呕吐被送医"),
    "chemical": ("有很重的刺鼻异味", "检测甲醛超标", "有害物质超标皮肤起红疹",
                 "邻苯二甲酸酯超标", "散发化学气味让人头疼", "重金属含量超标"),
    "mechanical": ("使用中突然断裂", "刹车失灵摔伤了人", "零件松动脱落", "卡死不能工作",
                   "结构变形坍塌", "锁扣失灵自己弹开"),
    "false_labelling": ("实际参数与标注不符", "以次充好", "虚标含量", "假冒认证标志",
                        "标签上的成分与实物不符", "是没有厂名厂址的三无产品", "缺斤少两"),
    "none": ("售后一直不处理", "商家拒绝退货", "发错了型号", "送货拖延了一个月",
             "维修要收额外费用", "用了几天就坏了客服推诿"),
}

# Hazards plausible for a product, by words of its catalog name (first match wins).
HAZARD_POOLS = (
    (("燃气", "液化", "天然气", "灶", "热水炉"), ("fire", "poisoning", "mechanical", "false_labelling")),
    (("儿童", "婴", "玩具", "奶嘴", "牙胶", "学生", "童", "安抚", "吸奶"),
     ("choking", "cut", "chemical", "false_labelling", "mechanical")),
    (("肥", "铵", "钾", "尿素", "磷", "农药", "化学品"), ("false_labelling", "poisoning", "none")),
    (("食品", "餐具", "锅", "杯", "瓶", "包装", "洗涤剂", "盒"),
     ("chemical", "poisoning", "burn", "false_labelling")),
    (("电池", "充电", "电源", "插", "开关", "电线", "电缆", "断路器", "线"),
     ("fire", "electric_shock", "false_labelling", "none")),
    (("热", "暖", "烤", "炉", "蒸", "煮", "熨", "毯", "饭"),
     ("fire", "electric_shock", "burn", "false_labelling", "none")),
    (("电", "灯", "机"), ("fire", "electric_shock", "mechanical", "none")),
    (("家具", "涂料", "板", "漆", "胶", "壁纸", "墙布", "床垫", "沙发"),
     ("chemical", "mechanical", "cut", "false_labelling")),
    (("服", "鞋", "衣", "被", "纺", "绒", "内衣"), ("chemical", "false_labelling", "none")),
    (("头盔", "安全", "钢", "扣件", "螺", "玻璃", "车"),
     ("mechanical", "false_labelling", "cut")),
)
DEFAULT_POOL = ("mechanical", "false_labelling", "chemical", "none")


def bundled_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "labelled_complaints.csv"


def bundled_rows(split: str | None = None) -> list[tuple[str, str, str]]:
    """``(text, category, hazard)`` of the bundled examples; ``split`` "train" / "test" / None."""
    with open(bundled_path(), encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"], r["hazard"]) for r in csv.DictReader(fh)
                if split is None or r["split"] == split]


def _pool(name: str) -> tuple[str, ...]:
    for words, hazards in HAZARD_POOLS:
        if any(w in name for w in words):
            return hazards
    return DEFAULT_POOL


def synthetic_rows(userdict: UserDictionary, per_category: int = PER_CATEGORY):
    """Template examples for every catalog category of ``userdict`` (deterministic)."""
    rng = random.Random(SEED)
    terms_of: dict[str, list[str]] = {}
    for term, codes in userdict.term_codes.items():
        if len(codes) == 1:
            terms_of.setdefault(codes[0], []).append(term)
    rows = []
    for code in sorted(terms_of):
        terms = sorted(terms_of[code], key=lambda t: (len(t), t))
        pool = _pool(userdict.names.get(code, "") + "".join(terms))
        for k in range(per_category):
            hazard = pool[k % len(pool)]
            term = terms[k % len(terms)]
            text = rng.choice(FRAMES).format(p=term, s=rng.choice(SYMPTOMS[hazard]))
            rows.append((text, code, hazard))
    return rows
