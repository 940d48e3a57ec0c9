"""Deterministic generator of varied complaint texts: lexicon × hazard phrase × writing style.

Every catalog code gets texts made of

* a **mention** of the product: a catalog term, an everyday name from the product lexicon
  (``zhijian/complaints/data/lexicon.csv``), a brand with or without a model number (from the
  lexicon's model patterns, ``#`` = a digit), or a brand and model number *without* any product
  word ("华为Mate60充电时冒烟");
* a **symptom** phrase of a hazard plausible for that product (:data:`SYMPTOMS`, colloquial and
  formal variants), or a group-specific everyday fault (:data:`GROUP_FAULTS`, hazard ``none``);
* a **writing style** (:data:`STYLES`): a family of sentence templates — short colloquial, long
  narrative, formal 12315 report, hotline question, e-commerce review, social-media post — and,
  for some texts, a noise pass (punctuation dropped, colloquial contractions, common typos).

The evaluation holds whole styles out (:data:`HELD_OUT_STYLES`): a model trained without them is
scored on them (see ``docs/complaints-classification.md``). Randomness comes from a
``random.Random`` seeded per catalog code and :data:`SEED`, so the output is a pure function of
the lexicon, the catalog and this module (the tests check it).

Everything here was written for the project (no text was taken from elsewhere); see
``zhijian/complaints/data/README.md`` for sources and licence.
"""
from __future__ import annotations

import random
import re
import unicodedata

SEED = 20261207
# Part of the default model's version name: change it when the generator's output changes.
GENERATOR_VERSION = "2026.12-1"
PER_CODE = 60  # base texts per catalog code; codes with many everyday names get more
PER_CODE_MAX = 150

# ---------------------------------------------------------------------------- symptoms

