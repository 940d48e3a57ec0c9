"""The complaint text classifier: product category and hazard, each with a confidence.

Features:

* words: jieba segmentation with the catalog user dictionary (:mod:`.dictionary`), plus one tag
  token ``@KPnnn`` for every word that names a catalog product (so that "电瓶车" and "电动自行车"
  share the weight of ``@KP134``);
* characters: 1–3 character n-grams of the normalised text (robust to segmentation errors and to
  words the dictionary does not know);
* model numbers: the letter prefix of every letters-and-digits token (``#ec`` for "EC6002-MT1",
  ``#mate`` for "Mate60"), so that a brand's model series is evidence for a product.

The category head sees word TF-IDF plus the binary tags; the hazard head word TF-IDF plus
character TF-IDF (sublinear tf). Each head is a multinomial logistic regression whose class
probability is the confidence. A prediction whose confidence is below the head's
threshold is flagged ``unclassified`` for officer review; the best guess is still given.

Hierarchical fallback: the probability of a catalog **group** (大类, the catalog's ``category``
column: 家用电器及电器附件, 电子及信息技术产品, …) is the sum of the probabilities of its products.
A prediction is at ``level`` "product" when the product's confidence reaches the category
threshold, else at level "group" when the best group's confidence reaches the group threshold
(the officer sees the group, not a doubtful product), else "none".

A trained model is a directory ``VAR_DIR/models/complaints/<version>/`` holding ``model.joblib``
(the vectorizers and the two regressions), ``userdict.txt`` (the jieba user dictionary it was
trained with) and ``metadata.json`` (version, trained_at, number of examples, label sets,
SHA-256 of the model file and of the training data). The file ``CURRENT`` next to the versions
names the model in use; it is switched atomically after a new version is completely written, so
every process picks up a retrained model on its next call. With no saved model, the first call
trains the default model from the bundled labelled data and saves it.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings

from ..hazards import HAZARDS as _HAZARD_CHOICES
from . import dictionary as dictmod

HAZARDS = tuple(code for code, _label in _HAZARD_CHOICES)
HAZARD_LABELS = dict(_HAZARD_CHOICES)
# Chinese names accepted in labelled files in place of the codes.
HAZARD_ALIASES = {
    "起火": "fire", "火灾": "fire", "自燃": "fire", "着火": "fire",
    "触电": "electric_shock", "漏电": "electric_shock", "电击": "electric_shock",
    "烫伤": "burn", "灼伤": "burn", "烧伤": "burn",
    "割伤": "cut", "划伤": "cut", "切割": "cut",
    "窒息": "choking", "噎": "choking", "噎住": "choking",
    "中毒": "poisoning",
    "化学": "chemical", "有害物质": "chemical", "化学危害": "chemical", "甲醛": "chemical",
    "机械": "mechanical", "机械故障": "mechanical", "断裂": "mechanical", "失灵": "mechanical",
    "虚假标注": "false_labelling", "以次充好": "false_labelling", "标识不符": "false_labelling",
    "无": "none", "其他": "none", "无危害": "none", "other": "none",
}
UNCLASSIFIED = "unclassified"
DEFAULT_THRESHOLDS = {"category": 0.5, "group": 0.6, "hazard": 0.5}
LEVELS = ("product", "group", "none")
CATEGORY_C = 10.0
HAZARD_C = 10.0
TAG_WEIGHT = 3.0
MODEL_FILE = "model.joblib"
META_FILE = "metadata.json"
USERDICT_FILE = "userdict.txt"
FORMAT_VERSION = 1
_PUNCT = re.compile(r"^[\W_]+$")
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_ALPHA = re.compile(r"[a-z]")
_MODEL_NO = re.compile(r"(?<![a-z])([a-z]{1,10})[\s\-]?\d")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text or ""))).strip().lower()


def thresholds() -> dict[str, float]:
    return {**DEFAULT_THRESHOLDS, **getattr(settings, "COMPLAINT_CLASSIFIER_THRESHOLDS", {})}


def _identity(tokens):
    return tokens


def _tags(tokens):
    return [t for t in tokens if t.startswith("@")] or ["@none"]


@dataclass(frozen=True)
class Prediction:
    """The labels of one text; ``*_unclassified`` is True when the confidence is below threshold."""

    category: str
    category_confidence: float
    hazard: str
    hazard_confidence: float
    category_unclassified: bool = False
    hazard_unclassified: bool = False
    category_alternatives: tuple[tuple[str, float], ...] = ()
    hazard_alternatives: tuple[tuple[str, float], ...] = ()
    group: str = ""  # the best catalog group (大类) and its confidence (sum over its products)
    group_confidence: float = 0.0
    level: str = "none"  # "product", "group" (product unsure, group sure) or "none"

    @property
    def needs_review(self) -> bool:
        return self.category_unclassified or self.hazard_unclassified

    @property
    def assigned_category(self) -> str:
        """The product code when the level is "product", else ""."""
        return self.category if self.level == "product" else ""

    @property
    def assigned_group(self) -> str:
        """The group when the level is "product" or "group", else ""."""
        return self.group if self.level in ("product", "group") else ""

    def as_dict(self) -> dict:
        d = asdict(self)
        d["needs_review"] = self.needs_review
        return d


class ClassifierError(Exception):
    """Training or loading failed; the message says why."""


@dataclass
class ComplaintClassifier:
    """Two linear heads over shared TF-IDF features; :meth:`predict` is the batch API."""

    userdict: dictmod.UserDictionary
    word_vectorizer: object = None
    tag_vectorizer: object = None
    char_vectorizer: object = None
    category_model: object = None
    hazard_model: object = None
    metadata: dict = field(default_factory=dict)
    _tokenizer: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------------ features

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = dictmod.make_tokenizer(self.userdict)
        return self._tokenizer

    def tokens(self, text: str) -> list[str]:
        """Words of ``text`` (punctuation dropped) plus ``@KPnnn`` tags for catalog terms."""
        cut = self.tokenizer.lcut(text, HMM=False)
        words = [w for w in cut if w.strip() and not _PUNCT.match(w)]
        codes = self.userdict.term_codes
        tags = [f"@{c}" for w in words if w in codes for c in codes[w]]
        series = [f"#{m}" for m in _MODEL_NO.findall(text)]
        shapes = []
        for i, w in enumerate(words):
            if _DIGIT.search(w) and w.isascii():
                shape = _ALPHA.sub("a", _DIGIT.sub("9", w))[:8]
                shapes.append(f"#{shape}")
                if i:
                    shapes.append(f"{words[i - 1]}#{shape}")
        return words + tags + series + shapes

    def _features(self, texts: Sequence[str], fit: bool = False):
        """``(category features, hazard features)`` of ``texts``.

        Category: word TF-IDF plus binary catalog tags (weight :data:`TAG_WEIGHT`). Hazard: word
        TF-IDF plus character n-gram TF-IDF.
        """
        from scipy.sparse import hstack

        norm = [normalize(t) for t in texts]
        toks = [self.tokens(t) for t in norm]
        op = "fit_transform" if fit else "transform"
        w = getattr(self.word_vectorizer, op)(toks)
        t = getattr(self.tag_vectorizer, op)(toks) * TAG_WEIGHT
        c = getattr(self.char_vectorizer, op)(norm)
        return hstack([w, t], format="csr"), hstack([w, c], format="csr")

    # ------------------------------------------------------------------ training

    def fit(self, texts: Sequence[str], categories: Sequence[str], hazards: Sequence[str]):
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.word_vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True,
                                               lowercase=False, dtype=_float32())
        self.tag_vectorizer = CountVectorizer(analyzer=_tags, binary=True, lowercase=False,
                                              dtype=_float32())
        self.char_vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                               sublinear_tf=True, lowercase=False,
                                               dtype=_float32())
        Xc, Xh = self._features(texts, fit=True)
        cat_idx = [i for i, c in enumerate(categories) if c]
        haz_idx = [i for i, h in enumerate(hazards) if h]
        if len({categories[i] for i in cat_idx}) < 2 or len({hazards[i] for i in haz_idx}) < 2:
            raise ClassifierError("Training needs at least two categories and two hazards.")
        self.category_model = LogisticRegression(C=CATEGORY_C, max_iter=500, tol=1e-3)
        self.category_model.fit(Xc[cat_idx], [categories[i] for i in cat_idx])
        self.hazard_model = LogisticRegression(C=HAZARD_C, max_iter=500, tol=1e-3,
                                               class_weight="balanced")
        self.hazard_model.fit(Xh[haz_idx], [hazards[i] for i in haz_idx])
        return self

    # ------------------------------------------------------------------ prediction

    def predict(self, texts: Sequence[str], top: int = 3) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        Xc, Xh = self._features(texts)
        limits = thresholds()
        cat_proba = self.category_model.predict_proba(Xc)
        out_cat = self._head(self.category_model, Xc, top, proba=cat_proba)
        out_grp = self._groups(cat_proba)
        out_haz = self._head(self.hazard_model, Xh, top)
        preds = []
        for (c, cp, calt), (g, gp), (h, hp, halt) in zip(out_cat, out_grp, out_haz):
            if cp >= limits["category"]:
                level = "product"
            elif g and gp >= limits["group"]:
                level = "group"
            else:
                level = "none"
            preds.append(Prediction(
                category=c, category_confidence=cp, hazard=h, hazard_confidence=hp,
                category_unclassified=bool(cp < limits["category"]),
                hazard_unclassified=bool(hp < limits["hazard"]),
                category_alternatives=calt, hazard_alternatives=halt,
                group=g, group_confidence=gp, level=level))
        return preds

    def group_of(self, code: str) -> str:
        return self.userdict.groups.get(code, "")

    def _groups(self, proba):
        """``(group, probability)`` per row: the group whose products' probabilities sum highest."""
        import numpy as np

        classes = self.categories
        names = sorted({self.group_of(c) for c in classes} - {""})
        if not names:
            return [("", 0.0)] * proba.shape[0]
        index = {n: i for i, n in enumerate(names)}
        member = np.zeros((len(classes), len(names)), dtype=proba.dtype)
        for j, c in enumerate(classes):
            g = self.group_of(c)
            if g:
                member[j, index[g]] = 1.0
        sums = proba @ member
        best = np.argmax(sums, axis=1)
        return [(names[b], round(float(sums[i, b]), 4)) for i, b in enumerate(best)]

    @staticmethod
    def _head(model, X, top, proba=None):
        import numpy as np

        if proba is None:
            proba = model.predict_proba(X)
        classes = model.classes_
        k = min(top, proba.shape[1])
        order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        rows = []
        for i in range(proba.shape[0]):
            alts = tuple((str(classes[j]), round(float(proba[i, j]), 4)) for j in order[i])
            rows.append((alts[0][0], alts[0][1], alts))
        return rows

    @property
    def categories(self) -> list[str]:
        return [str(c) for c in self.category_model.classes_]

    @property
    def hazards(self) -> list[str]:
        return [str(c) for c in self.hazard_model.classes_]

    # ------------------------------------------------------------------ persistence

    def save(self, directory: Path) -> Path:
        """Write the model into ``directory`` (created; must not exist)."""
        import joblib

        directory = Path(directory)
        directory.mkdir(parents=True)
        joblib.dump({"format": FORMAT_VERSION, "word": self.word_vectorizer,
                     "tag": self.tag_vectorizer, "char": self.char_vectorizer, "category": self.category_model,
                     "hazard": self.hazard_model}, directory / MODEL_FILE)
        self.userdict.write(directory / USERDICT_FILE)
        meta = dict(self.metadata)
        meta["sha256"] = _sha256_file(directory / MODEL_FILE)
        meta["userdict_sha256"] = _sha256_file(directory / USERDICT_FILE)
        meta["category_labels"] = self.categories
        meta["hazard_labels"] = self.hazards
        self.metadata = meta
        (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> "ComplaintClassifier":
        """Load a saved model; the model file's SHA-256 must match its metadata."""
        import joblib

        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.exists():
            raise ClassifierError(f"{directory} is not a saved classifier (no {META_FILE}).")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        digest = _sha256_file(directory / MODEL_FILE)
        if digest != meta.get("sha256"):
            raise ClassifierError(f"{directory / MODEL_FILE} does not match the SHA-256 in its "
                                  f"metadata (file altered or incomplete).")
        blob = joblib.load(directory / MODEL_FILE)
        if blob.get("format") != FORMAT_VERSION:
            raise ClassifierError(f"{directory} has model format {blob.get('format')}, "
                                  f"expected {FORMAT_VERSION}; retrain it.")
        userdict = dictmod.UserDictionary.read(directory / USERDICT_FILE)
        if not userdict.groups:  # saved before the groups were stored: take them from the catalog
            userdict.groups = {c: g for c, g in dictmod.catalog_groups().items() if c in userdict.names}
        return cls(userdict=userdict,
                   word_vectorizer=blob["word"], tag_vectorizer=blob["tag"],
                   char_vectorizer=blob["char"],
                   category_model=blob["category"], hazard_model=blob["hazard"], metadata=meta)


def _float32():
    import numpy as np

    return np.float32


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- training API


def _clean_rows(rows: Iterable) -> tuple[list[str], list[str], list[str]]:
    texts, cats, hazs = [], [], []
    for n, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            text, cat, haz = row.get("text"), row.get("category"), row.get("hazard")
        else:
            text, cat, haz = row[0], row[1], row[2]
        text = (text or "").strip()
        cat = (cat or "").strip()
        haz = (haz or "").strip()
        haz = HAZARD_ALIASES.get(haz, haz)
        if not text:
            raise ClassifierError(f"training row {n}: the text is empty")
        if haz and haz not in HAZARDS:
            raise ClassifierError(f"training row {n}: unknown hazard {haz!r} (one of "
                                  f"{', '.join(HAZARDS)})")
        if not cat and not haz:
            raise ClassifierError(f"training row {n}: neither category nor hazard is given")
        texts.append(text)
        cats.append(cat)
        hazs.append(haz)
    return texts, cats, hazs


def train(rows: Iterable, *, userdict: dictmod.UserDictionary | None = None,
          synthetic: bool = True, source: str = "rows",
          styles: tuple[str, ...] | None = None) -> ComplaintClassifier:
    """Train a classifier on ``rows`` of ``(text, category, hazard)`` (tuples or dicts).

    An empty category or hazard leaves that row out of that head. With ``synthetic`` (default)
    the generated examples of :mod:`.generate` are added (of the writing ``styles`` given, default
    all), so that every catalog category can be predicted even before officers have confirmed an
    example of it.
    """
    from . import data

    texts, cats, hazs = _clean_rows(rows)
    n_given = len(texts)
    userdict = userdict or dictmod.build()
    if synthetic:
        s_texts, s_cats, s_hazs = _clean_rows(data.synthetic_rows(userdict, styles=styles))
        texts += s_texts
        cats += s_cats
        hazs += s_hazs
    digest = hashlib.sha256()
    for t, c, h in zip(texts, cats, hazs):
        digest.update(f"{t}\t{c}\t{h}\n".encode("utf-8"))
    import jieba
    import sklearn

    from . import generate

    model = ComplaintClassifier(userdict=userdict)
    model.fit(texts, cats, hazs)
    model.metadata = {
        "trained_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "n_examples": len(texts),
        "n_given": n_given,
        "n_synthetic": len(texts) - n_given,
        "training_data_sha256": digest.hexdigest(),
        "dictionary_source": userdict.source,
        "dictionary_words": len(userdict.words),
        "dictionary_sha256": userdict.sha256,
        "generator": generate.GENERATOR_VERSION if synthetic else None,
        "generated_styles": list(styles or generate.STYLES) if synthetic else [],
        "thresholds": thresholds(),
        "versions": {"jieba": jieba.__version__, "scikit-learn": sklearn.__version__},
    }
    return model


# --------------------------------------------------------------------------- model store


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "models" / "complaints"


def _current_file() -> Path:
    return models_dir() / "CURRENT"


def current_version() -> str | None:
    try:
        name = _current_file().read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def save_version(model: ComplaintClassifier, version: str | None = None,
                 activate: bool = True) -> Path:
    """Save ``model`` as a new version under :func:`models_dir` and (by default) make it current."""
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    if version is None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        version = f"v{stamp}-{model.metadata.get('training_data_sha256', '')[:8]}"
    target = root / version
    if not target.exists():
        model.metadata["version"] = version
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=root))
        try:
            model.save(tmp / "m")
            try:
                os.replace(tmp / "m", target)
            except OSError:
                if not (target / META_FILE).exists():  # not a concurrent writer of the same
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if activate:
        pointer = root / f".CURRENT.{os.getpid()}.{threading.get_ident()}"
        pointer.write_text(version + "\n", encoding="utf-8")
        os.replace(pointer, _current_file())
    return target


