"""The report's charts, drawn server-side with matplotlib (PNG), so the PDF has them.

Text uses the system's CJK font by family name (Debian's fonts-noto-cjk, "Noto Sans CJK SC");
nothing is downloaded. A chart spec comes from ``data.py``; a figure without data has no spec
and gets no chart (the templates say "no data in this period").
"""
from __future__ import annotations

import io
import threading

FONT_FAMILY = "Noto Sans CJK SC"
PALETTE = ["#1f5fa8", "#e07b39", "#4c9a2a", "#c0392b", "#8e6bb8", "#7f8c8d", "#d4ac0d", "#16a085"]
_lock = threading.Lock()  # pyplot's state is global; the object API below needs no pyplot, but be safe


def _figure(width=6.4, height=3.2):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [FONT_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    fig = Figure(figsize=(width, height), dpi=110)
    return fig


def _fmt(v, unit):
    if v is None:
        return ""
    return f"{v:.1f}" if unit == "%" else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")


def png(spec: dict) -> bytes:
    """A PNG of the chart ``spec`` (see ``data.py``)."""
    kind, labels, series, unit = spec["kind"], spec["labels"], spec["series"], spec.get("unit", "")
    height = 3.0
    if kind == "barh":
        height = max(2.2, 0.32 * len(labels) + 1.0)
    with _lock:
        fig = _figure(height=height)
        ax = fig.add_subplot(1, 1, 1)
        ax.spines[["top", "right"]].set_visible(False)
        if kind == "pie":
            values = [v or 0 for v in series[0]["values"]]
            colors = spec.get("colors") or PALETTE[:len(values)]
            ax.pie(values, labels=[f"{lab} ({_fmt(v, '')})" for lab, v in zip(labels, values)], colors=colors,
                   startangle=90, counterclock=False, wedgeprops={"linewidth": 1, "edgecolor": "white"},
                   textprops={"fontsize": 9})
            ax.axis("equal")
        elif kind == "barh":
            values = [v or 0 for v in series[0]["values"]]
            y = list(range(len(labels)))[::-1]
            bars = ax.barh(y, values, color=PALETTE[0])
            ax.set_yticks(y, labels, fontsize=8)
            ax.bar_label(bars, labels=[_fmt(v, unit) for v in values], fontsize=7, padding=2)
            if unit == "%":
                ax.set_xlim(0, 105)
        elif kind == "line":
            values = series[0]["values"]
            ax.plot(labels, values, marker="o", color=PALETTE[0], linewidth=2)
            for x, v in zip(labels, values):
                if v is not None:
                    ax.annotate(_fmt(v, unit), (x, v), textcoords="offset points", xytext=(0, 6),
                                ha="center", fontsize=8)
            if unit == "%":
                lo = min([v for v in values if v is not None] or [0])
                ax.set_ylim(max(0, lo - 10), 102)
            ax.grid(axis="y", alpha=0.3)
        else:  # bar (grouped) or stacked
            n = len(series)
            x = list(range(len(labels)))
            bottom = [0] * len(labels)
            width = 0.8 if kind == "stacked" else 0.8 / n
            for i, s in enumerate(series):
                values = [v or 0 for v in s["values"]]
                if kind == "stacked":
                    ax.bar(x, values, width, bottom=bottom, label=s["name"], color=PALETTE[i % len(PALETTE)])
                    bottom = [b + v for b, v in zip(bottom, values)]
                else:
                    pos = [xi - 0.4 + width * (i + 0.5) for xi in x]
                    bars = ax.bar(pos, values, width, label=s["name"], color=PALETTE[i % len(PALETTE)])
                    ax.bar_label(bars, labels=[_fmt(v, unit) for v in values], fontsize=7, padding=1)
            rotate = 45 if len(labels) > 6 or max((len(str(lab)) for lab in labels), default=0) > 6 else 0
            ax.set_xticks(x, labels, fontsize=8, rotation=rotate, ha="right" if rotate else "center")
            if unit == "%":
                ax.set_ylim(0, 105)
            if n > 1:
                ax.legend(fontsize=8, frameon=False)
            ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        raw = io.BytesIO()
        fig.savefig(raw, format="png", facecolor="white")
    from PIL import Image

    buf = io.BytesIO()  # RGB without an alpha channel: one image per chart in the PDF
    Image.open(raw).convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()
