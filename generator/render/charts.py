"""Charts for the Word report (matplotlib, Agg): deterministic PNG bytes.

Each function takes the consolidated frames (or plan scores) and returns PNG bytes, or None
when there is nothing to draw. No pyplot global state: each chart is its own Figure.

Drawn in the report's serif (Liberation Serif, metric-compatible with Times New Roman; Times
New Roman itself where installed), not a sans-serif beside a serif text. A label is only
kept where it fits inside its own bar segment, so two labels never run into each other
("2" beside "2" read as "22") and none spills out of its bar. Levels of very different size
(21 departments, 9 districts, 151 communes) are compared by shares, not counts.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context  # noqa: E402  (backend chosen first)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from generator.render.template_builder import serif_font  # noqa: E402
from generator.text import fmt_int, fmt_num  # noqa: E402
from generator.vocab import (  # noqa: E402
    HELD,
    LATE,
    MISSING,
    NOT_APPLICABLE,
    ON_TIME,
    REJECTED,
    TASK_STATUSES,
)

WIDTH_IN, DPI = 6.3, 130
COLORS = {"done": "#2e7d32", "ongoing": "#f9a825", "not_started": "#9e9e9e",
          "on_time": "#2e7d32", "late": "#f9a825", "rejected": "#c62828", "missing": "#9e9e9e",
          "held": "#1565c0"}
DARK = ("done", "on_time", "rejected", "held")  # segments with white labels
YEAR_COLORS = ("#90a4ae", "#1565c0", "#2e7d32", "#f9a825", "#6a1b9a")
LABEL_PAD_PX = 4  # room a label leaves inside its segment


# Texts drawn later by matplotlib itself (tick numbers) take the serif by family name; every
# text this module writes gets the chosen file (use_serif).
STYLE = {"font.size": 10, "font.family": "serif",
         "font.serif": ["Liberation Serif", "Times New Roman", "DejaVu Serif"],
         "svg.hashsalt": "baocao", "axes.spines.top": False, "axes.spines.right": False}


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)  # a canvas of its own: text sizes are measured before saving
    return fig


def use_serif(fig: Figure) -> None:
    """Every text of the figure in the report's serif file (by file, not by family name:
    two installed faces may share the name, one without Vietnamese letters)."""
    path = serif_font(False)
    for text in fig.findobj(Text):
        text.set_fontproperties(FontProperties(fname=path, size=text.get_fontsize()))


def _png(fig: Figure) -> bytes:
    # tight_layout leaves a placeholder layout engine, which makes savefig render the whole
    # figure once more into a throw-away PNG first; the layout is already done.
    fig.set_layout_engine(None)
    buffer = io.BytesIO()
    # No "Software" text chunk and a fixed dpi: the same figures give the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def share_text(ratio: float) -> str:
    """A share with one decimal, as everywhere in the report ("77,0%" beside "78,4%");
    0% and 100% as such."""
    value = round(float(ratio) * 100, 1)
    if value in (0.0, 100.0):
        return f"{int(value)}%"
    return f"{value:.1f}".replace(".", ",") + "%"


def drop_unfit_labels(fig: Figure, pairs) -> int:
    """Remove each label wider or taller than its bar (minus padding); returns how many
    were kept. Drawn first, so sizes are those of the saved PNG."""
    renderer = fig.canvas.get_renderer()
    kept = 0
    for text, bar in pairs:
        box, room = text.get_window_extent(renderer), bar.get_window_extent(renderer)
        if box.width > room.width - LABEL_PAD_PX or box.height > room.height:
            text.remove()
        else:
            kept += 1
    return kept


def _unfit_labels_after_bars(fig: Figure, pairs) -> None:
    """A share too short to hold its label (5,3%) is labelled just after its bar, as a 0% is:
    single bars leave the room to their right empty."""
    renderer = fig.canvas.get_renderer()
    for text, bar in pairs:
        box, room = text.get_window_extent(renderer), bar.get_window_extent(renderer)
        if box.width > room.width - LABEL_PAD_PX:
            text.set_x(bar.get_width() + 0.005)
            text.set_horizontalalignment("left")
            text.set_color("#616161")
            text.set_fontsize(7)


def _stacked_barh(labels, series, legend, xlabel, labels_of, shares: bool) -> bytes:
    """Horizontal stacked bars, one per label, each segment labelled where the label fits.

    No title: the report's caption names the chart; the legend sits above the bars.
    `series`: (key, values) with values as plotted (counts, or shares 0..1 when `shares`);
    `labels_of`: (key, texts) written in the segments.
    """
    height = 1.1 + 0.36 * len(labels)
    with rc_context(STYLE):
        fig = _new_figure(WIDTH_IN, height)
        ax = fig.add_subplot()
        positions = list(range(len(labels)))[::-1]
        left = [0.0] * len(labels)
        pairs = []
        for (key, values), (_key, texts) in zip(series, labels_of, strict=True):
            bars = ax.barh(positions, values, left=left, color=COLORS[key], label=legend[key],
                           height=0.62, edgecolor="white", linewidth=0.6)
            for bar, value, text in zip(bars, values, texts, strict=True):
                if value:
                    pairs.append((ax.text(
                        bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        text, ha="center", va="center", fontsize=9,
                        color="white" if key in DARK else "black"), bar))
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions, [_wrap(label) for label in labels])
        ax.set_xlabel(xlabel)
        if shares:
            ax.set_xlim(0, 1)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False,
                  fontsize=9)
        use_serif(fig)
        fig.tight_layout()
        drop_unfit_labels(fig, pairs)
        return _png(fig)


def completion_by_dimension(dimensions, names: dict | None = None) -> bytes | None:
    """Tasks done / ongoing / not started for each dimension of the plan (counts: every
    dimension has a handful of tasks). `names`: the plan's dimensions, for short names."""
    short = {n: pair[1] for n, pair in (names or {}).items()}
    if dimensions is None or dimensions.empty:
        return None
    labels = [f"{int(row.dimension)}. {short.get(int(row.dimension), row.name)}"
              for row in dimensions.itertuples()]
    shown = [s for s in TASK_STATUSES if s is not NOT_APPLICABLE]
    series = [(s.key, [int(v) for v in dimensions[s.key]]) for s in shown]
    texts = [(key, [fmt_int(v) for v in values]) for key, values in series]
    legend = {s.key: s.value for s in shown}
    return _stacked_barh(labels, series, legend, "Số nhiệm vụ", texts, shares=False)


