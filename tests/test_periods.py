import datetime as dt

import pytest

from generator.errors import UsageError
from generator.plan.periods import ACCEPTED_FORMS, Period, parse_period

D = dt.date


@pytest.mark.parametrize("text,kind,label", [
    ("2022-07", "month", "tháng 7 năm 2022"),
    ("2022-Q3", "quarter", "quý III năm 2022"),
    ("2022-q4", "quarter", "quý IV năm 2022"),
    ("2022-H1", "half", "6 tháng đầu năm 2022"),
    ("2022-9M", "nine", "9 tháng đầu năm 2022"),
    ("2022", "year", "năm 2022"),
])
def test_ids_and_labels(text, kind, label):
    period = parse_period(text)
    assert period.kind == kind
    assert period.label == label
    assert period.id == text.upper()


@pytest.mark.parametrize("text,start,end", [
    ("2022-07", D(2022, 6, 15), D(2022, 7, 14)),
    ("2022-Q3", D(2022, 6, 15), D(2022, 9, 14)),
    ("2022-H1", D(2021, 12, 15), D(2022, 6, 14)),
    ("2022-9M", D(2021, 12, 15), D(2022, 9, 14)),
    ("2022", D(2021, 12, 15), D(2022, 12, 14)),
    ("2023-01", D(2022, 12, 15), D(2023, 1, 14)),  # across the year end
    ("2023-Q1", D(2022, 12, 15), D(2023, 3, 14)),
])
def test_data_cutoff(text, start, end):
    period = parse_period(text)
    assert (period.cutoff_start, period.cutoff_end) == (start, end)


def test_deadlines_per_level_default_and_configured():
    q3 = parse_period("2022-Q3")
    assert q3.deadline("xa") == D(2022, 9, 10)
    # "trước ngày 15 của tháng cuối kỳ": the 14th is the last day on time.
    assert q3.deadline("huyen") == D(2022, 9, 14)
    assert q3.deadline("tinh") == D(2022, 9, 14)
    assert q3.deadline("xa", {"xa": 8}) == D(2022, 9, 8)
    # a day past the month's end is clamped to its last day
    assert parse_period("2023-02").deadline("tinh", {"tinh": 31}) == D(2023, 2, 28)


@pytest.mark.parametrize("text,previous", [
    ("2023-01", "2022-12"), ("2023-Q1", "2022-Q4"), ("2022-Q3", "2022-Q2"),
    ("2022-H1", "2021-H1"), ("2022-9M", "2021-9M"), ("2022", "2021"),
])
def test_previous_period_across_year_end(text, previous):
    assert parse_period(text).previous().id == previous


def test_period_bounds():
    q4 = parse_period("2022-Q4")
    assert (q4.start, q4.end) == (D(2022, 10, 1), D(2022, 12, 31))
    assert parse_period("2024-02").end == D(2024, 2, 29)
    assert q4.quarters() == [4]
    assert parse_period("2022").quarters() == [1, 2, 3, 4]
    assert Period("month", 2022, 7).contains(D(2022, 7, 31))


@pytest.mark.parametrize("bad", ["2022-13", "2022-Q5", "22-Q3", "2022-H2", "quý 3", "", "2022-00"])
def test_bad_period_is_usage_error_with_accepted_forms(bad):
    with pytest.raises(UsageError) as info:
        parse_period(bad)
    assert info.value.exit_code == 2
    assert ACCEPTED_FORMS in str(info.value)
