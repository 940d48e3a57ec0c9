"""A grading run: snapshot → Ibis job on an engine → grades bulk-loaded, the run recorded and audited."""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhijian.accounts import audit
from zhijian.analytics import grading, snapshot

from .models import GROUPS, Grade, GradingRun, Method
from .services import current_method

BATCH = 2000


def method_params(method: Method) -> grading.MethodParams:
    return grading.MethodParams(version=method.version, groups=method.groups,
                                grade_bands=method.grade_bands, risk_rules=method.risk_rules)


def _explanations(method: Method, as_of: dt.date, grades_tbl, contrib_tbl) -> dict[int, dict]:
    """Explanation JSON per enterprise id (events with contributions, group subtotals, rule)."""
    events = defaultdict(list)
    c = contrib_tbl.to_pydict()
    for i in range(contrib_tbl.num_rows):
        events[c["enterprise_id"][i]].append({
            "event": c["event_id"][i], "type": c["type_code"][i], "group": c["grp"][i],
            "date": (grading.EPOCH + dt.timedelta(days=c["day"][i])).isoformat(),
            "weight": c["weight"][i], "age_days": c["age_days"][i],
            "contribution": round(c["contribution"][i], 4)})
    g = grades_tbl.to_pydict()
    result = {}
    for i in range(grades_tbl.num_rows):
        eid = g["enterprise_id"][i]
        groups = {grp: {"base": float(method.groups[grp]["base"]), "cap": float(method.groups[grp]["cap"]),
                        "events": round(g[f"{grp}_events"][i], 4), "subtotal": g[grp][i]}
                  for grp in GROUPS}
        result[eid] = {
            "method": method.version, "as_of": as_of.isoformat(), "score": g["score"][i],
            "grade": g["grade"][i], "grade_bands": method.grade_bands,
            "grade_class": g["grade_class"][i], "risk_class": g["risk_class"][i],
            "rule": g["rule"][i], "groups": groups, "events": events.get(eid, [])}
    return result


def run_grading(*, as_of: dt.date | None = None, engine: str = "duckdb", method: Method | None = None,
                snapshot_dir=None, progress=None) -> GradingRun:
    """Grade every enterprise as of ``as_of``; ``progress(n_done, n_total)`` is called while loading."""
    as_of = as_of or timezone.localdate()
    method = method or current_method(as_of)
    started = timezone.now()
    t0 = time.perf_counter()
    run = GradingRun.objects.create(method=method, engine=engine, as_of=as_of, started=started)
    try:
        directory = Path(snapshot_dir or Path(settings.VAR_DIR) / "analytics" / "credit"
                         / f"run-{run.pk}-{started:%Y%m%dT%H%M%S}")
        snap = snapshot.export(directory)
        grades_tbl, contrib_tbl = grading.run(directory, method_params(method), as_of, engine)
        explanations = _explanations(method, as_of, grades_tbl, contrib_tbl)
        g = grades_tbl.to_pydict()
        total = grades_tbl.num_rows
        computed_at = timezone.now()
        with transaction.atomic():
            for i in range(0, total, BATCH):
                Grade.objects.bulk_create([
                    Grade(enterprise_id=g["enterprise_id"][j], method=method, run=run, as_of=as_of,
                          score=Decimal(str(g["score"][j])).quantize(Decimal("0.01")),
                          grade=g["grade"][j], risk_class=g["risk_class"][j], computed_at=computed_at,
                          explanation=explanations[g["enterprise_id"][j]])
                    for j in range(i, min(i + BATCH, total))])
                if progress:
                    progress(min(i + BATCH, total), total)
            run.snapshot_path = snap["path"]
            run.snapshot_sha256 = snap["sha256"]
            run.enterprise_count = snap["counts"]["enterprises"]
            run.event_count = snap["counts"]["events"]
            run.grade_count = total
            run.status = GradingRun.Status.DONE
            run.finished = timezone.now()
            run.duration_s = round(time.perf_counter() - t0, 3)
            run.save()
            # One audit entry for the bulk-loaded grades (the run row itself is change-logged).
            audit.append("bulk_create", object_type="credit.grade", object_id=run.pk,
                         object_repr=f"grading run {run.pk}",
                         postchange={"run": run.pk, "method": method.version, "engine": engine,
                                     "as_of": as_of, "grades": total,
                                     "snapshot_sha256": snap["sha256"]})
    except Exception as exc:
        run.status = GradingRun.Status.FAILED
        run.finished = timezone.now()
        run.duration_s = round(time.perf_counter() - t0, 3)
        run.message = f"{type(exc).__name__}: {exc}"[:2000]
        run.save()
        raise
    return run
