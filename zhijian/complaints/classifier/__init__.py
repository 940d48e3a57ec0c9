"""Chinese text classification of complaints: product category and hazard, with a confidence.

Self-contained (no complaint models needed)::

    from zhijian.complaints.classifier import classify, train_from_rows, evaluate_file

    classify(["电瓶车充电时自燃"])            # -> [Prediction(category="KP134", hazard="fire", ...)]
    train_from_rows([(text, category, hazard), ...])   # retrain from confirmed labels, new version
    evaluate_file("labelled.csv")            # per-class precision / recall / F1, confusions

See docs/complaints-classification.md.
"""
from .model import (HAZARD_LABELS, HAZARDS, UNCLASSIFIED, ClassifierError, ComplaintClassifier,
                    Prediction, classify, current_version, get_model, hazard_label,
                    list_versions, load, models_dir, train, train_from_rows)


def evaluate_file(path, model=None, encoding=None):
    from .evaluate import evaluate as _evaluate

    return _evaluate(path, model=model, encoding=encoding)


__all__ = ["HAZARDS", "HAZARD_LABELS", "UNCLASSIFIED", "ClassifierError", "ComplaintClassifier",
           "Prediction", "classify", "current_version", "evaluate_file", "get_model", "hazard_label",
           "list_versions", "load", "models_dir", "train", "train_from_rows"]