SYMPTOMS = {
    "fire": (
        "突然冒烟起火", "充电时自燃了", "用着用着着火了", "插头那里冒火花烧黑了", "外壳烧化了还冒火苗",
        "发出一股焦糊味然后烧起来", "烧起来差点把房子点了", "半夜自己烧了起来", "冒黑烟还有明火",
        "线路短路起火", "发烫冒烟闻到烧塑料的味道", "爆燃把旁边的东西都烧了", "啪的一声冒火星",
        "烧得黑乎乎的", "在使用过程中发生起火", "发生自燃并引燃周边物品", "鼓包后冒烟起火",
        "电池爆了起火", "过热起火烧坏了桌子", "着火了幸亏发现得早", "烧焦了一大块",
        "鼓包了", "电池鼓起来了", "冒烟", "烧了", "着了", "有焦味", "插头烧化了", "线烧黑了",
        "烧坏了旁边的被子", "爆了还冒火", "电池炸了", "充电口烧黑", "烫得冒烟", "火一下窜出来",
    ),
    "electric_shock": (
        "外壳带电手被电麻了", "漏电把人电了一下", "一碰就有电流感", "摸上去麻手", "漏电电到了孩子",
        "金属部分带电", "被电得一哆嗦", "存在漏电现象导致人员触电", "一插电就电人", "湿手一碰就被电",
        "漏电开关都跳了还电人", "接地不良外壳带电", "电得手到现在还是麻的", "绝缘皮破了漏电",
        "漏电", "有电", "电人", "麻手", "手一碰就麻", "一摸就刺刺的", "电了我一下", "露出铜丝会电人",
    ),
    "burn": (
        "把手烫起了泡", "烫伤了孩子的手", "喷出热水烫到人", "表面温度太高烫伤皮肤", "蒸汽喷出来烫到脸",
        "烫得皮肤都红了", "热水溅出来烫伤了腿", "太烫了拿不住烫了一下", "造成使用者烫伤",
        "温度失控把人烫伤", "烫出一个大水泡", "把孩子胳膊烫伤了去了医院", "低温烫伤留了疤",
        "烫手", "烫得拿不住", "烫伤了", "烫红了一片", "开水洒出来烫到手", "太烫了起了泡",
        "热得烫脸", "把腿烫红了", "喷火星烫到人",
    ),
    "cut": (
        "边缘太锋利把手划破了", "毛刺划伤了孩子", "碎了碎片把腿割伤", "割破了手指缝了几针",
        "尖角把人划出血", "断口很锋利割了手", "突然炸裂玻璃渣伤人", "刀片外露划伤手",
        "划了一道口子流了很多血", "边角未做处理导致划伤", "爆裂飞出的碎片划伤了脸",
        "划手", "把手划了", "玻璃炸了碎片到处都是", "自己爆了", "碎了扎到脚", "裂开把手割了",
        "边上很锋利", "夹破了手指",
    ),
    "choking": (
        "小零件掉了孩子差点吞下去", "孩子误吞了零件", "部件太小被孩子塞进嘴里噎住",
        "绳子勒住了孩子的脖子", "配件脱落孩子含在嘴里", "孩子吞下去送医院取出来",
        "小珠子掉了被宝宝吃进嘴里", "存在小部件易脱落的窒息风险", "宝宝差点被呛到窒息",
        "扣子脱落被孩子误食", "零件一拽就掉", "孩子放嘴里差点咽下去", "被孩子吞了", "差点勒住孩子",
        "呛到了", "小东西掉了孩子差点吃了",
    ),
    "poisoning": (
        "用了以后全家头晕恶心", "导致一氧化碳中毒", "孩子误食后中毒洗胃", "漏气人都熏晕了",
        "吃了以后上吐下泻", "用后恶心呕吐送了医院", "闻了以后头疼想吐", "造成人员中毒",
        "一股煤气味人差点中毒", "熏得人喘不上气", "漏气", "有股煤气味", "人都熏晕了", "头晕恶心",
        "药水漏了一身", "吃进去中毒了",
    ),
    "chemical": (
        "一股刺鼻的味道", "检测甲醛超标", "用了以后皮肤起红疹", "有很重的化学味", "味道熏得眼睛疼",
        "有害物质超标", "碰了以后手上过敏", "散发怪味头疼", "重金属超标", "检出塑化剂",
        "涂层脱落掉进食物里", "掉色还有异味", "异味很大孩子咳嗽", "经检测有害物质含量超标",
        "一股塑料味洗了也散不掉", "有味道", "味道很大", "过敏了", "起疹子", "起红疙瘩", "手脱皮",
        "皮肤痒", "甲醛味", "掉色染了一身", "涂层掉了", "涂层起泡", "一股胶水味", "一股油漆味",
        "有一股怪味", "化了还有味道", "熏得眼睛疼", "宝宝咳嗽", "铅超标",
    ),
    "mechanical": (
        "突然断了", "用着用着散架了", "零件松动掉了下来", "卡死了动不了", "结构变形塌了",
        "锁扣失灵自己弹开", "刹车失灵差点出事", "一用力就裂开了", "螺丝松了整个掉下来",
        "突然失控把人摔伤", "断裂导致人员受伤", "连接处开裂", "砸下来差点砸到人", "支架断了",
        "断了", "裂了", "塌了", "掉下来了", "爆了", "掉了", "失灵", "不灵了", "卡住了", "摔了一跤",
        "夹到手", "松了", "一拽就断", "突然弹开", "滑丝了", "水管爆了", "把人甩出去", "刹不住",
    ),
    "false_labelling": (
        "实际参数和标的不一样", "以次充好", "虚标含量", "假冒认证标志", "标签上写的和实物不符",
        "没有厂名厂址是三无产品", "缺斤少两", "宣传的功能根本没有", "说是正品其实是假货",
        "标称的材质是假的", "检测结果和包装上写的差很多", "没有合格证和执行标准",
        "以假充真", "说明书上的数据是编的", "容量只有标的一半", "是假的", "是假货", "翻新的",
        "和宣传的不一样", "含量不够", "标的是纯棉其实不是", "说防水根本不防水", "虚标", "以旧充新",
        "参数造假", "检测不合格", "达不到标称", "说是正品结果是高仿", "没有3c认证", "过期了还在卖",
    ),
    "none": (
        "用了没几天就坏了", "售后一直推脱不处理", "商家拒绝退货", "发错了货", "快递拖了一个月",
        "维修要收额外的钱", "质量太差了", "客服不理人", "说好七天无理由结果不给退", "三包期内不给修",
        "到手就是坏的", "修了三次还是有问题", "价格欺诈前后差了好几百", "赠品没给",
        "坏了", "不好用", "售后不管", "退不了", "客服推来推去", "过保了不给修", "要收维修费",
        "不给换", "换了还是坏", "送货太慢",
    ),
}

