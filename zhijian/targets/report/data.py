"""The report's data: sections of figures, each a table and (mostly) a chart spec.

Pure domain logic over the database: every figure is one aggregated query (GROUP BY in the
database), never a loop over the rows of a large table. The structure is plain Python (lists,
dicts, numbers, strings) so that the HTML, the PDF and the workbook are written from the same data.

A figure: ``{"key", "title", "columns": [...], "rows": [[...]], "chart": spec or None,
"empty": bool}``. A chart spec: ``{"kind": "barh" | "bar" | "line" | "pie" | "stacked",
"labels": [...], "series": [{"name", "values"}], "unit": "%" or ""}``. A figure without data
says so ("no data in this period") instead of drawing an empty chart.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.scope import division_prefix

from .. import periods

FIGURE_KEYS = ("pass_by_category", "pass_trend", "unqualified_items", "pass_by_area", "complaints_by_month",
               "complaint_timeliness", "complaints_by_category", "incidents_by_level", "signals_by_source",
               "alerts_by_level", "recalls_by_status", "credit_grades", "targets_lights", "targets_progress",
               "area_comparison")


def _pct(num, den):
    return round(100.0 * num / den, 1) if den else None


def _figure(key, title, columns, rows, chart=None):
    empty = not rows
    return {"key": key, "title": title, "columns": columns, "rows": rows,
            "chart": None if empty else chart, "empty": empty}


def _areas(division):
    """The divisions one level below (cities of a province, counties of a city); none for a county."""
    from zhijian.registry.models import Division

    return list(Division.objects.filter(parent_id=division.pk).order_by("code").values_list("code", "name"))


def _area_key(prefix_len):
    return Substr("division_id", 1, prefix_len)


# ------------------------------------------------------------------------------------ spot checks
def _tasks(prefix, start, end):
    from zhijian.spotcheck.models import Task
    from zhijian.spotcheck.stats import FINAL

    return Task.objects.filter(FINAL, division__pk__startswith=prefix, tested_on__range=(start, end))


FAILED = Q(retest_verdict="unqualified") | (Q(retest_verdict="") & Q(verdict="unqualified"))


def spot_checks(prefix, start, end, period, areas, area_len):
    from zhijian.spotcheck.models import TestItem

    tasks = _tasks(prefix, start, end)
    by_cat = list(tasks.values("category__name").annotate(n=Count("id"), bad=Count("id", filter=FAILED))
                  .order_by("category__name"))
    rows = [[r["category__name"], r["n"], r["n"] - r["bad"], _pct(r["n"] - r["bad"], r["n"])] for r in by_cat]
    rows.sort(key=lambda r: (r[3] if r[3] is not None else 101, r[0]))
    cols = [_("Product category"), _("Batches tested"), _("Qualified"), _("Pass rate (%)")]
    f1 = _figure("pass_by_category", _("Pass rate by product category"), cols, rows,
                 {"kind": "barh", "labels": [r[0] for r in rows[:15]],
                  "series": [{"name": _("Pass rate (%)"), "values": [r[3] for r in rows[:15]]}], "unit": "%"})

    # trend: the quarters of the period's year up to the period's end
    year = periods.parse(period)[1]
    ystart = dt.date(year, 1, 1)
    quarters = (_tasks(prefix, ystart, end).annotate(m=ExtractMonth("tested_on")).values("m")
                .annotate(n=Count("id"), bad=Count("id", filter=FAILED)))
    qsum = defaultdict(lambda: [0, 0])
    for r in quarters:
        q = (r["m"] - 1) // 3 + 1
        qsum[q][0] += r["n"]
        qsum[q][1] += r["bad"]
    last_q = (end.month - 1) // 3 + 1
    trend_rows = [[f"{year}Q{q}", qsum[q][0], qsum[q][0] - qsum[q][1], _pct(qsum[q][0] - qsum[q][1], qsum[q][0])]
                  for q in range(1, last_q + 1) if qsum[q][0]]
    f2 = _figure("pass_trend", _("Pass-rate trend by quarter"), [_("Quarter")] + cols[1:], trend_rows,
                 {"kind": "line", "labels": [r[0] for r in trend_rows],
                  "series": [{"name": _("Pass rate (%)"), "values": [r[3] for r in trend_rows]}], "unit": "%"})

    items = list(TestItem.objects.filter(task__in=tasks, verdict="unqualified").values("name")
                 .annotate(n=Count("task_id", distinct=True)).order_by("-n", "name")[:10])
    item_rows = [[r["name"], r["n"]] for r in items]
    f3 = _figure("unqualified_items", _("Unqualified batches by failed test item"),
                 [_("Test item"), _("Unqualified batches")], item_rows,
                 {"kind": "barh", "labels": [r[0] for r in item_rows],
                  "series": [{"name": _("Unqualified batches"), "values": [r[1] for r in item_rows]}], "unit": ""})

    by_area = {}
    if areas:
        for r in (tasks.annotate(a=_area_key(area_len)).values("a")
                  .annotate(n=Count("id"), bad=Count("id", filter=FAILED))):
            by_area[r["a"]] = (r["n"], r["n"] - r["bad"])
    area_rows = [[name, by_area[code[:area_len]][0], by_area[code[:area_len]][1],
                  _pct(by_area[code[:area_len]][1], by_area[code[:area_len]][0])]
                 for code, name in areas if code[:area_len] in by_area]
    f4 = _figure("pass_by_area", _("Pass rate by area"), [_("Area")] + cols[1:], area_rows,
                 {"kind": "bar", "labels": [r[0] for r in area_rows],
                  "series": [{"name": _("Pass rate (%)"), "values": [r[3] for r in area_rows]}], "unit": "%"})
    tested = sum(r[1] for r in rows)
    qualified = sum(r[2] for r in rows)
    summary = {"tested": tested, "qualified": qualified, "rate": _pct(qualified, tested)}
    return [f1, f2, f3, f4], summary, by_area


# ------------------------------------------------------------------------------------- complaints
def complaints(prefix, start, end, areas, area_len):
    from zhijian.complaints.models import Case, Kind

    cases = Case.objects.filter(division__pk__startswith=prefix, received_on__range=(start, end))
    months = periods.months(_period_of(start, end))
    counts = defaultdict(lambda: defaultdict(int))
    for r in cases.annotate(m=ExtractMonth("received_on")).values("m", "kind").annotate(n=Count("id")):
        counts[r["kind"]][r["m"]] += r["n"]
    labels = [f"{m[:4]}-{m[4:]}" for m in months]
    month_nums = [int(m[4:]) for m in months]
    kinds = [(Kind.COMPLAINT, Kind.COMPLAINT.label), (Kind.REPORT, Kind.REPORT.label)]
    rows = [[labels[i], counts[Kind.COMPLAINT][mn], counts[Kind.REPORT][mn],
             counts[Kind.COMPLAINT][mn] + counts[Kind.REPORT][mn]] for i, mn in enumerate(month_nums)]
    total = sum(r[3] for r in rows)
    f5 = _figure("complaints_by_month", _("Complaints and reports by month"),
                 [_("Month"), _("Complaints"), _("Reports"), _("Total")], rows if total else [],
                 {"kind": "stacked", "labels": labels,
                  "series": [{"name": str(label), "values": [counts[k][mn] for mn in month_nums]}
                             for k, label in kinds], "unit": ""})

    on_time = Q(decided_on__isnull=False, accept_due__isnull=False, decided_on__lte=F("accept_due"))
    agg = cases.aggregate(
        decided=Count("id", filter=Q(decided_on__isnull=False)),
        on_time=Count("id", filter=on_time),
        pending=Count("id", filter=Q(decided_on__isnull=True)),
        closed=Count("id", filter=Q(closed_on__isnull=False)),
        upheld=Count("id", filter=Q(upheld=True)))
    late = agg["decided"] - agg["on_time"]
    t_rows = [[_("Acceptance decided in time"), agg["on_time"]], [_("Acceptance decided late"), late],
              [_("Awaiting the acceptance decision"), agg["pending"]]]
    t_rows = [r for r in t_rows if r[1]]
    f6 = _figure("complaint_timeliness", _("Handling timeliness (acceptance within 7 working days)"),
                 [_("State"), _("Cases")], t_rows,
                 {"kind": "pie", "labels": [r[0] for r in t_rows],
                  "series": [{"name": _("Cases"), "values": [r[1] for r in t_rows]}], "unit": ""})

    cats = list(cases.exclude(category__isnull=True).values("category__name").annotate(n=Count("id"))
                .order_by("-n", "category__name")[:10])
    c_rows = [[r["category__name"], r["n"]] for r in cats]
    f7 = _figure("complaints_by_category", _("Complaints and reports by product category (top 10)"),
                 [_("Product category"), _("Cases")], c_rows,
                 {"kind": "barh", "labels": [r[0] for r in c_rows],
                  "series": [{"name": _("Cases"), "values": [r[1] for r in c_rows]}], "unit": ""})
    by_area = {}
    if areas:
        by_area = {r["a"]: r["n"] for r in cases.annotate(a=_area_key(area_len)).values("a").annotate(n=Count("id"))}
    summary = {"total": total, "complaints": sum(r[1] for r in rows), "reports": sum(r[2] for r in rows),
               "on_time_rate": _pct(agg["on_time"], agg["decided"]), "closed": agg["closed"],
               "upheld": agg["upheld"]}
    return [f5, f6, f7], summary, by_area


def _period_of(start, end):
    if start.month == 1 and end.month == 12:
        return str(start.year)
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


# ------------------------------------------------------------------------------------------ risk
def risk(prefix, start, end, areas, area_len):
    from zhijian.risk.models import Alert, Incident, Signal

    tz = timezone.get_current_timezone()
    t0 = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    t1 = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    incidents = (Incident.objects.filter(division__pk__startswith=prefix, occurred_at__gte=t0, occurred_at__lt=t1)
                 .exclude(status=Incident.Status.REJECTED))
    levels = list(incidents.values("level__rank", "level__name", "level__name_zh")
                  .annotate(n=Count("id"), deaths=Sum("deaths"), injured=Sum("serious_injuries"))
                  .order_by("-level__rank"))
    i_rows = [[_label(r["level__name"], r["level__name_zh"]), r["n"], r["deaths"] or 0, r["injured"] or 0]
              for r in levels]
    f8 = _figure("incidents_by_level", _("Major quality incidents by level"),
                 [_("Level"), _("Incidents"), _("Deaths"), _("Serious injuries")], i_rows,
                 {"kind": "bar", "labels": [r[0] for r in i_rows],
                  "series": [{"name": _("Incidents"), "values": [r[1] for r in i_rows]}], "unit": ""})

    signals = Signal.objects.filter(division__pk__startswith=prefix, week__range=(start, end))
    src = dict(Signal._meta.get_field("definition").related_model.Source.choices)
    st = dict(Signal.Status.choices)
    grid = defaultdict(lambda: defaultdict(int))
    for r in signals.values("definition__source", "status").annotate(n=Count("id")):
        grid[r["definition__source"]][r["status"]] += r["n"]
    sources = sorted(grid)
    s_rows = [[str(src.get(s, s))] + [grid[s][k] for k in Signal.Status.values] + [sum(grid[s].values())]
              for s in sources]
    f9 = _figure("signals_by_source", _("Signals detected in the counts, by source"),
                 [_("Counts of")] + [str(st[k]) for k in Signal.Status.values] + [_("Total")], s_rows,
                 {"kind": "stacked", "labels": [r[0] for r in s_rows],
                  "series": [{"name": str(st[k]), "values": [grid[s][k] for s in sources]}
                             for k in Signal.Status.values], "unit": ""})

    alerts = Alert.objects.filter(division__pk__startswith=prefix, created__gte=t0, created__lt=t1)
    lv = dict(Alert.Level.choices)
    order = {k: i for i, k in enumerate(["S", "H", "M", "L"])}
    a = list(alerts.values("level").annotate(n=Count("id"), published=Count("id", filter=Q(
        published_at__isnull=False))))
    a.sort(key=lambda r: order.get(r["level"], 9))
    a_rows = [[str(lv.get(r["level"], r["level"])), r["n"], r["published"]] for r in a]
    f10 = _figure("alerts_by_level", _("Risk alerts by risk level"),
                  [_("Risk level"), _("Alerts"), _("Published")], a_rows,
                  {"kind": "bar", "labels": [r[0] for r in a_rows],
                   "series": [{"name": _("Alerts"), "values": [r[1] for r in a_rows]},
                              {"name": _("Published"), "values": [r[2] for r in a_rows]}], "unit": ""})
    by_area = {}
    if areas:
        by_area = {r["a"]: r["n"] for r in incidents.annotate(a=_area_key(area_len)).values("a")
                   .annotate(n=Count("id"))}
    summary = {"incidents": sum(r[1] for r in i_rows), "deaths": sum(r[2] for r in i_rows),
               "signals": signals.count(), "alerts": sum(r[1] for r in a_rows)}
    return [f8, f9, f10], summary, by_area


def _label(name, name_zh):
    from django.utils.translation import get_language

    return name_zh if name_zh and (get_language() or "").startswith("zh") else name


# ---------------------------------------------------------------------------------------- recalls
def recalls(prefix, start, end, areas, area_len):
    from zhijian.recall.models import ProgressReport, RecallCase

    cases = RecallCase.objects.filter(division__pk__startswith=prefix, opened_on__range=(start, end))
    st = dict(RecallCase.Status.choices)
    rows_ = {r["status"]: r for r in cases.values("status").annotate(n=Count("id"), scope=Sum("scope_quantity"))}
    # units recovered: each case's latest (largest) cumulative report, summed per status
    recovered = defaultdict(Decimal)
    for r in (ProgressReport.objects.filter(case__in=cases).values("case__status")
              .annotate(m=Max("recovered"))):
        recovered[r["case__status"]] += r["m"] or 0
    rows = [[str(st[s]), rows_[s]["n"], float(rows_[s]["scope"] or 0), float(recovered[s])]
            for s in RecallCase.Status.values if s in rows_]
    f11 = _figure("recalls_by_status", _("Recall cases by status, units in scope and recovered"),
                  [_("Status"), _("Cases"), _("Units in scope"), _("Units recovered")], rows,
                  {"kind": "bar", "labels": [r[0] for r in rows],
                   "series": [{"name": _("Cases"), "values": [r[1] for r in rows]}], "unit": ""})
    by_area = {}
    if areas:
        by_area = {r["a"]: r["n"] for r in cases.annotate(a=_area_key(area_len)).values("a").annotate(n=Count("id"))}
    scope_total = sum(r[2] for r in rows)
    summary = {"cases": sum(r[1] for r in rows), "scope": scope_total, "recovered": sum(r[3] for r in rows),
               "recovered_rate": _pct(sum(r[3] for r in rows), scope_total)}
    return [f11], summary, by_area


# ----------------------------------------------------------------------------------------- credit
GRADES = ("AAA", "AA", "A", "B", "C")


def credit(prefix, end):
    """Enterprises of the division by the grade in force at the period's end (the latest graded
    on or before it): one query with a NOT EXISTS for a newer grade."""
    from zhijian.credit.models import Grade

    base = Grade.objects.filter(enterprise__division__pk__startswith=prefix, as_of__lte=end)
    newer = Grade.objects.filter(enterprise_id=OuterRef("enterprise_id"), as_of__lte=end).filter(
        Q(as_of__gt=OuterRef("as_of")) | Q(as_of=OuterRef("as_of"), pk__gt=OuterRef("pk")))
    counts = dict(base.filter(~Exists(newer)).values("grade").annotate(n=Count("id")).values_list("grade", "n"))
    total = sum(counts.values())
    rows = [[g, counts.get(g, 0), _pct(counts.get(g, 0), total)] for g in GRADES if counts.get(g)]
    f12 = _figure("credit_grades", _("Enterprises by quality-credit grade at the end of the period"),
                  [_("Grade"), _("Enterprises"), _("Share (%)")], rows,
                  {"kind": "pie", "labels": [r[0] for r in rows],
                   "series": [{"name": _("Enterprises"), "values": [r[1] for r in rows]}], "unit": ""})
    aa = counts.get("AAA", 0) + counts.get("AA", 0)
    return [f12], {"graded": total, "aa_or_above": aa, "aa_share": _pct(aa, total)}


# ---------------------------------------------------------------------------------------- targets
def targets(division_code, period):
    from .. import services
    from ..models import TargetSet

    year = periods.parse(period)[1]
    ts = (TargetSet.objects.filter(year__gte=year).order_by("year", "code").first()
          or TargetSet.objects.order_by("-year", "code").first())
    if ts is None:
        return [_figure("targets_lights", _("Targets by progress light"), [], []),
                _figure("targets_progress", _("Progress toward the targets"), [], [])], {}, None
    rows = services.progress(ts, division_code, period, with_trend=False)
    labels = {"met": _("met"), "near": _("near"), "not_met": _("not met"), "no_data": _("no data")}
    table = []
    for r in rows:
        t = r.target
        table.append([str(t.indicator), t.get_direction_display(), float(t.value),
                      None if r.shown is None else float(r.shown), t.indicator.unit, str(labels[r.light]),
                      r.reason, r.light])
    counts = defaultdict(int)
    for r in rows:
        counts[r.light] += 1
    order = ["met", "near", "not_met", "no_data"]
    # every target without data: nothing to chart ("no data in this period")
    light_rows = [[str(labels[k]), counts[k]] for k in order if counts[k]] if counts["no_data"] < len(rows) else []
    f13 = _figure("targets_lights", _("Targets by progress light"), [_("Light"), _("Targets")], light_rows,
                  {"kind": "pie", "labels": [r[0] for r in light_rows],
                   "series": [{"name": _("Targets"), "values": [r[1] for r in light_rows]}], "unit": "",
                   "colors": [{"met": "#2e7d32", "near": "#f9a825", "not_met": "#c62828",
                               "no_data": "#9e9e9e"}[k] for k in order if counts[k]]})
    f14 = _figure("targets_progress", _("Progress toward the targets"),
                  [_("Indicator"), _("Direction"), _("Target"), _("Value"), _("Unit"), _("Light"), _("Note")],
                  [row[:7] for row in table])
    f14["lit_rows"] = [(row[7], row[:7]) for row in table]
    met = counts["met"]
    return [f13, f14], {"targets": len(rows), "met": met, "near": counts["near"],
                        "with_data": len(rows) - counts["no_data"]}, ts


# ------------------------------------------------------------------------------------------ build
def build(division, period: str, *, today: dt.date | None = None, progress=None) -> dict:
    """The report for ``division`` (a Division) and ``period`` (a year ``2026`` or quarter ``2026Q3``).

    ``progress(step, total, label)`` is called after each section."""
    kind, year, n = periods.parse(period)
    if kind == periods.MONTH:
        raise periods.PeriodError("a report covers a year or a quarter")
    start, end = periods.bounds(period)
    prefix = division_prefix(division.pk)
    areas = _areas(division) if len(prefix) < 6 else []
    area_len = len(prefix) + 2
    steps = 6
    done = [0]

    def step(label):
        done[0] += 1
        if progress:
            progress(done[0], steps, label)

    sc_figs, sc_sum, sc_area = spot_checks(prefix, start, end, period, areas, area_len)
    step("spot_checks")
    cp_figs, cp_sum, cp_area = complaints(prefix, start, end, areas, area_len)
    step("complaints")
    rk_figs, rk_sum, rk_area = risk(prefix, start, end, areas, area_len)
    step("risk")
    rc_figs, rc_sum, rc_area = recalls(prefix, start, end, areas, area_len)
    step("recalls")
    cr_figs, cr_sum = credit(prefix, end)
    step("credit")
    tg_figs, tg_sum, target_set = targets(division.pk, period)

    comp_rows = []
    for code, name in areas:
        k = code[:area_len]
        t = sc_area.get(k, (0, 0))
        comp_rows.append([name, t[0], _pct(t[1], t[0]), cp_area.get(k, 0), rk_area.get(k, 0), rc_area.get(k, 0)])
    comp_rows = [r for r in comp_rows if any(v for v in (r[1], r[3], r[4], r[5]))]
    comparison = _figure("area_comparison", _("Comparison of areas"),
                         [_("Area"), _("Batches tested"), _("Pass rate (%)"), _("Complaints and reports"),
                          _("Major incidents"), _("Recall cases")], comp_rows)
    step("targets")

    if kind == periods.YEAR:
        period_label = _("%(year)s (year)") % {"year": year}
    else:
        period_label = _("%(year)s, quarter %(n)s") % {"year": year, "n": n}
    sections = [
        {"key": "spot_checks", "title": _("Product quality spot checks"), "figures": sc_figs,
         "text": _sentence_spot(sc_sum)},
        {"key": "complaints", "title": _("Complaints and reports"), "figures": cp_figs,
         "text": _sentence_complaints(cp_sum)},
        {"key": "risk", "title": _("Quality-safety risks"), "figures": rk_figs, "text": _sentence_risk(rk_sum)},
        {"key": "recalls", "title": _("Defective-product recalls"), "figures": rc_figs,
         "text": _sentence_recalls(rc_sum)},
        {"key": "credit", "title": _("Quality credit"), "figures": cr_figs, "text": _sentence_credit(cr_sum)},
        {"key": "targets", "title": _("Progress toward the quality targets"), "figures": tg_figs,
         "text": _sentence_targets(tg_sum, target_set)},
    ]
    if areas:
        sections.append({"key": "areas", "title": _("Areas compared"), "figures": [comparison],
                         "text": _("Each area's spot checks, complaints and reports, major incidents and recall "
                                   "cases in the period.")})
    for i, s in enumerate(sections, 1):
        s["number"] = i
    fig_no = 0
    for s in sections:
        for f in s["figures"]:
            fig_no += 1
            f["number"] = fig_no
    return {
        "division": {"code": division.pk, "name": division.name},
        "period": period, "period_kind": kind, "period_label": period_label,
        "start": start.isoformat(), "end": end.isoformat(),
        "title": _("Quality-status analysis report of %(division)s, %(period)s") % {
            "division": division.name, "period": period_label},
        "generated_on": (today or timezone.localdate()).isoformat(),
        "summary": {"spot_checks": sc_sum, "complaints": cp_sum, "risk": rk_sum, "recalls": rc_sum,
                    "credit": cr_sum, "targets": tg_sum},
        "sections": sections,
    }


def figures(data) -> list[dict]:
    return [f for s in data["sections"] for f in s["figures"]]


def _num(v):
    return "—" if v is None else f"{v}"


def _sentence_spot(s):
    if not s["tested"]:
        return _("No spot-check results in this period.")
    return _("%(tested)s batches were tested in the period; %(qualified)s were qualified, a pass rate of "
             "%(rate)s %%.") % {"tested": s["tested"], "qualified": s["qualified"], "rate": _num(s["rate"])}


def _sentence_complaints(s):
    if not s["total"]:
        return _("No complaints or reports were received in this period.")
    return _("%(total)s complaints and reports were received (%(c)s complaints, %(r)s reports); %(on_time)s %% "
             "of the acceptance decisions were made in time, %(closed)s cases were closed.") % {
        "total": s["total"], "c": s["complaints"], "r": s["reports"], "on_time": _num(s["on_time_rate"]),
        "closed": s["closed"]}


def _sentence_risk(s):
    return _("%(incidents)s major quality incidents (%(deaths)s deaths), %(signals)s signals and %(alerts)s risk "
             "alerts in the period.") % s


def _sentence_recalls(s):
    if not s["cases"]:
        return _("No recall case was opened in this period.")
    return _("%(cases)s recall cases were opened, covering %(scope)s units, of which %(recovered)s have been "
             "recovered (%(rate)s %%).") % {"cases": s["cases"], "scope": f"{s['scope']:,.0f}",
                                            "recovered": f"{s['recovered']:,.0f}", "rate": _num(s["recovered_rate"])}


def _sentence_credit(s):
    if not s["graded"]:
        return _("No enterprise had a quality-credit grade at the end of the period.")
    return _("%(graded)s enterprises were graded at the end of the period; %(aa)s of them (%(share)s %%) are AA "
             "or above.") % {"graded": s["graded"], "aa": s["aa_or_above"], "share": _num(s["aa_share"])}


def _sentence_targets(s, target_set):
    if not s:
        return _("No target set is defined.")
    return _("Of the %(n)s targets of %(set)s, %(data)s have a value for the period; %(met)s are met and %(near)s "
             "are near.") % {"n": s["targets"], "set": target_set, "data": s["with_data"], "met": s["met"],
                             "near": s["near"]}