def submission_by_level(rates) -> bytes | None:
    """Shares of units on time / late / rejected / missing (and held for confirmation, when
    any is), by level; the level's label says how many units it has."""
    if rates is None or rates.empty:
        return None
    labels = [f"{name} ({fmt_int(total)} đơn vị)"
              for name, total in zip(rates["level_name"], rates["expected"], strict=True)]
    states = (ON_TIME, LATE, REJECTED, MISSING) + ((HELD,) if rates[HELD.key].any() else ())
    totals = [max(int(t), 1) for t in rates["expected"]]
    series = [(s.key, [int(v) / t for v, t in zip(rates[s.key], totals, strict=True)])
              for s in states]
    texts = [(key, [share_text(v) for v in values]) for key, values in series]
    legend = {s.key: s.label for s in states}
    return _stacked_barh(labels, series, legend, "Tỷ lệ đơn vị", texts, shares=True)


def _score_rows(scores, dimensions):
    return [s for s in scores if s["dimension"] in dimensions and s.get("score") is not None]


def score_caption(scores, dimensions, index_name: str = "PAPI") -> str:
    """'Điểm Chỉ số PAPI của tỉnh theo nội dung năm 2020' for the years drawn."""
    years = sorted({s["year"] for s in _score_rows(scores, dimensions)})[-len(YEAR_COLORS):]
    shown = ", ".join(str(y) for y in years)
    return f"Điểm Chỉ số {index_name} của tỉnh theo nội dung" + (f" năm {shown}" if years else "")


