"""Labels on cases: the classifier's suggestions at intake, officers' confirmations as training data.

Suggestions never block intake: if the classifier cannot run, the case is kept
unlabelled and an officer labels it. Confirmed labels (``labels_confirmed``)
are the training data of the next model version (``retrain``), on top of the
project's bundled labelled examples.
"""
from __future__ import annotations

import logging

from django.db import transaction

from zhijian.accounts import audit
from zhijian.registry.models import ProductCategory

from .models import Case

log = logging.getLogger(__name__)


def _text(case: Case) -> str:
    return f"{case.product} {case.facts}".strip()


def suggest_labels(cases: list[Case], model=None) -> int:
    """Classify the unconfirmed cases in one batch and store labels with confidences."""
    from .classifier.model import UNCLASSIFIED, classify

    todo = [c for c in cases if not c.labels_confirmed]
    if not todo:
        return 0
    try:
        preds = classify([_text(c) for c in todo], model=model)
    except Exception:  # advisory only: intake must not fail because the model cannot run
        log.exception("complaint classification failed; cases stay unlabelled")
        return 0
    # The best guess is stored with its confidence even below the review threshold; the
    # case page marks low-confidence labels for the officer (``needs_review``).
    codes = {p.category for p in preds if p.category and p.category != UNCLASSIFIED}
    categories = dict(ProductCategory.objects.filter(code__in=codes).values_list("code", "pk"))
    for case, p in zip(todo, preds):
        # Hierarchical fallback: an unsure product with a sure catalog group gets the group only.
        level = getattr(p, "level", "product")
        case.category_id = categories.get(p.category) if level != "group" else None
        case.category_group = getattr(p, "group", "") if level in ("product", "group") else ""
        case.category_level = level
        case.category_confidence = round(float(p.category_confidence), 4)
        case.hazard = p.hazard if p.hazard and p.hazard != UNCLASSIFIED else ""
        case.hazard_confidence = round(float(p.hazard_confidence), 4)
    # Suggestions are machine output, not user writes: stored without an audit entry per row.
    Case.objects.bulk_update(todo, ["category", "category_confidence", "category_group",
                                    "category_level", "hazard", "hazard_confidence"],
                             batch_size=500)
    return len(todo)


def confirmed_rows(queryset=None):
    """(text, category code, hazard) of every case whose labels an officer confirmed."""
    qs = (queryset if queryset is not None else Case.objects.all()).filter(labels_confirmed=True)
    for product, facts, code, hazard in qs.values_list("product", "facts", "category__code", "hazard") \
            .order_by("pk").iterator(chunk_size=2000):
        yield (f"{product} {facts}".strip(), code or "", hazard or "")


@transaction.atomic
def retrain(user=None) -> dict:
    """Train a new model version from the confirmed labels plus the bundled examples; audited."""
    from .classifier.model import train_from_rows

    rows = list(confirmed_rows())
    meta = train_from_rows(rows, include_bundled=True, activate=True, source="confirmed")
    audit.append("retrain", object_type="complaints.classifier", object_id=meta.get("version", ""),
                 object_repr=f"complaint classifier {meta.get('version', '')}",
                 postchange={"confirmed_examples": len(rows), "n_examples": meta.get("n_examples"),
                             "version": meta.get("version"), "user": getattr(user, "username", None)})
    return meta