def list_versions() -> list[dict]:
    out = []
    root = models_dir()
    if not root.exists():
        return out
    for d in sorted(root.iterdir()):
        meta = d / META_FILE
        if d.is_dir() and not d.name.startswith(".") and meta.exists():
            out.append(json.loads(meta.read_text(encoding="utf-8")))
    return out


_cache_lock = threading.Lock()
_cache: dict[str, ComplaintClassifier] = {}


def load(path: Path | str) -> ComplaintClassifier:
    """Load a model from a version directory (or a version name under :func:`models_dir`)."""
    path = Path(path)
    if not path.exists() and (models_dir() / str(path)).exists():
        path = models_dir() / str(path)
    key = str(path.resolve())
    with _cache_lock:
        model = _cache.get(key)
        if model is None:
            model = ComplaintClassifier.load(path)
            _cache[key] = model
        return model


def fitted_once(name: str, fit) -> ComplaintClassifier:
    """The model ``name`` — a hash of everything it is fitted from — fitted by ``fit()`` once on
    this machine and kept in ``settings.CLASSIFIER_CACHE_DIR`` (shared by every ``VAR_DIR``).

    Processes that need the same model at the same time (the two test passes, a web and a
    worker process) wait on one lock file instead of each fitting it; the model is written to a
    temporary directory and renamed into place, so a reader never sees half a model.
    """
    import fcntl

    root = Path(settings.CLASSIFIER_CACHE_DIR)
    path = root / name
    if not (path / META_FILE).exists():
        root.mkdir(parents=True, exist_ok=True)
        with open(root / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (path / META_FILE).exists():
                model = fit()
                model.metadata["version"] = name
                tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
                try:
                    model.save(tmp / "m")
                    os.replace(tmp / "m", path)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                return model
    return ComplaintClassifier.load(path)


def default_version_name(userdict: dictmod.UserDictionary) -> str:
    from . import data

    from . import generate

    h = hashlib.sha256(data.bundled_path().read_bytes())
    h.update(userdict.sha256.encode())
    h.update(dictmod.lexicon_path().read_bytes())
    h.update(generate.GENERATOR_VERSION.encode())
    per_code = getattr(settings, "COMPLAINT_CLASSIFIER_GENERATED_PER_CODE", generate.PER_CODE)
    if per_code != generate.PER_CODE:  # a smaller generated set is another default
        h.update(f"per_code={per_code}".encode())
    return f"default-{h.hexdigest()[:12]}"


_default_models: dict[str, ComplaintClassifier] = {}


_expected_default: dict[str, str] = {}


def _default_name_cached() -> str:
    """The default version name for this VAR_DIR, computed once per process."""
    key = str(models_dir())
    with _cache_lock:
        name = _expected_default.get(key)
    if name is None:
        name = default_version_name(dictmod.build())
        with _cache_lock:
            _expected_default[key] = name
    return name


def get_model() -> ComplaintClassifier:
    """The current model: the one ``CURRENT`` names, else the default (trained and saved now).

    A current *default* model that no longer matches the bundled data and the catalog (after an
    upgrade) is replaced by a freshly trained default; retrained versions are kept as they are.
    The default model is a pure function of the bundled data and the dictionary, so a process
    that already trained it (for another VAR_DIR) saves that copy instead of training again.
    """
    version = current_version()
    if version and (models_dir() / version / META_FILE).exists():
        if not version.startswith("default-") or version == _default_name_cached():
            return load(models_dir() / version)
    from . import data

    userdict = dictmod.build()
    name = default_version_name(userdict)
    with _cache_lock:
        _expected_default[str(models_dir())] = name
    if not (models_dir() / name / META_FILE).exists():
        with _cache_lock:
            model = _default_models.get(name)
        if model is None:
            model = fitted_once(name, lambda: train(data.bundled_rows(), userdict=userdict,
                                                    source="bundled"))
            with _cache_lock:
                _default_models[name] = model
        save_version(model, name)
    else:
        save_version(load(models_dir() / name), name)
    return load(models_dir() / name)


def classify(texts: Sequence[str], model: ComplaintClassifier | None = None) -> list[Prediction]:
    """Classify a batch of complaint texts with ``model`` (default: :func:`get_model`)."""
    return (model or get_model()).predict(texts)


def train_from_rows(rows: Iterable, *, include_bundled: bool = True, activate: bool = True,
                    source: str = "confirmed") -> dict:
    """Retrain from confirmed ``(text, category, hazard)`` rows and save a new model version.

    The bundled labelled examples are added unless ``include_bundled`` is False. Returns the new
    model's metadata (``version``, ``n_examples``, …). This is what the retrain job calls.
    """
    from . import data

    rows = list(rows)
    if include_bundled:
        rows = rows + list(data.bundled_rows())
    model = train(rows, source=source)
    save_version(model, activate=activate)
    return model.metadata


def read_training_csv(path: Path | str) -> list[tuple[str, str, str]]:
    """Rows of a labelled CSV (UTF-8 or GBK; columns text, category, hazard)."""
    from .evaluate import read_labelled

    return [(r.text, r.category, r.hazard) for r in read_labelled(path)]


def hazard_label(code: str) -> str:
    return str(HAZARD_LABELS.get(code, code))


__all__ = ["HAZARDS", "HAZARD_LABELS", "Prediction", "ComplaintClassifier", "ClassifierError",
           "train", "train_from_rows", "classify", "get_model", "load", "save_version",
           "list_versions", "current_version", "models_dir"]