def scores_by_dimension(scores: list[dict], dimensions: dict[int, tuple[str, str]],
                        index_name: str = "PAPI") -> bytes | None:
    """Index scores by dimension (horizontal bars, one group per dimension, one bar per
    year); None when only the overall score is known."""
    rows = _score_rows(scores, dimensions)
    if not rows:
        return None
    years = sorted({s["year"] for s in rows})[-len(YEAR_COLORS):]
    numbers = sorted({s["dimension"] for s in rows})
    value = {(s["year"], s["dimension"]): s["score"] for s in rows}
    step = 0.8 / len(years)
    with rc_context(STYLE):
        fig = _new_figure(WIDTH_IN, 0.9 + 0.3 * len(numbers) * len(years) + 0.1 * len(numbers))
        ax = fig.add_subplot()
        positions = list(range(len(numbers)))[::-1]
        pairs = []
        for index, year in enumerate(years):
            ys = [p + ((len(years) - 1) / 2 - index) * step for p in positions]
            xs = [value.get((year, n), 0.0) for n in numbers]
            bars = ax.barh(ys, xs, height=step * 0.9, color=YEAR_COLORS[index - len(years)],
                           label=str(year))
            for bar, score in zip(bars, xs, strict=True):
                if score:
                    pairs.append((ax.text(bar.get_width() * 0.98, bar.get_y()
                                          + bar.get_height() / 2, fmt_num(score, 2),
                                          ha="right", va="center", fontsize=9,
                                          color="white"), bar))
        ax.set_yticks(positions, [f"{n}. {dimensions[n][1]}" for n in numbers])
        ax.set_xlim(0, max(value.values()) * 1.05)
        ax.set_xlabel(f"Điểm Chỉ số {index_name}")
        if len(years) > 1:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(years),
                      frameon=False, fontsize=9)
        use_serif(fig)
        fig.tight_layout()
        drop_unfit_labels(fig, pairs)
        return _png(fig)


# --------------------------------------------------------------------------- trends

PERIOD_COLORS = ("#cfd8dc", "#a7b6be", "#7f939e", "#5a6e79", "#3c4c55")
CURRENT_COLOR = "#1565c0"  # this period; earlier closed periods in greys, oldest lightest


def _period_colors(count: int) -> list[str]:
    greys = list(PERIOD_COLORS[-(count - 1):]) if count > 1 else []
    while len(greys) < count - 1:  # more periods than greys: the oldest repeat the lightest
        greys.insert(0, PERIOD_COLORS[0])
    return greys + [CURRENT_COLOR]


LEGEND_COLUMNS = 2  # four period names ("6 tháng đầu năm 2022") do not fit on one line


