import datetime as dt

import pytest

from generator.plan.deadlines import DeadlineError, parse_deadline
from generator.plan.periods import parse_period


@pytest.mark.parametrize("phrase,kind,due,every", [
    ("Trước 30/9/2022", "date", dt.date(2022, 9, 30), None),
    ("Trước 5/7/2022", "date", dt.date(2022, 7, 5), None),
    ("Trước ngày 30/9/2022", "date", dt.date(2022, 9, 30), None),
    ("Báo cáo kết quả về Sở Nội vụ trước 30/7/2022", "date", dt.date(2022, 7, 30), None),
    ("Quý III/2022", "date", dt.date(2022, 9, 30), None),
    ("Quý IV/2022", "date", dt.date(2022, 12, 31), None),
    ("Thường xuyên", "recurring", None, "period"),
    ("Định kỳ hàng quý", "recurring", None, "quarter"),
    ("Theo quy định", "regulation", None, None),
    ("thuong xuyen", "recurring", None, "period"),  # typed without diacritics
])
def test_phrases(phrase, kind, due, every):
    deadline = parse_deadline(phrase)
    assert (deadline.kind, deadline.due, deadline.every) == (kind, due, every)
    assert deadline.phrase == phrase


@pytest.mark.parametrize("phrase", ["Sớm nhất có thể", "Trước 31/2/2022", "Quý V/2022", ""])
def test_unknown_phrases_raise_deadline_error(phrase):
    with pytest.raises(DeadlineError):
        parse_deadline(phrase)


def test_overdue_against_the_period_cutoff():
    deadline = parse_deadline("Trước 30/7/2022")
    assert not deadline.overdue(parse_period("2022-07"))  # cut-off 14/7
    assert deadline.overdue(parse_period("2022-Q3"))  # cut-off 14/9
    assert not parse_deadline("Thường xuyên").overdue(parse_period("2022-Q3"))
    assert parse_deadline("Thường xuyên").due_in(parse_period("2022-Q3"))
