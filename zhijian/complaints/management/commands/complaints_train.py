"""``zhijian complaints train [--confirmed] [--from-file CSV] [--no-bundled] [--bundled-split NAME]``: retrain.

(``zhijian complaints-train`` and ``manage.py complaints_train`` are the same command.) Trains a
new classifier version from a labelled file (columns text, category, hazard; UTF-8 or GBK) and/or
the bundled examples, saves it under ``VAR_DIR/models/complaints/<version>/`` and makes it current
(unless ``--no-activate``). Retraining from the labels officers confirmed in the database is the
complaints app's job (``zhijian.complaints.labelling.retrain``), which calls the same
``train_from_rows``.
"""
from django.core.management.base import BaseCommand, CommandError

from zhijian.complaints.classifier import data
from zhijian.complaints.classifier import model as modelmod
from zhijian.complaints.classifier.evaluate import EvaluationError, read_labelled


class Command(BaseCommand):
    help = "Train a new complaint classifier version (bundled examples and/or a labelled file)."

    def add_arguments(self, parser):
        parser.add_argument("--from-file", help="labelled CSV (UTF-8 or GBK) or .xlsx with the "
                                                "columns text, category, hazard")
        parser.add_argument("--encoding", help="CSV encoding of --from-file (default: detect)")
        parser.add_argument("--confirmed", action="store_true",
                            help="add the labels officers confirmed in the database")
        parser.add_argument("--no-bundled", action="store_true",
                            help="do not add the project's bundled labelled examples")
        parser.add_argument("--bundled-split", choices=["train", "test"],
                            help="use only this split of the bundled examples (default: all)")
        parser.add_argument("--no-activate", action="store_true",
                            help="save the new version without making it the current model")
        parser.add_argument("--default", dest="default_model", action="store_true",
                            help="only make sure the current model is ready: fit the default model "
                                 "when there is none yet (run at deployment, so that the first "
                                 "complaint does not wait for a fit)")
        parser.add_argument("--list", dest="list_versions", action="store_true", help="list the saved versions and exit")

    def handle(self, *args, from_file, encoding, no_bundled, bundled_split, no_activate,
               list_versions, confirmed=False, default_model=False, **opts):
        if default_model:
            model = modelmod.get_model()
            self.stdout.write(f"current model: {model.metadata.get('version')}")
            return
        if list_versions:
            current = modelmod.current_version()
            for meta in modelmod.list_versions():
                mark = "*" if meta.get("version") == current else " "
                self.stdout.write(f"{mark} {meta.get('version')}  trained {meta.get('trained_at')}  "
                                  f"{meta.get('n_examples')} examples ({meta.get('source')})")
            return
        rows = []
        if from_file:
            try:
                rows = [(r.text, r.category, r.hazard) for r in read_labelled(from_file, encoding=encoding)]
            except EvaluationError as exc:
                raise CommandError(str(exc)) from exc
        if confirmed:
            from zhijian.complaints.labelling import confirmed_rows

            rows += list(confirmed_rows())
        if not no_bundled:
            rows += data.bundled_rows(bundled_split)
        if not rows:
            raise CommandError("nothing to train on: give --from-file or drop --no-bundled")
        source = "+".join([s for s, on in (("file", from_file), ("confirmed", confirmed)) if on]) or "bundled"
        try:
            model = modelmod.train(rows, source=source)
        except modelmod.ClassifierError as exc:
            raise CommandError(str(exc)) from exc
        path = modelmod.save_version(model, activate=not no_activate)
        m = model.metadata
        self.stdout.write(self.style.SUCCESS(
            f"model {m['version']}: {m['n_examples']} examples ({m['n_given']} labelled, "
            f"{m['n_synthetic']} template), {len(m['category_labels'])} categories, "
            f"{len(m['hazard_labels'])} hazards; saved in {path}"
            + ("" if no_activate else "; now current")))
