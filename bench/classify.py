"""Benchmark: complaint text classification throughput (category + hazard), 10 k texts.

    .venv/bin/python bench/classify.py [--texts 10000] [--baseline 1000] [--model DIR] [--workers 2]

1. trains the default model (bundled examples + templates) in a temporary VAR_DIR, or loads
   ``--model`` (not timed; the training time is printed for information);
2. builds ``--texts`` complaint texts from a fixed seed: each joins the opening clauses of one
   bundled example to the closing clauses of another, so that the texts are realistic in length
   and wording but (almost) all distinct;
3. times ``classify(texts)`` -- the batch API: jieba segmentation with the catalog user
   dictionary, word, tag and character TF-IDF, two logistic regressions -- in one process and
   prints texts/s. Target (DESIGN §9): at least 1,000 texts/s on a 2-core machine;
4. the same batch split over ``--workers`` forked processes (the model is loaded before the
   fork), for information: what an import job with two workers gets;
5. the baseline in the same run: the per-text loop (``classify([text])`` for each text, as a
   naive caller would write it) on a ``--baseline`` sample; texts/s and the ratio are printed.

Run the final measurement when the machine is idle (the load average is printed).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 1000.0
_CLAUSE = re.compile(r"(?<=[，。；！？])")


def make_texts(n: int, seed: int = 7) -> list[str]:
    from zhijian.complaints.classifier import data

    base = [t for t, _c, _h in data.bundled_rows()]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a = [c for c in _CLAUSE.split(rng.choice(base)) if c]
        b = [c for c in _CLAUSE.split(rng.choice(base)) if c]
        head = a[:max(1, rng.randint(1, len(a)))]
        tail = b[rng.randint(0, len(b) - 1):] if len(b) > 1 else []
        out.append("".join(head + tail))
    return out


_MODEL = None


def _work(chunk: list[str]) -> int:
    return len(_MODEL.predict(chunk))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--texts", type=int, default=10_000)
    p.add_argument("--baseline", type=int, default=1000, help="texts in the per-text loop")
    p.add_argument("--model", help="a saved model directory (default: train the default model)")
    p.add_argument("--workers", type=int, default=2, help="processes for step 4 (0 skips it)")
    args = p.parse_args(argv)

    var = tempfile.mkdtemp(prefix="zhijian-bench-classify-")
    os.environ.setdefault("ZHIJIAN_VAR_DIR", var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")
    import django

    django.setup()
    from zhijian.complaints.classifier import data, dictionary
    from zhijian.complaints.classifier import model as M

    print(f"cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    if args.model:
        model = M.ComplaintClassifier.load(args.model)
        print(f"model {args.model} loaded in {time.perf_counter() - t0:.1f} s")
    else:
        userdict = dictionary.build(dictionary.catalog_from_csv(), "csv")
        model = M.train(data.bundled_rows(), userdict=userdict, source="bench")
        print(f"default model trained in {time.perf_counter() - t0:.1f} s "
              f"({model.metadata['n_examples']} examples, {len(model.categories)} categories)")
    texts = make_texts(args.texts)
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} texts, {len(set(texts))} distinct, mean length {mean_len:.0f} characters")
    model.predict(texts[:50])  # warm-up: builds the jieba tokenizer

    t0 = time.perf_counter()
    preds = M.classify(texts, model=model)
    batch_s = time.perf_counter() - t0
    assert len(preds) == len(texts)
    batch_rate = len(texts) / batch_s
    print(f"classify(texts), one process: {batch_s:.2f} s, {batch_rate:,.0f} texts/s "
          f"(target >= {TARGET:,.0f}: {'met' if batch_rate >= TARGET else 'NOT met'})")

    if args.workers and args.workers > 1:
        import multiprocessing as mp

        global _MODEL
        _MODEL = model
        chunks = [texts[i::args.workers] for i in range(args.workers)]
        ctx = mp.get_context("fork")
        with ctx.Pool(args.workers) as pool:
            pool.map(_work, [c[:20] for c in chunks])  # start the workers
            t0 = time.perf_counter()
            done = sum(pool.map(_work, chunks))
            par_s = time.perf_counter() - t0
        print(f"classify(texts), {args.workers} processes: {par_s:.2f} s, "
              f"{done / par_s:,.0f} texts/s")

    sample = texts[:args.baseline]
    t0 = time.perf_counter()
    for text in sample:
        M.classify([text], model=model)
    loop_s = time.perf_counter() - t0
    loop_rate = len(sample) / loop_s
    print(f"baseline, per-text loop classify([text]): {loop_s:.2f} s for {len(sample)} texts, "
          f"{loop_rate:,.0f} texts/s; batch/loop ratio {batch_rate / loop_rate:.1f}x")
    return 0 if batch_rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