# Everyday faults by catalog group (hazard "none"): what most real complaints are about.
GROUP_FAULTS = {
    "家用电器及电器附件": ("不制热", "不加热了", "开不了机", "噪音特别大", "漏水", "按键失灵",
                          "显示屏不亮", "用电量特别大", "不出热水", "转两下就停", "指示灯一直闪"),
    "电子及信息技术产品": ("屏幕出现一条线", "开不了机", "充不进电", "信号很差", "一直卡顿", "自动关机",
                          "电池不耐用", "蓝屏死机", "连不上网", "屏幕有坏点", "没有声音", "系统老是重启"),
    "服装鞋帽及家用纺织品": ("洗了一次就缩水", "开线了", "起球严重", "掉色", "尺码不对", "穿了两天就破了",
                            "拉链坏了", "和图片完全不一样", "鞋底开胶", "线头很多"),
    "交通用具及相关产品": ("续航严重不足", "骑着骑着没电", "异响很大", "跑不动", "仪表盘不亮", "电机不转"),
    "儿童用品": ("做工粗糙", "用了几天就坏", "孩子玩了一会就坏了", "质量很差"),
    "家具及建筑装饰装修材料": ("开裂", "变形了", "安装后有很大缝隙", "起皮脱落", "颜色不一样", "发霉了"),
    "燃气器具及配件产品": ("打不着火", "火很小", "点火困难", "经常熄火"),
    "食品相关产品": ("保温效果很差", "漏水", "生锈了", "一洗就掉漆"),
    "日用杂品": ("质量很差", "用了一次就坏", "和描述不符"),
    "文教体育用品": ("骑了几天就坏", "电池不耐用", "做工粗糙"),
    "老年人用品": ("不好用", "质量很差", "用了几天就坏"),
    "工业生产资料": ("质量不合格", "达不到标准要求", "用了不久就坏了"),
    "农业生产资料": ("效果很差", "庄稼没长好", "结块严重", "用了不久就坏了"),
}

# Hazards plausible for a product, by words of its catalog name and lexicon (first match wins).
HAZARD_POOLS = (
    (("燃气", "液化", "天然气", "灶", "热水炉", "煤气"),
     ("fire", "poisoning", "mechanical", "false_labelling", "none")),
    (("儿童", "婴", "玩具", "奶嘴", "牙胶", "学生", "童", "安抚", "吸奶", "宝宝"),
     ("choking", "cut", "chemical", "false_labelling", "mechanical", "none")),
    (("肥", "铵", "钾", "尿素", "磷", "农药", "化学品", "清洁剂", "洗涤", "洁厕"),
     ("false_labelling", "poisoning", "chemical", "none")),
    (("食品", "餐具", "锅", "杯", "瓶", "包装", "盒", "碗"),
     ("chemical", "poisoning", "burn", "false_labelling", "none")),
    (("电池", "充电", "电源", "插", "开关", "电线", "电缆", "断路器"),
     ("fire", "electric_shock", "false_labelling", "none")),
    (("热", "暖", "烤", "炉", "蒸", "煮", "熨", "毯", "饭", "炸"),
     ("fire", "electric_shock", "burn", "false_labelling", "none")),
    (("手机", "计算机", "电脑", "耳机", "手环", "手表", "电视", "显示器"),
     ("fire", "burn", "false_labelling", "none", "none", "electric_shock")),
    (("电", "灯", "机"), ("fire", "electric_shock", "mechanical", "none")),
    (("家具", "涂料", "板", "漆", "胶", "壁纸", "墙布", "床垫", "沙发"),
     ("chemical", "mechanical", "cut", "false_labelling", "none")),
    (("服", "鞋", "衣", "被", "纺", "绒", "内衣", "裤"),
     ("chemical", "false_labelling", "none", "none", "mechanical")),
    (("头盔", "安全", "钢", "扣件", "螺", "玻璃", "车"),
     ("mechanical", "false_labelling", "cut", "none")),
)
DEFAULT_POOL = ("mechanical", "false_labelling", "chemical", "none")

# ---------------------------------------------------------------------------- styles

WHEN = ("上周", "前几天", "上个月", "去年双十一", "今年三月", "昨天", "半年前", "618的时候", "刚过年那会")
WHERE = ("在淘宝", "在京东", "在拼多多", "在抖音直播间", "在小区门口的店里", "在商场", "在超市",
         "在网上", "在县城的门市部", "在快手上", "在一家专卖店")
