"""The jieba user dictionary built from the key-supervised product catalog.

Catalog product names are split into terms that jieba can hold as one word ("电饭锅(电饭煲)" →
"电饭锅(电饭煲)" is not a jieba word, so the terms are "电饭锅" and "电饭煲"), colloquial
aliases that consumers actually write ("电瓶车", "充电宝", "高压锅") are added per catalog
code, and hazard words ("自燃", "漏电", "甲醛超标") are added so that they stay one token.

The everyday names come from two places: the small ``ALIASES`` table below, and the project's
product lexicon ``zhijian/complaints/data/lexicon.csv`` (every catalog code: everyday names and
synonyms, brand names, model-number patterns; see the README beside it). Everyday names point to
their code (``@KPnnn`` tags), brand names are kept whole by jieba but point to no code (one brand
makes many products), model patterns are used by the training-data generator only.

The entries come from the database's ``ProductCategory`` table when it holds the catalog,
otherwise from the catalog CSV in ``REFERENCE_DATA_DIR``. A trained model stores the exact
dictionary it was trained with (``userdict.txt`` next to the model), so a later change to the
catalog never changes how an existing model segments text.

jieba's own prefix dictionary (about 350 k words, shipped inside the jieba package) is parsed once
and cached as a marshal file under ``VAR_DIR/cache/jieba``; nothing is downloaded.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

CATALOG_FILE = "key_industrial_products_catalog.csv"
TERM_FREQ = 200_000  # high enough that jieba keeps a catalog term whole
MIN_TERM_LEN = 2
_HAN_WORD = re.compile(r"^[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+$")
_SPLIT = re.compile(r"[()（）、，,；;/\s]+")
_LEAD = re.compile(r"^(含|包括|包括但不限于|如|例如)")
_TRAIL = re.compile(r"(等|等产品|类产品|类)$")
# Parts of catalog names too generic to point to one product ("家用及类似用途插头插座" → "家用").
STOP_TERMS = frozenset({"产品", "家用", "工业", "容器", "厨卫", "皮肤", "管材", "pe", "pu", "摩托车",
                        "类似用途"})

# Words consumers use for catalog products, by catalog code (KP + the catalog's sequence number).
ALIASES: dict[str, tuple[str, ...]] = {
    "KP002": ("电烤箱", "烤箱", "烤盘"),
    "KP003": ("电压力锅", "电高压锅"),
    "KP004": ("电饭煲", "电饭锅"),
    "KP006": ("电火锅",),
    "KP007": ("电磁炉", "电磁灶"),
    "KP008": ("油烟机", "抽油烟机", "吸油烟机"),
    "KP009": ("热水器", "电热水器"),
    "KP010": ("电水壶", "烧水壶", "热水壶", "电热水壶"),
    "KP014": ("洗衣机", "滚筒洗衣机", "波轮洗衣机"),
    "KP019": ("电熨斗", "挂烫机"),
    "KP020": ("取暖器", "电暖器", "电暖气", "小太阳", "暖风机", "油汀", "电热油汀", "踢脚线取暖器"),
    "KP021": ("空调", "挂机空调", "柜机空调"),
    "KP023": ("空气净化器", "净化器"),
    "KP025": ("电风扇", "落地扇", "台扇", "风扇"),
    "KP027": ("电热毯", "电热垫"),
    "KP028": ("暖手宝", "暖脚宝"),
    "KP029": ("吹风机", "电吹风", "卷发棒", "直发器", "夹板"),
    "KP030": ("吸尘器", "扫地机器人", "洗地机"),
    "KP031": ("电蚊拍", "灭蚊灯", "电灭蚊拍"),
    "KP032": ("插座", "插头", "转换插头"),
    "KP033": ("充电电池", "蓄电池"),
    "KP034": ("电钻", "角磨机", "电锤", "电动螺丝刀"),
    "KP035": ("电动牙刷", "冲牙器"),
    "KP040": ("插线板", "排插", "接线板", "拖线板", "延长线插座"),
    "KP047": ("空气炸锅",),
    "KP050": ("破壁机",),
    "KP053": ("手持风扇", "小风扇", "手持式风扇"),
    "KP054": ("养生壶",),
    "KP057": ("剃须刀",),
    "KP064": ("微波炉",),
    "KP067": ("实木家具", "衣柜", "书柜", "餐桌"),
    "KP068": ("铁架床", "金属床", "铁艺床"),
    "KP070": ("床垫", "沙发", "布艺沙发"),
    "KP071": ("办公椅", "转椅", "电脑椅", "人体工学椅"),
    "KP072": ("LED灯泡", "灯泡"),
    "KP075": ("台灯", "落地灯"),
    "KP076": ("防盗门", "入户门"),
    "KP077": ("智能门锁", "指纹锁", "电子门锁"),
    "KP078": ("人造板", "木地板", "复合地板", "刨花板", "胶合板", "密度板"),
    "KP079": ("内墙涂料", "乳胶漆"),
    "KP085": ("马桶", "坐便器"),
    "KP086": ("智能马桶", "智能坐便器"),
    "KP088": ("淋浴房", "淋浴房玻璃"),
    "KP089": ("水龙头", "水嘴", "角阀"),
    "KP107": ("壁纸", "墙纸"),
    "KP114": ("电视机", "液晶电视", "电视"),
    "KP115": ("笔记本电脑", "笔记本"),
    "KP121": ("手机", "智能手机"),
    "KP122": ("电源适配器", "充电头", "适配器", "手机充电器"),
    "KP123": ("充电宝", "移动电源"),
    "KP124": ("户外电源", "储能电源"),
    "KP125": ("耳机", "蓝牙耳机"),
    "KP126": ("无人机", "航拍器"),
    "KP132": ("头盔", "电动车头盔", "安全头盔"),
    "KP133": ("安全带",),
    "KP134": ("电动自行车", "电动车", "电瓶车", "电单车"),
    "KP135": ("电动自行车充电器", "电动车充电器", "电瓶车充电器"),
    "KP137": ("动力电池", "锂电池", "电瓶"),
    "KP139": ("充电桩",),
    "KP141": ("自行车", "山地车", "单车"),
    "KP143": ("刹车片",),
    "KP145": ("刹车油", "制动液"),
    "KP146": ("汽油", "柴油", "车用汽油", "车用柴油"),
    "KP147": ("车用尿素", "尿素溶液"),
    "KP149": ("玻璃水",),
    "KP151": ("车载充电器", "车充"),
    "KP154": ("机油", "润滑油"),
    "KP159": ("太阳膜", "车膜", "隔热膜"),
    "KP161": ("儿童床", "儿童书桌", "儿童椅", "儿童衣柜"),
    "KP162": ("儿童安全座椅", "安全座椅"),
    "KP163": ("书包", "学生书包"),
    "KP164": ("文具", "橡皮", "铅笔", "涂改液", "修正带", "笔袋", "中性笔"),
    "KP165": ("跳绳", "球拍", "羽毛球拍"),
    "KP166": ("学习机", "点读机"),
    "KP167": ("护眼台灯", "学习台灯"),
    "KP168": ("童车", "婴儿推车", "儿童自行车", "滑板车", "学步车", "扭扭车"),
    "KP169": ("玩具", "积木", "毛绒玩具", "遥控车", "弹力球", "水晶泥", "史莱姆", "磁力片",
              "玩具枪", "拼装玩具", "发声玩具", "挖掘机玩具", "小汽车玩具"),
    "KP170": ("电动摇篮", "电动摇椅", "婴儿摇椅"),
    "KP172": ("婴儿床", "宝宝床"),
    "KP174": ("爬行垫", "地垫", "儿童地垫"),
    "KP175": ("童装", "儿童服装", "婴儿服", "连体衣", "儿童卫衣", "儿童外套"),
    "KP177": ("校服",),
    "KP178": ("童鞋", "儿童鞋", "儿童凉鞋"),
    "KP179": ("儿童手表", "电话手表"),
    "KP180": ("游泳圈", "泳圈"),
    "KP181": ("儿童首饰", "儿童手链", "儿童项链"),
    "KP182": ("安抚奶嘴",),
    "KP183": ("牙胶", "磨牙棒"),
    "KP184": ("儿童餐具", "宝宝碗", "儿童水杯"),
    "KP186": ("吸奶器",),
    "KP190": ("保鲜盒", "塑料饭盒", "保鲜膜", "塑料杯"),
    "KP191": ("纸杯", "纸碗", "外卖纸盒"),
    "KP193": ("不锈钢锅", "不锈钢碗", "炒锅"),
    "KP195": ("陶瓷碗", "陶瓷盘", "餐盘"),
    "KP196": ("一次性餐具", "可降解餐具", "一次性饭盒"),
    "KP197": ("高压锅", "压力锅"),
    "KP198": ("奶嘴",),
    "KP199": ("奶瓶",),
    "KP200": ("保温杯", "保温壶", "水杯"),
    "KP203": ("洗洁精",),
    "KP204": ("不粘锅", "平底锅"),
    "KP206": ("四件套", "床单", "被套", "枕头"),
    "KP207": ("蚕丝被",),
    "KP208": ("羽绒服", "羽绒被"),
    "KP209": ("羊绒衫", "羊绒针织衫"),
    "KP210": ("外套", "卫衣", "T恤"),
    "KP211": ("救生衣",),
    "KP212": ("内衣", "内裤", "文胸"),
    "KP213": ("皮鞋",),
    "KP214": ("休闲鞋", "板鞋", "帆布鞋"),
    "KP215": ("燃气灶", "煤气灶"),
    "KP216": ("燃气热水器", "煤气热水器"),
    "KP217": ("壁挂炉", "燃气壁挂炉"),
    "KP218": ("减压阀", "调压器", "液化气减压阀"),
    "KP219": ("燃气软管", "煤气管", "燃气管"),
    "KP222": ("集成灶",),
    "KP223": ("卡式炉",),
    "KP224": ("燃气报警器", "可燃气体报警器"),
    "KP225": ("淋浴椅", "洗澡椅"),
    "KP227": ("老花镜",),
    "KP228": ("水暖毯",),
    "KP231": ("按摩椅", "按摩仪", "按摩器", "筋膜枪"),
    "KP232": ("行李箱", "拉杆箱", "双肩包"),
    "KP234": ("金饰", "黄金项链", "金手镯", "银饰", "足金"),
    "KP235": ("烟花", "鞭炮", "烟花爆竹"),
    "KP237": ("口罩", "一次性口罩"),
    "KP240": ("洁厕灵", "洁厕剂"),
    "KP241": ("空气清新剂",),
    "KP243": ("洗衣液",),
    "KP244": ("牙刷",),
    "KP249": ("太阳镜", "墨镜"),
    "KP251": ("雨伞", "晴雨伞", "遮阳伞"),
    "KP253": ("劳保手套", "防护手套"),
    "KP254": ("太阳能热水器",),
    "KP255": ("运动头盔", "骑行头盔", "滑雪头盔"),
    "KP256": ("轮滑鞋", "溜冰鞋"),
    "KP258": ("电动滑板车",),
    "KP259": ("平衡车", "电动平衡车"),
    "KP260": ("运动鞋", "跑鞋", "球鞋"),
    "KP262": ("保温板", "岩棉板", "挤塑板"),
    "KP263": ("砌块", "空心砖", "加气块"),
    "KP266": ("PPR管", "PP-R管", "水管"),
    "KP268": ("防水卷材",),
    "KP269": ("扣件", "脚手架扣件"),
    "KP270": ("螺纹钢", "钢筋"),
    "KP274": ("钢化玻璃", "夹层玻璃"),
    "KP275": ("水泥",),
    "KP279": ("灭火器", "烟雾报警器", "应急灯", "消防水带", "灭火毯"),
    "KP283": ("光伏板", "光伏组件"),
    "KP288": ("电线", "电缆", "电线电缆", "铜芯线", "BV线"),
    "KP289": ("安全帽", "安全鞋", "安全网"),
    "KP290": ("螺栓", "螺母", "螺丝"),
    "KP293": ("电焊机",),
    "KP294": ("空气开关", "漏电保护器", "断路器", "空开"),
    "KP299": ("砂轮", "砂轮片"),
    "KP301": ("锯片", "金刚石锯片"),
    "KP309": ("液化气", "液化石油气", "煤气罐"),
    "KP312": ("地膜", "农膜", "大棚膜"),
    "KP313": ("潜水泵",),
    "KP314": ("复合肥",),
    "KP315": ("磷肥", "过磷酸钙"),
    "KP316": ("喷雾器", "打药机", "植保无人机"),
    "KP318": ("尿素", "化肥"),
    "KP323": ("氯化钾", "钾肥"),
    "KP325": ("磷酸一铵",),
    "KP326": ("磷酸二铵", "二铵"),
    "KP330": ("微耕机", "旋耕机", "农机"),
}

# Hazard words kept whole by jieba (they are features of the hazard model).
HAZARD_WORDS = (
    "起火", "着火", "自燃", "冒烟", "冒火", "明火", "烧焦", "爆燃", "爆炸", "火苗", "阻燃",
    "触电", "漏电", "带电", "电击", "麻手", "过电", "接地",
    "烫伤", "灼伤", "烫红", "起泡", "水泡", "喷出", "烫手",
    "割伤", "划伤", "划破", "毛刺", "锋利", "划手", "割手", "缝合",
    "窒息", "噎住", "卡喉", "误吞", "吞咽", "小零件", "脱落", "勒颈", "绳带",
    "中毒", "一氧化碳", "煤气中毒", "头晕", "呕吐", "误食",
    "甲醛", "甲醛超标", "异味", "刺鼻", "有害物质", "邻苯", "塑化剂", "重金属", "致癌",
    "过敏", "皮疹", "红疹",
    "断裂", "失灵", "松动", "卡死", "故障", "变形", "脱扣", "刹车失灵", "坍塌",
    "虚假标注", "以次充好", "标识不符", "虚标", "假冒", "三无产品", "冒充", "缺斤少两",
    "含量不足", "合格证", "3C认证", "CCC认证", "执行标准",
)


@dataclass(frozen=True)
class Lexeme:
    """One catalog code's row of the product lexicon."""

    code: str
    name: str
    everyday: tuple[str, ...]
    brands: tuple[str, ...]
    models: tuple[str, ...]


