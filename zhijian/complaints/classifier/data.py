"""Training data: the bundled hand-written examples and deterministic template examples.

``zhijian/complaints/data/labelled_complaints.csv`` holds complaint texts written for the project
(see the README beside it), each with a catalog category code, a hazard and a fixed ``split``
(``train`` / ``test``). The reported scores are those of a model trained on the ``train`` rows
(plus the template rows below) and evaluated on the ``test`` rows, which no template was derived
from.

The generated rows (:mod:`.generate`) give every catalog category many varied examples, so that a
category no officer has confirmed yet can still be predicted: a product mention from the catalog
and the product lexicon (everyday names, brands, model numbers) × a symptom phrase of a hazard
plausible for that product × a writing style, from a seeded generator.

``heldout_dev.csv`` / ``heldout_test.csv`` are hand-written texts in a different voice (short,
colloquial, brand and model names, hardly any catalog words); they are never training data.
"""
from __future__ import annotations

import csv
from pathlib import Path

from .dictionary import UserDictionary

HELD_OUT_FILES = {"dev": "heldout_dev.csv", "test": "heldout_test.csv"}


def bundled_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "labelled_complaints.csv"


def bundled_rows(split: str | None = None) -> list[tuple[str, str, str]]:
    """``(text, category, hazard)`` of the bundled examples; ``split`` "train" / "test" / None."""
    with open(bundled_path(), encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"], r["hazard"]) for r in csv.DictReader(fh)
                if split is None or r["split"] == split]


def heldout_path(which: str = "test") -> Path:
    """The hand-written style-held-out texts: ``dev`` (for tuning) or ``test`` (never tuned on)."""
    return Path(__file__).resolve().parent.parent / "data" / HELD_OUT_FILES[which]


def heldout_rows(which: str = "test") -> list[tuple[str, str, str]]:
    with open(heldout_path(which), encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"], r["hazard"]) for r in csv.DictReader(fh)]


def generated(userdict: UserDictionary, styles: tuple[str, ...] | None = None,
              per_code: int | None = None) -> list[dict]:
    """Generated rows (dicts with ``style``) for every catalog code of ``userdict``."""
    from django.conf import settings

    from .dictionary import STOP_TERMS, load_lexicon, terms_of
    from .generate import PER_CODE, generate

    if per_code is None:
        per_code = getattr(settings, "COMPLAINT_CLASSIFIER_GENERATED_PER_CODE", PER_CODE)
    catalog = [(code, name, userdict.groups.get(code, "")) for code, name in userdict.names.items()]
    terms = {}
    for code, name in userdict.names.items():
        terms[code] = [t.lower() for t in terms_of(name) if t.lower() not in STOP_TERMS
                       and userdict.term_codes.get(t.lower()) == (code,)]
    return generate(catalog, load_lexicon(), terms, styles=styles, per_code=per_code)


def synthetic_rows(userdict: UserDictionary, styles: tuple[str, ...] | None = None,
                   per_code: int | None = None) -> list[tuple[str, str, str]]:
    """``(text, category, hazard)`` of the generated examples (deterministic)."""
    return [(r["text"], r["category"], r["hazard"])
            for r in generated(userdict, styles=styles, per_code=per_code)]