def _row_major(items: list, ncol: int = LEGEND_COLUMNS) -> list:
    """Legend entries in the order matplotlib fills its columns (down, then across), so
    that the legend reads left to right, line by line, oldest period first."""
    rows = -(-len(items) // ncol)
    return [items[r * ncol + c] for c in range(ncol) for r in range(rows)
            if r * ncol + c < len(items)]


def shares_by_period(items: list[str], periods: list[str], values: list[list[float]],
                     xlabel: str) -> bytes | None:
    """Shares (0..1) for each item (a dimension, a level), one bar per period, the current
    period last (blue); values[item][period], NaN where the period has no figure."""
    if not items or len(periods) < 2:
        return None
    step = 0.8 / len(periods)
    colors = _period_colors(len(periods))
    with rc_context(STYLE):
        fig = _new_figure(WIDTH_IN, 1.0 + 0.16 * len(items) * len(periods) + 0.12 * len(items))
        ax = fig.add_subplot()
        positions = list(range(len(items)))[::-1]
        pairs = []
        for index, label in enumerate(periods):
            ys = [p + ((len(periods) - 1) / 2 - index) * step for p in positions]
            raw = [row[index] for row in values]
            xs = [0.0 if v != v else v for v in raw]
            bars = ax.barh(ys, xs, height=step * 0.9, color=colors[index], label=label)
            for bar, share, given in zip(bars, xs, raw, strict=True):
                if given == 0:  # a figure of 0%, not a period without one (NaN: no text)
                    ax.text(0.005, bar.get_y() + bar.get_height() / 2, "0%", ha="left",
                            va="center", fontsize=7, color="#616161")
                elif share:
                    pairs.append((ax.text(bar.get_width() - 0.01, bar.get_y()
                                          + bar.get_height() / 2, share_text(share),
                                          ha="right", va="center", fontsize=8,
                                          color="white" if index else "black"), bar))
        ax.set_yticks(positions, [_wrap(item) for item in items])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(xlabel)
        handles, names = ax.get_legend_handles_labels()
        ax.legend(_row_major(handles), _row_major(names), loc="lower center",
                  bbox_to_anchor=(0.5, 1.0), ncol=LEGEND_COLUMNS, frameon=False, fontsize=9)
        use_serif(fig)
        fig.tight_layout()
        _unfit_labels_after_bars(fig, pairs)
        return _png(fig)


def indicators_by_period(indicators: list[tuple[str, str, list[float]]],
                         periods: list[str]) -> bytes | None:
    """One panel per indicator (name, agg, values by period): each its own scale, since
    the indicators count different things; ratios as percentages."""
    if not indicators or len(periods) < 2:
        return None
    colors = _period_colors(len(periods))
    with rc_context(STYLE):
        fig = _new_figure(WIDTH_IN, 3.4)
        axes = fig.subplots(1, len(indicators), squeeze=False)[0]
        for ax, (name, agg, values) in zip(axes, indicators, strict=True):
            xs = list(range(len(periods)))
            ys = [0.0 if v != v else v for v in values]
            bars = ax.bar(xs, ys, color=colors, width=0.7)
            for bar, value, raw in zip(bars, ys, values, strict=True):
                text = "" if raw != raw else (share_text(value) if agg == "ratio"
                                              else fmt_num(value, 0 if value.is_integer()
                                                           else 1))
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), text,
                        ha="center", va="bottom", fontsize=8)
            ax.set_xticks(xs, [str(n + 1) for n in xs])
            ax.set_title(_wrap(name, 24), fontsize=9)
            top = max(ys) if ys and max(ys) > 0 else 1.0
            ax.set_ylim(0, top * 1.18)
            if agg == "ratio":
                ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            else:  # 3.000, as in the bar labels and the text, not matplotlib's 3000
                ax.yaxis.set_major_formatter(COUNT_TICKS)
        handles = [Patch(color=c, label=f"{n + 1}. {p}")
                   for n, (c, p) in enumerate(zip(colors, periods, strict=True))]
        fig.legend(handles=_row_major(handles), loc="lower center", ncol=LEGEND_COLUMNS,
                   frameon=False, fontsize=9)
        use_serif(fig)
        fig.tight_layout(rect=(0, 0.06 * -(-len(periods) // LEGEND_COLUMNS), 1, 1))
        return _png(fig)


# Count axes in Vietnamese style (1.250; 2,5); ticks are whole or one decimal.
COUNT_TICKS = FuncFormatter(lambda v, _pos: fmt_num(v, 0 if float(v).is_integer() else 1))


def _exact(score: float) -> str:
    """A published score as published (40,151; 42,96), up to four decimals."""
    text = fmt_num(round(float(score), 4), 4)
    return text.rstrip("0").rstrip(",") if "," in text else text


def scores_by_year(overall: list[dict], index_name: str = "PAPI",
                   baseline: dict | None = None) -> bytes | None:
    """The index's overall score by year (bars, with the rank where published) and the
    baseline year the plan's target is measured against (a dashed line); None with fewer
    than two years."""
    rows = [s for s in overall if s.get("score") is not None]
    if len(rows) < 2:
        return None
    with rc_context(STYLE):
        fig = _new_figure(WIDTH_IN, 2.8)
        ax = fig.add_subplot()
        xs = list(range(len(rows)))
        scores = [float(s["score"]) for s in rows]
        colors = [YEAR_COLORS[1] if baseline is not None and s["year"] == baseline["year"]
                  else YEAR_COLORS[0] for s in rows]
        bars = ax.bar(xs, scores, color=colors, width=0.55)
        lift = max(scores) * 0.04  # the label clears the baseline's dashed line
        for bar, row in zip(bars, rows, strict=True):
            text = _exact(row["score"])
            if row.get("rank") and row.get("of"):
                text += f"\nhạng {row['rank']}/{row['of']}"
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + lift, text,
                    ha="center", va="bottom", fontsize=9)
        if baseline is not None:
            ax.axhline(float(baseline["score"]), color="#c62828", linestyle="--", linewidth=1,
                       label=f"Mốc của mục tiêu: điểm năm {baseline['year']} "
                             f"({_exact(baseline['score'])})")
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
                      fontsize=9)
        ax.set_xticks(xs, [str(s["year"]) for s in rows])
        ax.set_ylim(0, max(scores) * 1.35)
        ax.set_ylabel(f"Điểm Chỉ số {index_name}")
        use_serif(fig)
        fig.tight_layout()
        return _png(fig)