def lexicon_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "lexicon.csv"


_lexicon_cache: dict[str, dict[str, Lexeme]] = {}


def load_lexicon(path: Path | None = None) -> dict[str, Lexeme]:
    """The product lexicon by catalog code (``zhijian/complaints/data/lexicon.csv``)."""
    path = Path(path or lexicon_path())
    key = str(path)
    if key not in _lexicon_cache:
        out = {}
        with open(path, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                def items(col):
                    return tuple(w.strip() for w in (r.get(col) or "").split("|") if w.strip())

                out[r["code"].strip()] = Lexeme(r["code"].strip(), r["name"].strip(),
                                                items("everyday"), items("brands"), items("models"))
        _lexicon_cache[key] = out
    return _lexicon_cache[key]


@dataclass
class UserDictionary:
    """Terms for jieba and the catalog codes each term points to."""

    source: str  # "db", "csv" or "file"
    words: list[tuple[str, int]] = field(default_factory=list)  # (word, freq), sorted
    term_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # code -> catalog name
    groups: dict[str, str] = field(default_factory=dict)  # code -> catalog group (大类)

    def text(self) -> str:
        """The dictionary in jieba's user-dictionary format, plus a code column."""
        lines = []
        for word, freq in self.words:
            codes = ",".join(self.term_codes.get(word, ()))
            lines.append(f"{word} {freq} {codes or 'x'}")
        return "\n".join(lines) + "\n"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text(), encoding="utf-8")
        names = "\n".join(f"{c}\t{n}\t{self.groups.get(c, '')}"
                          for c, n in sorted(self.names.items())) + "\n"
        path.with_name(path.stem + "_names.tsv").write_text(names, encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> "UserDictionary":
        path = Path(path)
        words, term_codes, names, groups = [], {}, {}, {}
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ")
            if len(parts) != 3:
                continue
            word, freq, codes = parts
            words.append((word, int(freq)))
            if codes != "x":
                term_codes[word] = tuple(codes.split(","))
        names_path = path.with_name(path.stem + "_names.tsv")
        if names_path.exists():
            for line in names_path.read_text(encoding="utf-8").splitlines():
                code, _, rest = line.partition("\t")
                name, _, group = rest.partition("\t")
                if code:
                    names[code] = name
                    if group:
                        groups[code] = group
        return cls(source="file", words=words, term_codes=term_codes, names=names, groups=groups)


def terms_of(name: str) -> list[str]:
    """The jieba terms of one catalog product name (whole name when possible, and its parts)."""
    name = name.strip()
    terms = []
    if _HAN_WORD.match(name):
        terms.append(name)
    for part in _SPLIT.split(name):
        for sub in [part, *re.split(r"[和及]", part)] if len(part) > 8 else [part]:
            sub = _TRAIL.sub("", _LEAD.sub("", sub.strip()))
            if len(sub) >= MIN_TERM_LEN and len(sub) <= 20 and _HAN_WORD.match(sub):
                terms.append(sub)
    seen, out = set(), []
    for t in terms:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def catalog_from_csv(path: Path | None = None) -> list[tuple[str, str, str]]:
    """``(code, name, group)`` of the catalog CSV."""
    path = Path(path or Path(settings.REFERENCE_DATA_DIR) / CATALOG_FILE)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [(f"KP{int(r['seq']):03d}", r["product_name"].strip(), r["category"].strip())
                for r in csv.DictReader(fh)]


def catalog_groups() -> dict[str, str]:
    """Catalog code -> group (大类) from the catalog CSV (fallback for entries without a group)."""
    try:
        return {code: group for code, _name, group in catalog_from_csv()}
    except OSError:
        return {}


def catalog_from_db() -> list[tuple[str, str, str]]:
    """Key-supervised categories from the database; empty when the table is missing or empty."""
    from django.db import DatabaseError, transaction

    from zhijian.registry.models import ProductCategory

    try:
        with transaction.atomic():  # a savepoint: a missing table must not break the caller's
            return list(ProductCategory.objects.filter(key_supervised=True)
                        .order_by("code").values_list("code", "name", "group"))
    except DatabaseError:
        return []


def build(entries: list[tuple] | None = None, source: str = "",
          lexicon: dict[str, Lexeme] | None = None) -> UserDictionary:
    """The user dictionary of catalog ``entries`` ``[(code, name[, group])]`` (default: DB, else
    CSV), with the everyday names and brands of the product ``lexicon`` (default: the bundled one).
    """
    if entries is None:
        entries = catalog_from_db()
        source = "db"
        if not entries:
            entries = catalog_from_csv()
            source = "csv"
    lexicon = load_lexicon() if lexicon is None else lexicon
    fallback_groups = None
    codes_of: dict[str, set[str]] = {}
    names, groups = {}, {}
    for entry in entries:
        code, name = entry[0], entry[1]
        group = entry[2] if len(entry) > 2 else ""
        if not group:
            if fallback_groups is None:
                fallback_groups = catalog_groups()
            group = fallback_groups.get(code, "")
        names[code] = name
        if group:
            groups[code] = group
        for term in terms_of(unicodedata.normalize("NFKC", name)):
            if term.lower() not in STOP_TERMS:
                codes_of.setdefault(term.lower(), set()).add(code)
    everyday = {code: list(aliases) for code, aliases in ALIASES.items()}
    for code, lex in lexicon.items():
        everyday.setdefault(code, []).extend(lex.everyday)
    for code, aliases in everyday.items():
        if code not in names:
            continue
        for alias in aliases:
            alias = unicodedata.normalize("NFKC", alias).lower()
            if len(alias) >= MIN_TERM_LEN:
                codes_of.setdefault(alias, set()).add(code)
    # Texts are NFKC-normalised and lower-cased before segmentation; so are the words.
    words = {term: TERM_FREQ for term in codes_of if " " not in term}
    for code, lex in lexicon.items():
        if code in names:
            for brand in lex.brands:
                brand = unicodedata.normalize("NFKC", brand).lower()
                if " " not in brand and len(brand) >= MIN_TERM_LEN:
                    words.setdefault(brand, TERM_FREQ)
    for word in HAZARD_WORDS:
        words.setdefault(word.lower(), TERM_FREQ)
    return UserDictionary(
        source=source or "given",
        words=sorted(words.items()),
        term_codes={t: tuple(sorted(c)) for t, c in sorted(codes_of.items()) if " " not in t},
        names=names,
        groups=groups,
    )


# --------------------------------------------------------------------------- jieba

_base_lock = threading.Lock()
_base_cache: dict[str, tuple[dict, int]] = {}


def jieba_cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "cache" / "jieba"
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_tokenizer(userdict: UserDictionary):
    """A fresh ``jieba.Tokenizer`` with jieba's bundled dictionary plus ``userdict``.

    The bundled prefix dictionary is loaded from the marshal cache under VAR_DIR (built on the
    first use in a fresh VAR_DIR, about a second) and shared read-only inside the process; each
    tokenizer gets its own copy before the user words are added.
    """
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    with _base_lock:
        base = _base_cache.get("default")
        if base is None:
            loader = jieba.Tokenizer()
            loader.tmp_dir = str(jieba_cache_dir())
            loader.cache_file = "jieba.default.cache"
            loader.initialize()
            base = (loader.FREQ, loader.total)
            _base_cache["default"] = base
    tok = jieba.Tokenizer()
    tok.FREQ = dict(base[0])
    tok.total = base[1]
    tok.initialized = True
    for word, freq in userdict.words:
        tok.add_word(word, freq)
    return tok
