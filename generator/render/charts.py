"""Charts for the Word report (matplotlib, Agg): deterministic PNG bytes.

Each function takes the consolidated frames (or plan scores) and returns PNG
bytes, or None when there is nothing to draw. No pyplot global state: each chart
is its own Figure, so charts can be drawn side by side and in tests.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context  # noqa: E402  (backend chosen first)
from matplotlib.figure import Figure  # noqa: E402

from generator.text import fmt_int, fmt_num  # noqa: E402
from generator.vocab import (  # noqa: E402
    LATE,
    MISSING,
    NOT_REPORTED,
    ON_TIME,
    REJECTED,
    TASK_STATUSES,
    status_label,
)

WIDTH_IN, DPI = 6.3, 150
# DejaVu Sans ships with matplotlib and has every Vietnamese diacritic.
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "baocao",
         "axes.spines.top": False, "axes.spines.right": False}
# Tasks and submissions share keys ("missing": a task no unit reported on, a unit that sent
# nothing): the same grey, apart from the red of "not started", which someone said.
COLORS = {"done": "#2e7d32", "ongoing": "#f9a825", "not_started": "#c62828",
          "not_applicable": "#d9d9d9", "on_time": "#2e7d32", "late": "#f9a825",
          "rejected": "#c62828", "missing": "#9e9e9e"}
YEAR_COLORS = ("#90a4ae", "#1565c0", "#2e7d32", "#f9a825", "#6a1b9a")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" text chunk and a fixed dpi: the same figures give the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _stacked_barh(labels, series, legend, xlabel) -> bytes:
    """Horizontal stacked bars, one per label, each segment annotated with its count.

    No title: the report's caption names the chart; the legend sits above the bars.
    """
    height = 1.3 + 0.42 * len(labels)
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, height))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))[::-1]
        left = [0.0] * len(labels)
        for key, values in series:
            bars = ax.barh(positions, values, left=left, color=COLORS[key], label=legend[key],
                           height=0.62, edgecolor="white", linewidth=0.6)
            for bar, value in zip(bars, values, strict=True):
                if value:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                            fmt_int(value), ha="center", va="center", fontsize=8,
                            color="white" if key in ("done", "on_time", "rejected", "not_started")
                            else "black")
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions, [_wrap(label) for label in labels])
        ax.set_xlabel(xlabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3 if len(series) > 4 else 4,
                  frameon=False, fontsize=8)
        fig.tight_layout()
        return _png(fig)


def completion_by_dimension(dimensions) -> bytes | None:
    """Tasks by overall status for each dimension of the plan; a bar adds up to the
    dimension's tasks (not arisen and not reported included, each as such)."""
    if dimensions is None or dimensions.empty:
        return None
    labels = [f"{int(row.dimension)}. {row.name}" for row in dimensions.itertuples()]
    shown = [*TASK_STATUSES, NOT_REPORTED]
    series = [(s.key, [int(v) for v in dimensions[s.key]]) for s in shown]
    legend = {s.key: status_label(s.value) for s in shown}
    return _stacked_barh(labels, series, legend, "Số nhiệm vụ")


def submission_by_level(rates) -> bytes | None:
    """Units on time / late / rejected / missing, by level."""
    if rates is None or rates.empty:
        return None
    labels = [str(name) for name in rates["level_name"]]
    states = (ON_TIME, LATE, REJECTED, MISSING)
    series = [(s.key, [int(v) for v in rates[s.key]]) for s in states]
    legend = {s.key: s.label for s in states}
    return _stacked_barh(labels, series, legend, "Số đơn vị")


def scores_by_dimension(scores: list[dict], dimensions: dict[int, tuple[str, str]],
                        index_name: str = "PAPI") -> bytes | None:
    """Index scores by dimension and year; None when only the overall score is known."""
    rows = [s for s in scores if s["dimension"] in dimensions and s["score"] is not None]
    if not rows:
        return None
    years = sorted({s["year"] for s in rows})[-len(YEAR_COLORS):]
    numbers = sorted({s["dimension"] for s in rows})
    value = {(s["year"], s["dimension"]): s["score"] for s in rows}
    width = 0.8 / len(years)
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.6))
        ax = fig.add_subplot()
        for index, year in enumerate(years):
            xs = [n + (index - (len(years) - 1) / 2) * width for n in numbers]
            ys = [value.get((year, n), 0.0) for n in numbers]
            bars = ax.bar(xs, ys, width=width * 0.95, color=YEAR_COLORS[index], label=str(year))
            for bar, score in zip(bars, ys, strict=True):
                if score:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(),
                            fmt_num(score, 2), ha="center", va="bottom", fontsize=6.5,
                            rotation=90)
        ax.set_xticks(numbers, [_wrap(dimensions[n][1], 14) for n in numbers], fontsize=7)
        ax.set_ylim(0, max(value.values()) * 1.25)
        ax.set_ylabel(f"Điểm Chỉ số {index_name}")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(years),
                  frameon=False, fontsize=8)
        fig.tight_layout()
        return _png(fig)
