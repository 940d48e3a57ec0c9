"""Measuring the classifier on a labelled file: per-class precision, recall, F1 and confusions.

The file is CSV (UTF-8, UTF-8 with BOM, or GBK / GB18030, detected by the import framework's
decoder) or .xlsx, with a header row naming the columns ``text``, ``category`` and ``hazard``
(Chinese headers 投诉内容 / 产品类别 / 危害类型 are accepted too; other columns are ignored).
``category`` is a catalog code (KP134) or a catalog product name or alias (电动自行车, 电瓶车);
``hazard`` is a hazard code (fire) or its Chinese name (起火). A row may leave one of category or
hazard empty; it is then scored for the other only. A missing column is a file error, an empty text
or an unknown hazard a row error naming the row (header = row 1): nothing is scored until the file
is clean.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from zhijian.core.importing import ImportFileError, RowError, normalize_header, read_table

from . import model as modelmod

COLUMNS = {
    "text": ("text", "投诉内容", "内容", "文本", "投诉举报内容", "诉求内容"),
    "category": ("category", "产品类别", "类别", "产品", "category_code"),
    "hazard": ("hazard", "危害类型", "危害", "风险类型"),
}


class EvaluationError(Exception):
    """The file cannot be evaluated; ``errors`` lists the bad rows (``RowError``)."""

    def __init__(self, message: str, errors: list[RowError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []

    def __str__(self):
        lines = [self.message]
        for e in self.errors[:50]:
            lines.append(f"  row {e.row}, {e.field or 'row'}: {e.reason}"
                         + (f" ({e.value!r})" if e.value else ""))
        if len(self.errors) > 50:
            lines.append(f"  … and {len(self.errors) - 50} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class LabelledRow:
    row: int
    text: str
    category: str
    hazard: str


def _category_lookup(userdict) -> dict[str, str]:
    """Names and aliases that point to exactly one catalog code, plus the codes themselves."""
    lookup = {}
    for code, name in userdict.names.items():
        lookup[code.lower()] = code
        lookup.setdefault(modelmod.normalize(name), code)
    for term, codes in userdict.term_codes.items():
        if len(codes) == 1:
            lookup.setdefault(modelmod.normalize(term), codes[0])
    return lookup


def read_labelled(path, encoding: str | None = None, userdict=None,
                  split: str | None = None) -> list[LabelledRow]:
    """Read and check a labelled file; raises :class:`EvaluationError` naming every bad row.

    ``userdict`` maps catalog names and aliases in the category column to codes; ``split`` keeps
    only the rows whose ``split`` column has that value.
    """
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"{path}: no such file")
    try:
        table = read_table(path, encoding=encoding)
    except ImportFileError as exc:
        raise EvaluationError(f"{path}: {exc.message}") from exc
    index = {}
    for i, header in enumerate(table.headers):
        norm = normalize_header(header)
        for key, names in COLUMNS.items():
            if norm in {normalize_header(n) for n in names} and key not in index:
                index[key] = i
    missing = [k for k in ("text",) if k not in index]
    if missing or ("category" not in index and "hazard" not in index):
        found = ", ".join(h.strip() for h in table.headers) or "(none)"
        raise EvaluationError(
            f"{path}: the header row needs the columns text, category, hazard (category or "
            f"hazard may be absent, not both); found: {found}")
    split_col = None
    if split:
        split_col = next((i for i, h in enumerate(table.headers)
                          if normalize_header(h) == "split"), None)
        if split_col is None:
            raise EvaluationError(f"{path}: --split needs a 'split' column")
    lookup = _category_lookup(userdict) if userdict is not None else {}
    cols = {k: table.columns[i].to_pylist() for k, i in index.items()}
    splits = table.columns[split_col].to_pylist() if split_col is not None else None
    errors = list(table.structural_errors)
    rows = []
    for n, rownum in enumerate(table.rownums.tolist()):
        if splits is not None and (splits[n] or "").strip() != split:
            continue
        text = (cols["text"][n] or "").strip()
        cat = (cols["category"][n] or "").strip() if "category" in cols else ""
        haz = (cols["hazard"][n] or "").strip() if "hazard" in cols else ""
        if not text and not cat and not haz:
            continue  # blank line
        if not text:
            errors.append(RowError(rownum, "text", "", "the text is empty", "required"))
            continue
        if cat:
            cat = lookup.get(cat.lower(), lookup.get(modelmod.normalize(cat), cat))
        if haz:
            key = haz.lower()
            haz = modelmod.HAZARD_ALIASES.get(haz, key)
            if haz not in modelmod.HAZARDS:
                errors.append(RowError(rownum, "hazard", cols["hazard"][n],
                                       "unknown hazard; use one of " + ", ".join(modelmod.HAZARDS),
                                       "invalid"))
                continue
        if not cat and not haz:
            errors.append(RowError(rownum, "category", "", "neither category nor hazard is given",
                                   "required"))
            continue
        rows.append(LabelledRow(rownum, text, cat, haz))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise EvaluationError(f"{path}: {len(errors)} bad row(s); nothing was evaluated", errors)
    if not rows:
        raise EvaluationError(f"{path}: no labelled rows")
    return rows


@dataclass
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class HeadReport:
    """Scores of one head (category or hazard) on the rows labelled for it."""

    head: str
    n: int
    accuracy: float
    classes: list[ClassScore]
    macro: ClassScore
    weighted: ClassScore
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first
    unclassified: int  # predictions below the confidence threshold
    unclassified_accuracy: float | None = None  # accuracy on the confident predictions
    labels_unknown_to_model: list[str] = field(default_factory=list)
    matrix: tuple[list[str], list[list[int]]] | None = None  # for small label sets


@dataclass
class EvaluationReport:
    path: str
    model_version: str
    n_rows: int
    category: HeadReport | None
    hazard: HeadReport | None

    def as_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def score_head(head: str, y_true: list[str], y_pred: list[str], unclassified: list[bool],
               known: list[str], top: int = 10) -> HeadReport:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    classes = [ClassScore(lab, float(p[i]), float(r[i]), float(f[i]), int(s[i]))
               for i, lab in enumerate(labels)]
    avg = {}
    for kind in ("macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                         average=kind, zero_division=0)
        avg[kind] = ClassScore(kind + " avg", float(ap), float(ar), float(af), len(y_true))
    confusions = Counter((t, pr) for t, pr in zip(y_true, y_pred) if t != pr)
    confident = [t == pr for t, pr, u in zip(y_true, y_pred, unclassified) if not u]
    matrix = None
    all_labels = sorted(set(y_true) | set(y_pred))
    if len(all_labels) <= 12:
        m = confusion_matrix(y_true, y_pred, labels=all_labels)
        matrix = (all_labels, m.tolist())
    return HeadReport(
        head=head, n=len(y_true), accuracy=float(accuracy_score(y_true, y_pred)),
        classes=classes, macro=avg["macro"], weighted=avg["weighted"],
        confusions=[(t, pr, c) for (t, pr), c in
                    sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
        unclassified=sum(unclassified),
        unclassified_accuracy=(sum(confident) / len(confident)) if confident else None,
        labels_unknown_to_model=sorted(set(y_true) - set(known)),
        matrix=matrix,
    )


def evaluate_rows(rows: list[LabelledRow], model=None, path: str = "") -> EvaluationReport:
    model = model or modelmod.get_model()
    preds = model.predict([r.text for r in rows])
    heads = {}
    for head in ("category", "hazard"):
        idx = [i for i, r in enumerate(rows) if getattr(r, head)]
        if not idx:
            heads[head] = None
            continue
        known = model.categories if head == "category" else model.hazards
        heads[head] = score_head(
            head, [getattr(rows[i], head) for i in idx], [getattr(preds[i], head) for i in idx],
            [getattr(preds[i], f"{head}_unclassified") for i in idx], known)
    return EvaluationReport(path=str(path), model_version=model.metadata.get("version", ""),
                            n_rows=len(rows), category=heads["category"], hazard=heads["hazard"])


def evaluate(path, model=None, encoding: str | None = None) -> EvaluationReport:
    """Evaluate ``model`` (default: the current one) on the labelled file at ``path``."""
    model = model or modelmod.get_model()
    rows = read_labelled(path, encoding=encoding, userdict=model.userdict)
    return evaluate_rows(rows, model, path)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _name(head: str, label: str, names: dict) -> str:
    if head == "category":
        name = names.get(label, "")
        return f"{label} {name[:14]}" if name else label
    return label


def format_report(report: EvaluationReport, names: dict | None = None,
                  max_classes: int | None = None) -> str:
    """The report as plain text (what ``zhijian complaints_evaluate`` prints)."""
    names = names or {}
    out = [f"file: {report.path}", f"model: {report.model_version}", f"rows: {report.n_rows}"]
    for head in (report.hazard, report.category):
        if head is None:
            continue
        out.append("")
        out.append(f"== {head.head} ({head.n} rows, {len(head.classes)} classes) ==")
        width = max([_width(_name(head.head, c.label, names)) for c in head.classes] + [14])
        out.append(f"{_pad('class', width)}  precision  recall     f1  support")
        classes = head.classes
        if max_classes and len(classes) > max_classes:
            classes = sorted(classes, key=lambda c: (-c.support, c.label))[:max_classes]
        for c in classes:
            out.append(f"{_pad(_name(head.head, c.label, names), width)}  {c.precision:9.3f}  "
                       f"{c.recall:6.3f}  {c.f1:5.3f}  {c.support:7d}")
        if len(classes) < len(head.classes):
            out.append(f"… {len(head.classes) - len(classes)} more classes (by support)")
        out.append(f"{'accuracy':<{width}}  {'':9}  {'':6}  {head.accuracy:5.3f}  {head.n:7d}")
        for c in (head.macro, head.weighted):
            out.append(f"{c.label:<{width}}  {c.precision:9.3f}  {c.recall:6.3f}  {c.f1:5.3f}  "
                       f"{c.support:7d}")
        conf = (f"{head.unclassified_accuracy:.3f}" if head.unclassified_accuracy is not None
                else "-")
        out.append(f"below the confidence threshold (unclassified, for officer review): "
                   f"{head.unclassified} of {head.n}; accuracy of the others: {conf}")
        if head.labels_unknown_to_model:
            out.append("labels the model has never seen (always wrong until retrained): "
                       + ", ".join(head.labels_unknown_to_model))
        if head.confusions:
            out.append("top confusions (true → predicted: count):")
            for t, p, n in head.confusions:
                out.append(f"  {_name(head.head, t, names)} → {_name(head.head, p, names)}: {n}")
        if head.matrix:
            labels, m = head.matrix
            short = [lab[:6] for lab in labels]
            out.append("confusion matrix (rows: true, columns: predicted):")
            out.append(" " * 16 + " ".join(f"{s:>6}" for s in short))
            for lab, row in zip(labels, m):
                out.append(f"{lab[:15]:<16}" + " ".join(f"{v:>6}" for v in row))
    return "\n".join(out)


# --------------------------------------------------------------------------- style-held-out


def heldout_model(retrain: bool = False):
    """The model of the style-held-out protocol: trained on the bundled ``train`` split and the
    generated texts of :data:`generate.TRAIN_STYLES` only; saved (not activated) once per data."""
    import hashlib

    from . import data, dictionary, generate

    userdict = dictionary.build()
    h = hashlib.sha256(modelmod.default_version_name(userdict).encode())
    h.update(",".join(generate.TRAIN_STYLES).encode())
    name = f"styleheldout-{h.hexdigest()[:12]}"
    path = modelmod.models_dir() / name
    if not retrain and (path / modelmod.META_FILE).exists():
        return modelmod.load(path)

    def fit():
        return modelmod.train(data.bundled_rows("train"), userdict=userdict,
                              source="style-held-out", styles=generate.TRAIN_STYLES)

    model = fit() if retrain else modelmod.fitted_once(name, fit)
    if not (path / modelmod.META_FILE).exists():
        modelmod.save_version(model, name, activate=False)
    return modelmod.load(path)


def hierarchical_scores(rows, preds, groups: dict, top: int = 10) -> dict:
    """Group / product / hazard accuracy, macro F1, coverage and confident-subset accuracy."""
    from sklearn.metrics import f1_score

    n = len(rows)
    y_cat = [r[1] for r in rows]
    p_cat = [p.category for p in preds]
    group_ok = [p.group == groups.get(c) for p, c in zip(preds, y_cat)]
    assigned = [(p, c) for p, c in zip(preds, y_cat) if p.level != "none"]
    right = [(p.category == c) if p.level == "product" else (p.group == groups.get(c))
             for p, c in assigned]
    prod = [(p.category == c) for p, c in assigned if p.level == "product"]
    confusions = Counter((c, p) for c, p in zip(y_cat, p_cat) if c != p)
    per_class = Counter(y_cat)
    hits = Counter(c for c, p in zip(y_cat, p_cat) if c == p)
    worst = sorted(((hits[c] / k, c, k) for c, k in per_class.items() if k >= 2))[:top]
    labels = sorted(set(y_cat))
    return {
        "n": n,
        "group_accuracy": sum(group_ok) / n,
        "product_accuracy": sum(a == b for a, b in zip(y_cat, p_cat)) / n,
        "product_macro_f1": float(f1_score(y_cat, p_cat, labels=labels, average="macro",
                                           zero_division=0)),
        "hazard_accuracy": sum(p.hazard == r[2] for p, r in zip(preds, rows) if r[2])
        / max(1, sum(1 for r in rows if r[2])),
        "coverage": len(assigned) / n,
        "confident_accuracy": (sum(right) / len(right)) if right else None,
        "at_product_level": len(prod),
        "product_level_accuracy": (sum(prod) / len(prod)) if prod else None,
        "at_group_level": sum(1 for p, _c in assigned if p.level == "group"),
        "confusions": [(t, p, k) for (t, p), k in
                       sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
        "worst_categories": [(c, round(r, 3), k) for r, c, k in worst],
    }


def style_held_out(model=None, include_dev: bool = False) -> dict:
    """Scores of the style-held-out protocol (docs/complaints-classification.md) per test set."""
    from . import data, generate

    model = model or heldout_model()
    groups = model.userdict.groups
    sets = {}
    gen = [(r["text"], r["category"], r["hazard"])
           for r in data.generated(model.userdict, styles=generate.HELD_OUT_STYLES)]
    sets["generated, held-out styles (" + ", ".join(generate.HELD_OUT_STYLES) + ")"] = gen
    sets["hand-written held-out test (heldout_test.csv)"] = data.heldout_rows("test")
    if include_dev:
        sets["hand-written held-out dev (heldout_dev.csv, tuned on)"] = data.heldout_rows("dev")
    sets["project's texts, test split (labelled_complaints.csv)"] = data.bundled_rows("test")
    out = {"model_version": model.metadata.get("version", ""), "thresholds": modelmod.thresholds(),
           "sets": {}}
    for name, rows in sets.items():
        preds = model.predict([r[0] for r in rows])
        out["sets"][name] = hierarchical_scores(rows, preds, groups)
    return out


def format_style_held_out(report: dict, names: dict | None = None) -> str:
    names = names or {}

    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    out = [f"model: {report['model_version']} (trained without the held-out styles and texts)",
           f"thresholds: {report['thresholds']}"]
    for name, s in report["sets"].items():
        out.append("")
        out.append(f"== {name}: {s['n']} texts ==")
        out.append(f"group accuracy      {fmt(s['group_accuracy'])}")
        out.append(f"product accuracy    {fmt(s['product_accuracy'])}   macro F1 "
                   f"{fmt(s['product_macro_f1'])}")
        out.append(f"hazard accuracy     {fmt(s['hazard_accuracy'])}")
        out.append(f"confident subset    {fmt(s['confident_accuracy'])} on "
                   f"{round(s['coverage'] * s['n'])}/{s['n']} (coverage {fmt(s['coverage'])}; "
                   f"{s['at_product_level']} at product level, accuracy "
                   f"{fmt(s['product_level_accuracy'])}; {s['at_group_level']} at group level)")
        if s["confusions"]:
            out.append("worst confusions (true → predicted: count):")
            for t, p, k in s["confusions"]:
                out.append(f"  {_name('category', t, names)} → {_name('category', p, names)}: {k}")
        if s["worst_categories"]:
            out.append("worst categories (recall, support):")
            out.append("  " + "; ".join(f"{_name('category', c, names)} {r:.2f} ({k})"
                                        for c, r, k in s["worst_categories"]))
    return "\n".join(out)