WHO = ("我", "我妈", "我家孩子", "我老公", "我爸", "我们家", "老人", "我女儿", "我儿子")
OWN = ("新买的", "家里的", "刚买的", "网上买的", "买的", "用了半年的", "朋友送的", "", "", "")
DEMAND = ("要求退货退款", "要求赔偿损失", "希望监管部门处理", "商家不给解决", "希望有关部门查一查",
          "要求三倍赔偿", "请给个说法", "要求更换", "希望曝光这个商家")
FORMAL_DEMAND = ("请求依法处理。", "要求经营者退货并赔偿损失。", "请求市场监管部门依法查处。",
                 "特此投诉，望予调解。", "现举报该产品质量问题，请予核查。")

STYLES = {
    # Short colloquial (phone / mini-program input).
    "short": ("{m}{s}", "{own}{m}{s}", "{m}{s}了", "{m}{s}，{d}", "{m}，{s}", "{own}{m}{s}，气死了"),
    # A long narrative with time, place and people.
    "narrative": (
        "{when}{where}买了{m}，{who}用了没多久就{s}，{d}。",
        "{who}{when}{where}给家里添了个{m}，结果{s}，找了客服也没用，{d}。",
        "事情是这样的，{when}{where}下单了{m}，收到后正常使用，谁知道{s}，{d}。",
        "{when}{who}{where}买的{m}，昨天晚上{s}，吓死了，{d}。",
    ),
    # Formal 12315-style report.
    "formal": (
        "本人于{when}{where}购买{m}一件，使用过程中{s}，{fd}",
        "投诉人反映：其{when}购买的{m}存在质量问题，{s}。{fd}",
        "消费者{when}{where}购买{m}，{s}，与商家协商未果。{fd}",
        "举报：某商家销售的{m}{s}，涉嫌产品质量违法。{fd}",
    ),
    # Hotline question.
    "hotline": ("请问{m}{s}可以投诉吗", "{m}{s}怎么办啊", "想问一下{own}{m}{s}，商家不管，该找谁",
                "你好，我的{m}{s}，这种情况能赔吗"),
    # E-commerce review.
    "review": ("差评！{m}{s}，大家千万别买", "一星都不想给，{m}{s}", "收到货没几天{m}就{s}，垃圾",
               "买家秀：{m}{s}，商家还不认，避雷", "追评：{m}{s}，退货也不给退"),
    # Social-media post.
    "social": ("#避雷# {m}{s}！！！", "姐妹们千万别买这个{m}，{s}", "真的无语了，{own}{m}{s} @客服",
               "【曝光】{m}{s}，{d}"),
}
HELD_OUT_STYLES = ("review", "social")
# Side remarks that name other products (so that a word like 插座 or 被子 in passing is weak
# evidence): added to some texts after the symptom.
CONTEXT = ("，当时插在排插上", "，放在床边", "，洗澡的时候", "，旁边的窗帘都熏黑了", "，用手机拍了视频",
           "，家里的空开都跳了", "，电线都烧了", "，把被子烧了个洞", "，孩子在旁边写作业", "，在厨房里",
           "，桌子都烫坏了", "，已经打了12315", "，发票还在", "，快递盒子还留着", "，下单截图都有")
CONTEXT_RATE = 0.15
BRAND_REPEAT = 2  # extra texts per brand and per model pattern of a code
TRAIN_STYLES = tuple(s for s in STYLES if s not in HELD_OUT_STYLES)
NOISE_RATE = 0.25

_TYPOS = (("的", "滴"), ("什么", "啥"), ("这个", "这"), ("已经", "以经"), ("非常", "超级"),
          ("一个", "一"), ("了", "le"), ("没有", "木有"), ("东西", "东东"), ("就", "旧"))
_PUNCT = re.compile(r"[，。！？、；：,.!?;:#@【】\s]+")


def _noise(text: str, rng: random.Random) -> str:
    """Drop punctuation and apply a couple of colloquial contractions or typos."""
    if rng.random() < 0.7:
        text = _PUNCT.sub(rng.choice(("", " ", "")), text)
    for a, b in rng.sample(_TYPOS, 2):
        if a in text and rng.random() < 0.6:
            text = text.replace(a, b, 1)
    return text


def model_number(pattern: str, rng: random.Random) -> str:
    """A model number from a lexicon pattern: ``#`` becomes a digit."""
    return "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in pattern)


def pool_for(text: str) -> tuple[str, ...]:
    for words, hazards in HAZARD_POOLS:
        if any(w in text for w in words):
            return hazards
    return DEFAULT_POOL


