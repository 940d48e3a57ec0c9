"""How well the complaints classifier labels injury narratives (product category and hazard).

The held-out set ``data/injury_narratives_heldout.csv`` holds 60 emergency-room notes written
for this purpose in the clipped clinical style of sentinel-hospital records ("患者3岁，在家玩电暖
器时手部烫伤，诊断II度烫伤"): age and sex first, what happened, the diagnosis and the
disposition — unlike the consumer complaints the classifier was trained on. Gold labels are a
catalog code (``KPnnn``) and a hazard code per note. The classifier is never trained on them.

``evaluate()`` reports, for category and hazard: the accuracy of the best guess over all notes,
and the coverage and accuracy of the labels the platform actually assigns (a product only at
level "product", a hazard only above its threshold — see ``services.classify_injury_cases``).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

HELDOUT = Path(__file__).resolve().parent / "data" / "injury_narratives_heldout.csv"


@dataclass(frozen=True)
class HeadScore:
    n: int
    best_guess_accuracy: float   # best guess right, over all notes
    assigned: int                # notes the platform would label
    assigned_accuracy: float     # right among the labelled ones (0 when none)

    @property
    def coverage(self) -> float:
        return self.assigned / self.n if self.n else 0.0


def heldout_rows(path: Path = HELDOUT) -> list[tuple[str, str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"], r["hazard"]) for r in csv.DictReader(fh)]


def evaluate(rows=None, model=None) -> dict[str, HeadScore]:
    from zhijian.complaints.classifier.model import classify

    rows = heldout_rows() if rows is None else rows
    preds = classify([text for text, _c, _h in rows], model=model)
    n = len(rows)
    cat_best = sum(p.category == c for p, (_t, c, _h) in zip(preds, rows))
    cat_assigned = [(p, c) for p, (_t, c, _h) in zip(preds, rows) if p.level == "product"]
    haz_best = sum(p.hazard == h for p, (_t, _c, h) in zip(preds, rows))
    haz_assigned = [(p, h) for p, (_t, _c, h) in zip(preds, rows) if not p.hazard_unclassified]
    return {
        "category": HeadScore(n, cat_best / n, len(cat_assigned),
                              sum(p.category == c for p, c in cat_assigned) / len(cat_assigned)
                              if cat_assigned else 0.0),
        "hazard": HeadScore(n, haz_best / n, len(haz_assigned),
                            sum(p.hazard == h for p, h in haz_assigned) / len(haz_assigned)
                            if haz_assigned else 0.0),
    }
