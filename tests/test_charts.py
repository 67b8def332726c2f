"""Report charts: real PNGs, the same bytes for the same data, Vietnamese glyphs present."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest
from matplotlib.image import imread

from generator.render import charts
from generator.vocab import HELD

DIMENSIONS = pd.DataFrame({
    "dimension": [1, 2], "name": ["Tham gia của người dân ở cấp cơ sở", "Công khai, minh bạch"],
    "tasks": [4, 2], "done": [1, 0], "ongoing": [1, 1], "not_started": [1, 0],
    "not_applicable": [0, 1], "missing": [1, 0], "share_done": [1 / 3, 0.0]})
RATES = pd.DataFrame({
    "level": ["tinh", "xa"], "level_name": ["Cấp tỉnh", "Cấp xã"], "expected": [3, 2],
    "received": [2, 2], "on_time": [1, 1], "late": [1, 1], "missing": [1, 0],
    "rejected": [0, 0], "held": [0, 0], "received_rate": [2 / 3, 1.0],
    "on_time_rate": [1 / 3, 0.5]})
NAMES = {1: ("Tham gia của người dân ở cấp cơ sở", "Tham gia của người dân"),
         2: ("Công khai, minh bạch", "Công khai, minh bạch")}
SCORES = [{"year": 2021, "dimension": 0, "score": 40.151},
          {"year": 2021, "dimension": 1, "score": 4.9}, {"year": 2021, "dimension": 2, "score": 5.2},
          {"year": 2022, "dimension": 1, "score": 5.1}, {"year": 2022, "dimension": 2, "score": 5.6}]


def drawn(make):
    """The PNG and the warnings raised while drawing it (a missing glyph warns)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = make()
    return png, [str(w.message) for w in caught]


def size(png: bytes) -> tuple[int, int]:
    height, width = imread(io.BytesIO(png), format="png").shape[:2]
    return width, height


def test_completion_by_dimension_is_a_png_with_every_glyph():
    png, caught = drawn(lambda: charts.completion_by_dimension(DIMENSIONS))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert not [m for m in caught if "missing from" in m or "Glyph" in m]
    width, height = size(png)
    assert width == round(charts.WIDTH_IN * charts.DPI) and charts.DPI < height < width


def test_submission_by_level_grows_with_the_levels():
    png, caught = drawn(lambda: charts.submission_by_level(RATES))
    assert not caught
    three = pd.concat([RATES, RATES.iloc[[0]].assign(level="huyen", level_name="Cấp huyện")])
    assert size(charts.submission_by_level(three))[1] > size(png)[1]


def test_units_held_for_confirmation_get_their_own_segment(monkeypatch):
    """Shares by level add up to every unit: a held unit is drawn as held (never silently
    left out), and the state appears in the legend only when some unit is in it."""
    drawn_with = []
    real = charts._stacked_barh
    monkeypatch.setattr(charts, "_stacked_barh",
                        lambda *args, **kw: drawn_with.append(args) or real(*args, **kw))
    held = RATES.assign(missing=[0, 0], held=[1, 0])
    for rates in (RATES, held):
        assert charts.submission_by_level(rates).startswith(b"\x89PNG")
    (_l, plain, legend, *_), (_l2, series, held_legend, *_) = drawn_with
    assert HELD.key not in legend and held_legend[HELD.key] == HELD.label
    shares = dict(series)
    assert shares[HELD.key] == [1 / 3, 0]
    assert [sum(s[i] for s in shares.values()) for i in range(2)] == [1, 1]


def test_same_data_same_bytes_and_no_software_stamp():
    first = charts.completion_by_dimension(DIMENSIONS)
    assert first == charts.completion_by_dimension(DIMENSIONS)
    assert b"matplotlib" not in first.lower()
    changed = DIMENSIONS.assign(done=[2, 0])
    assert charts.completion_by_dimension(changed) != first


def test_scores_only_when_known_by_dimension():
    assert charts.scores_by_dimension([SCORES[0]], NAMES) is None
    png, caught = drawn(lambda: charts.scores_by_dimension(SCORES, NAMES, "PAPI"))
    assert png.startswith(b"\x89PNG") and not caught
    assert png == charts.scores_by_dimension(SCORES, NAMES, "PAPI")