def _mentions(code: str, terms: list[str], everyday: list[str], brands: list[str],
              models: list[str], rng: random.Random) -> tuple[str, str]:
    """``(mention, kind)`` of the product, of one of several kinds."""
    words = everyday or terms
    r = rng.random()
    if brands and r < 0.18:
        return f"{rng.choice(brands)}{rng.choice(('', '的', '牌', ''))}{rng.choice(words)}", "brand"
    if brands and models and r < 0.28:
        m = model_number(rng.choice(models), rng)
        return f"{rng.choice(brands)}{rng.choice(('', ' '))}{m}{rng.choice(words)}", "brand_model_word"
    if brands and models and r < 0.38:
        pattern = rng.choice(models)
        m = model_number(pattern, rng)
        if not pattern[:1].isascii() or rng.random() < 0.4:  # the pattern names its series
            return m, "model"
        return f"{rng.choice(brands)}{rng.choice(('', ' '))}{m}", "brand_model"
    if terms and r < 0.52:
        return rng.choice(terms), "catalog"
    return rng.choice(words), "everyday"


def generate(catalog: list[tuple[str, str, str]], lexicon: dict, catalog_terms: dict,
             styles: tuple[str, ...] | None = None, per_code: int = PER_CODE,
             seed: int = SEED) -> list[dict]:
    """Generated rows ``{"text", "category", "hazard", "style", "mention"}`` for ``catalog``.

    ``catalog`` is ``[(code, name, group)]``, ``lexicon`` the product lexicon by code,
    ``catalog_terms`` the catalog terms by code (from the user dictionary); ``styles`` keeps only
    those styles (the row draws are made for every style either way, so the rows of a style do
    not depend on which others are kept).
    """
    styles_all = tuple(STYLES)
    rows = []
    for code, name, group in sorted(catalog):
        lex = lexicon.get(code)
        everyday = [unicodedata.normalize("NFKC", w) for w in (lex.everyday if lex else ())]
        brands = [unicodedata.normalize("NFKC", w) for w in (lex.brands if lex else ())]
        models = list(lex.models) if lex else []
        terms = sorted(catalog_terms.get(code, ()), key=lambda t: (len(t), t))
        if not terms and not everyday:
            terms = [name]
        pool = pool_for(name + "".join(everyday))
        faults = GROUP_FAULTS.get(group, GROUP_FAULTS["日用杂品"])
        rng = random.Random(f"{seed}:{code}")
        richness = len(everyday) + len(brands) + len(models)
        n_main = min(PER_CODE_MAX, per_code + 2 * richness) if per_code == PER_CODE else per_code
        n = n_main + BRAND_REPEAT * (len(brands) + len(models)) * (per_code >= PER_CODE // 2)
        for k in range(n):
            style = styles_all[k % len(styles_all)]
            hazard = pool[rng.randrange(len(pool))]
            if hazard == "none" and rng.random() < 0.5:
                symptom = rng.choice(faults)
            else:
                symptom = rng.choice(SYMPTOMS[hazard])
            mention, kind = _mentions(code, terms, everyday, brands, models, rng)
            if k >= n_main:  # the extra texts: every brand and model pattern in turn
                j = (k - n_main) // BRAND_REPEAT
                words = everyday or terms
                if j < len(brands):
                    mention = brands[j] + (rng.choice(words) if rng.random() < 0.5 else "")
                    kind = "brand"
                else:
                    m = model_number(models[j - len(brands)], rng)
                    if brands and rng.random() < 0.5 and m[:1].isascii():
                        m = rng.choice(brands) + rng.choice(("", " ")) + m
                    mention = m + (rng.choice(words) if rng.random() < 0.3 else "")
                    kind = "model"
            if rng.random() < CONTEXT_RATE:
                symptom += rng.choice(CONTEXT)
            template = rng.choice(STYLES[style])
            text = template.format(
                m=mention, s=symptom, own=rng.choice(OWN), d=rng.choice(DEMAND),
                fd=rng.choice(FORMAL_DEMAND), when=rng.choice(WHEN), where=rng.choice(WHERE),
                who=rng.choice(WHO))
            noisy = rng.random() < NOISE_RATE
            if noisy:
                text = _noise(text, rng)
            if styles is None or style in styles:
                rows.append({"text": text, "category": code, "hazard": hazard, "style": style,
                             "mention": kind, "noisy": noisy})
    return rows
