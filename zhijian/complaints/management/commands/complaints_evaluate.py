"""``zhijian complaints evaluate FILE [--model DIR] [--split NAME] [--json]``: measure the classifier.

(``zhijian complaints-evaluate`` and ``manage.py complaints_evaluate`` are the same command.)
FILE is a labelled CSV (UTF-8 or GBK) or .xlsx with the columns text, category, hazard; prints
per-class precision, recall, F1 and support, macro and weighted averages, and the top confusions
for the hazard and the category. See docs/complaints-classification.md.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from zhijian.complaints.classifier import model as modelmod
from zhijian.complaints.classifier.evaluate import (EvaluationError, evaluate_rows, format_report,
                                                    read_labelled)


class Command(BaseCommand):
    help = "Evaluate the complaint classifier on a labelled file (columns text, category, hazard)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="labelled CSV (UTF-8 or GBK) or .xlsx")
        parser.add_argument("--style-held-out", action="store_true",
                            help="the style-held-out protocol: a model trained without the held-out "
                                 "writing styles, scored on them and on the hand-written held-out texts")
        parser.add_argument("--dev", action="store_true",
                            help="with --style-held-out: also the hand-written dev texts")
        parser.add_argument("--retrain", action="store_true",
                            help="with --style-held-out: retrain the held-out model")
        parser.add_argument("--model", help="a saved model directory or version name "
                                            "(default: the current model)")
        parser.add_argument("--encoding", help="CSV encoding (default: detect UTF-8 / GBK)")
        parser.add_argument("--split", help="only the rows whose 'split' column has this value")
        parser.add_argument("--max-classes", type=int, default=40,
                            help="category classes listed, by support (default 40; 0 = all)")
        parser.add_argument("--json", dest="as_json", action="store_true",
                            help="print the report as JSON")

    def handle(self, *args, file, model, encoding, split, max_classes, as_json, **opts):
        if opts.get("style_held_out"):
            from zhijian.complaints.classifier.evaluate import (format_style_held_out, heldout_model,
                                                                style_held_out)

            clf = modelmod.load(model) if model else heldout_model(retrain=opts.get("retrain"))
            report = style_held_out(clf, include_dev=opts.get("dev"))
            if as_json:
                self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            else:
                self.stdout.write(format_style_held_out(report, names=clf.userdict.names))
            return
        if not file:
            raise CommandError("give a labelled FILE, or --style-held-out")
        try:
            clf = modelmod.load(model) if model else modelmod.get_model()
        except (modelmod.ClassifierError, OSError) as exc:
            raise CommandError(f"cannot load the model: {exc}") from exc
        try:
            rows = read_labelled(file, encoding=encoding, userdict=clf.userdict, split=split)
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        report = evaluate_rows(rows, clf, file)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(format_report(report, names=clf.userdict.names,
                                        max_classes=max_classes or None))