def test_nothing_to_draw():
    assert charts.completion_by_dimension(DIMENSIONS.iloc[0:0]) is None
    assert charts.submission_by_level(RATES.iloc[0:0]) is None


def test_a_label_is_kept_only_inside_its_own_segment():
    """'2' beside '2' never reads '22': a label wider than its segment is dropped."""
    fig = charts._new_figure(charts.WIDTH_IN, 2)
    ax = fig.add_subplot()
    wide, narrow = ax.barh([0, 0], [0.5, 0.004], left=[0, 0.5])
    ax.set_xlim(0, 1)
    pairs = [(ax.text(0.25, 0, "50,0%"), wide), (ax.text(0.502, 0, "0,4%"), narrow)]
    assert charts.drop_unfit_labels(fig, pairs) == 1
    assert [t.get_text() for t in ax.texts] == ["50,0%"]


def test_charts_are_drawn_in_the_report_serif():
    from generator.render.template_builder import serif_font

    assert "Serif" in serif_font() or "Times" in serif_font()
    fig = charts._new_figure(charts.WIDTH_IN, 2)
    ax = fig.add_subplot()
    ax.set_title("Tham gia của người dân")
    charts.use_serif(fig)
    assert ax.title.get_fontproperties().get_file() == serif_font()


PERIODS = ["Quý I năm 2022", "6 tháng đầu năm 2022", "Quý III năm 2022 (kỳ này)"]


def test_trend_charts_are_deterministic_and_only_with_an_earlier_period():
    shares = [[0.1, 0.25, 0.5], [0.0, float("nan"), 1.0]]
    make = lambda: charts.shares_by_period(["Tham gia của người dân", "Tổng cộng"],  # noqa: E731
                                           PERIODS, shares, "Tỷ lệ nhiệm vụ hoàn thành")
    png, caught = drawn(make)
    assert png.startswith(b"\x89PNG") and not caught and png == make()
    assert charts.shares_by_period(["Tổng cộng"], PERIODS[-1:], [[0.5]], "x") is None
    panels = [("Số hội nghị (hội nghị)", "sum", [3.0, 12.0, 20.0]),
              ("Tỷ lệ thôn có sổ ghi chép", "ratio", [0.5, float("nan"), 0.75])]
    png, caught = drawn(lambda: charts.indicators_by_period(panels, PERIODS))
    assert png.startswith(b"\x89PNG") and not caught
    assert png == charts.indicators_by_period(panels, PERIODS)


def test_scores_by_year_need_two_years():
    overall = [{"year": 2020, "score": 42.96, "rank": 27, "of": 63},
               {"year": 2021, "score": 40.151, "rank": 49, "of": 60}]
    assert charts.scores_by_year(overall[:1]) is None
    png, caught = drawn(lambda: charts.scores_by_year(overall, "PAPI", overall[1]))
    assert png.startswith(b"\x89PNG") and not caught
    assert png == charts.scores_by_year(overall, "PAPI", overall[1])


@pytest.fixture
def saved(monkeypatch) -> list:
    """The figures the charts save, to read their texts as drawn."""
    from matplotlib.figure import Figure

    figures, real = [], Figure.savefig

    def keep(figure, *args, **kwargs):
        figures.append(figure)
        return real(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_count_axes_read_in_vietnamese_style(saved):
    """A count axis reads 2.000 like the bars' labels and the text, not 2000."""
    charts.indicators_by_period([("Số thôn, tổ dân phố (thôn, tổ)", "sum",
                                  [2468.0, 2613.0, 2578.0]),
                                 ("Tỷ lệ thôn", "ratio", [0.5, 0.6, 0.7])], PERIODS)
    counts, shares = ([t.get_text() for t in ax.get_yticklabels()] for ax in saved[0].axes)
    assert "2.000" in counts and not any(t.isdigit() and len(t) > 3 for t in counts)
    assert "60%" in shares


def test_every_period_share_is_labelled(saved):
    """A share too short to hold its label inside the bar is labelled after it: every
    period's figure can be read, not only the long ones."""
    charts.shares_by_period(["Toàn Kế hoạch"], PERIODS, [[0.053, 0.026, 0.5]], "Tỷ lệ")
    assert sorted(t.get_text() for t in saved[0].axes[0].texts) == ["2,6%", "5,3%", "50,0%"]
