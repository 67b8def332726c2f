"""Reading returned forms: real files made by forms.write_form, filled with openpyxl,
re-saved by the real LibreOffice; every finding checked against the catalogue."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile

import openpyxl
import pytest
from conftest import header_columns, requires_soffice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import cells
from generator.findings import CATALOGUE, message_for
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.intake import book as intake_book
from generator.intake import pool as intake_pool
from generator.intake import read as intake
from generator.intake import values as intake_values
from generator.plan.periods import parse_period
from generator.vocab import STATUS_DONE, STATUS_ONGOING, unit_file_name

PERIOD = parse_period("2022-Q3")
KEY = bytes(range(32))
UNIT = "STP"  # Sở Tư pháp: 8 tasks, ratio indicators CT3.2r, CT5.1r, CT8.1r, CT8.2r
REPORT = formspec.SHEET_REPORT
INDICATORS = formspec.SHEET_INDICATORS
COLS = formspec.REPORT_COLUMNS
RESULT = "Đã tổ chức 2 hội nghị tuyên truyền"
UNIT_VALUES = {"preparer": "Nguyễn Thị Hoa", "phone": "0912 345 678", "head": "Lò Văn Sáng",
               "difficulties": "Thiếu kinh phí", "proposals": "Bổ sung kinh phí"}


# --------------------------------------------------------------------------- helpers


class Form:
    """An openpyxl view of a form: cells by TT, indicator code and unit-field label."""

    def __init__(self, path):
        self.path = path
        self.book = openpyxl.load_workbook(path)
        self.report = self.book[REPORT]
        self.head, self.at = header_columns(self.report, [COLS["tt"], COLS["status"]])

    def row_of(self, tt: str) -> int:
        for row in range(self.head + 1, self.report.max_row + 1):
            if str(self.report.cell(row, self.at[COLS["tt"]]).value).strip() == tt:
                return row
        raise AssertionError(f"no row {tt}")

    def cell(self, tt: str, key: str):
        return self.report.cell(self.row_of(tt), self.at[COLS[key]])

    def set(self, tt: str, **values) -> None:
        for key, value in values.items():
            self.cell(tt, key).value = value

    def field_cell(self, field: str):
        label = formspec.UNIT_FIELDS[field]
        for row in self.report.iter_rows():
            for cell in row:
                if str(cell.value or "").strip().rstrip(":") == label:
                    return self.report.cell(cell.row, cell.column + 1)
        raise AssertionError(f"no field {field}")

    def indicator_cell(self, code: str):
        sheet = self.book[INDICATORS]
        icols = formspec.INDICATOR_COLUMNS
        head, at = header_columns(sheet, [icols["code"], icols["value"]])
        for row in range(head + 1, sheet.max_row + 1):
            if sheet.cell(row, at[icols["code"]]).value == code:
                return sheet.cell(row, at[icols["value"]])
        raise AssertionError(f"no indicator {code}")

    def save(self, path=None):
        self.book.save(path or self.path)
        return path or self.path


def fill(path, plan, unit=UNIT):
    """A carefully filled form: every task ongoing with a result, every input indicator,
    the unit's signature block."""
    form = Form(path)
    for task, _role in plan.tasks_for(unit):
        form.set(task.tt, status=STATUS_ONGOING, result=RESULT)
    for field, value in UNIT_VALUES.items():
        form.field_cell(field).value = value
    values = {i.code: 10 for i in plan.form_indicators(unit) if i.agg != "ratio"}
    for rule in plan.rules:  # the plan's consistency rules hold (on time + overdue ≤ received)
        if all(c in values for c in rule.codes) and \
                sum(values[c] for c in rule.left) > sum(values[c] for c in rule.right):
            values.update(dict.fromkeys(rule.left, 0))
    for code, value in values.items():
        form.indicator_cell(code).value = value
    return form.save()


@pytest.fixture(scope="module")
def base(tmp_path_factory, default_plan):
    """One filled form per module; each test edits its own copy."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / unit_file_name(default_plan.units[UNIT], PERIOD)
    forms.write_form(default_plan, UNIT, PERIOD, KEY, path)
    return fill(path, default_plan)


@pytest.fixture
def copy(base, tmp_path):
    def _copy(name=None):
        return shutil.copyfile(base, tmp_path / (name or base.name))

    return _copy


def read(path, plan):
    return intake.read_form(path, plan, PERIOD, KEY)


def codes(found):
    return [f.code for f in found]


def expect(code, /, cell="", sheet=REPORT, **params):
    """The exact finding a rule must produce, built from the catalogue."""
    rule = CATALOGUE[code]
    return (rule.severity, code, sheet, cell, message_for(code, sheet, cell, **params))


def as_tuples(found):
    return [(f.severity, f.code, f.sheet, f.cell, f.message) for f in found]


def edit_identity(path, **changes):
    """Edit identity values; `resign=True` signs again with the real key (a genuine
    form of another unit/period/version), otherwise the signature stays stale."""
    resign = changes.pop("resign", False)
    book = openpyxl.load_workbook(path)
    sheet = book[formspec.SHEET_IDENTITY]
    rows = {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1)}
    for key, value in changes.items():
        sheet.cell(rows[key], 2).value = value
    if resign:
        identity = {sheet.cell(r, 1).value: str(sheet.cell(r, 2).value or "")
                    for r in range(1, sheet.max_row + 1)}
        sheet.cell(rows[formspec.SIGNATURE_FIELD], 2).value = formspec.sign(KEY, identity)
    book.save(path)
    return path


def _shift_merges(sheet, from_row: int, by: int) -> None:
    # openpyxl moves cells but not merged ranges; Excel moves both.
    for merged in list(sheet.merged_cells.ranges):
        if merged.min_row >= from_row:
            merged.shift(0, by)


def insert_rows(sheet, row: int, count: int) -> None:
    sheet.insert_rows(row, count)
    _shift_merges(sheet, row, count)


def delete_row(sheet, row: int) -> None:
    sheet.delete_rows(row)
    _shift_merges(sheet, row + 1, -1)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(("value", "expected"), [
    (12, 12.0), (3.5, 3.5), ("1.250", 1250.0), ("1,5", 1.5), ("1.250,5", 1250.5),
    (" 2 000 ", 2000.0), ("1.234.567", 1234567.0), ("0,25", 0.25), ("", None), (None, None),
])
def test_numbers_in_vietnamese_style(value, expected):
    assert cells.parse_number(value) == expected


@pytest.mark.parametrize("value", ["12 người", "abc", "1,2,3", True, dt.date(2022, 9, 1)])
def test_not_numbers(value):
    with pytest.raises(cells.BadValue):
        cells.parse_number(value)


@pytest.mark.parametrize("value", [
    dt.date(2022, 9, 14), dt.datetime(2022, 9, 14, 0, 0), 44818, 44818.0, "14/9/2022",
    "14-09-2022", "14.9.2022", "14/09/22", " 14 / 9 / 2022 ", "2022-09-14",
])
def test_dates_day_first_in_every_form(value):
    assert cells.parse_date(value) == dt.date(2022, 9, 14)


@pytest.mark.parametrize("value", ["31/2/2022", "hôm qua", "9/14/2022", -5, True])
def test_bad_dates(value):
    with pytest.raises(cells.BadValue):
        cells.parse_date(value)


@pytest.mark.parametrize("text", ["ĐÃ HOÀN THÀNH", "da hoan thanh", "  Đã   hoàn thành ",
                                  "Đã hoàn thành".encode().decode()])
def test_status_matching(text):
    import unicodedata

    assert intake_values.match_status(text) == STATUS_DONE
    assert intake_values.match_status(unicodedata.normalize("NFD", text)) == STATUS_DONE


# --------------------------------------------------------------------------- a clean form


def test_filled_form_reads_every_task_indicator_and_field(base, default_plan):
    sub, found = read(base, default_plan)
    assert found == []
    assert sub.unit == UNIT and sub.period == "2022-Q3"
    assert sub.plan_version == default_plan.version
    tts = [t.tt for t, _ in default_plan.tasks_for(UNIT)]
    assert list(sub.tasks) == tts
    assert {t.status for t in sub.tasks.values()} == {STATUS_ONGOING}
    assert sub.tasks["2.1"].role == "Chủ trì" and sub.tasks["8.1"].role == "Phối hợp"
    assert sub.tasks["2.1"].result == RESULT
    assert sub.indicators["CT2.1a"] == 10.0 and "CT3.2r" not in sub.indicators
    assert (sub.preparer, sub.phone, sub.head) == ("Nguyễn Thị Hoa", "0912 345 678",
                                                   "Lò Văn Sáng")
    assert sub.difficulties == "Thiếu kinh phí" and sub.proposals == "Bổ sung kinh phí"


def test_unfilled_form_names_each_missing_cell(tmp_path, default_plan):
    path = forms.write_form(default_plan, UNIT, PERIOD, KEY, tmp_path / "trong.xlsx")
    sub, found = read(path, default_plan)
    assert sub is not None  # content errors go to feedback; the file is still a form
    form = Form(path)
    missing = [expect("R001", form.cell(tt, "status").coordinate, tt=tt)
               for tt in (t.tt for t, _ in default_plan.tasks_for(UNIT))]
    fields = [expect("R010", form.field_cell(f).coordinate, name=formspec.UNIT_FIELDS[f])
              for f in formspec.REQUIRED_UNIT_FIELDS]
    assert as_tuples(found) == missing + fields


# --------------------------------------------------------------------------- rules


def test_done_without_date_and_without_result(copy, default_plan):
    form = Form(copy())
    form.set("2.1", status="Đã hoàn thành", completed_on=None, result=None)
    form.save()
    _sub, found = read(form.path, default_plan)
    assert as_tuples(found) == [
        expect("R003", form.cell("2.1", "completed_on").coordinate, tt="2.1"),
        expect("R007", form.cell("2.1", "result").coordinate, tt="2.1")]


def test_completion_date_after_cutoff_and_before_plan(copy, default_plan):
    form = Form(copy())
    form.set("2.1", status="Đã hoàn thành", completed_on=dt.datetime(2022, 9, 20))
    form.set("3.2", status="Đã hoàn thành", completed_on="15/6/2022")
    form.save()
    sub, found = read(form.path, default_plan)
    assert as_tuples(found) == [
        expect("R004", form.cell("2.1", "completed_on").coordinate, value="20/9/2022",
               tt="2.1", cutoff="14/9/2022"),
        expect("R005", form.cell("3.2", "completed_on").coordinate, value="15/6/2022",
               tt="3.2", date="30/6/2022")]
    assert sub.tasks["3.2"].completed_on == dt.date(2022, 6, 15)  # kept as sent


def test_unknown_status_and_bad_date(copy, default_plan):
    form = Form(copy())
    form.set("2.1", status="Xong rồi", completed_on="hôm qua")
    form.save()
    sub, found = read(form.path, default_plan)
    assert as_tuples(found) == [
        expect("R002", form.cell("2.1", "status").coordinate, value="Xong rồi", tt="2.1"),
        expect("R006", form.cell("2.1", "completed_on").coordinate, value="hôm qua")]
    assert sub.tasks["2.1"].status == ""


def test_indicator_not_a_number_negative_and_ratio(copy, default_plan):
    form = Form(copy())
    form.indicator_cell("CT2.1a").value = "12 người"
    form.indicator_cell("CT2.1b").value = -3
    form.indicator_cell("CT3.2c").value = 50  # solved > received (CT3.2b = 10)
    form.save()
    sub, found = read(form.path, default_plan)
    cell = lambda code: form.indicator_cell(code).coordinate  # noqa: E731
    assert as_tuples(found) == [
        expect("I001", cell("CT2.1a"), INDICATORS, value="12 người", code="CT2.1a"),
        expect("I002", cell("CT2.1b"), INDICATORS, value="-3", code="CT2.1b"),
        expect("I003", cell("CT3.2c"), INDICATORS, code="CT3.2c", value="50", den="CT3.2b",
               den_value="10", ratio="CT3.2r")]
    assert sub.indicators["CT2.1a"] is None and sub.indicators["CT2.1b"] is None


def test_required_unit_field_empty(copy, default_plan):
    form = Form(copy())
    form.field_cell("phone").value = None
    form.save()
    _sub, found = read(form.path, default_plan)
    assert as_tuples(found) == [expect("R010", form.field_cell("phone").coordinate,
                                       name=formspec.UNIT_FIELDS["phone"])]


# --------------------------------------------------------------------------- reading cases


def test_statuses_dates_and_numbers_as_units_type_them(copy, default_plan):
    import unicodedata

    form = Form(copy())
    typed = {"2.1": ("ĐÃ HOÀN THÀNH", dt.datetime(2022, 9, 14)),
             "3.2": ("da hoan thanh", 44818),
             "4.4": (unicodedata.normalize("NFD", "Đã hoàn thành"), "14/9/2022"),
             "4.6": ("  Đã  hoàn thành ", "14-09-2022"),
             "5.1": ("Đã hoàn thành", "14.9.22")}
    for tt, (status, day) in typed.items():
        form.set(tt, status=status, completed_on=day)
    form.set("8.1", result=unicodedata.normalize("NFD", "Ban hành văn bản"))
    form.indicator_cell("CT2.1a").value = "1.250"
    form.indicator_cell("CT2.1b").value = "1,5"
    form.indicator_cell("CT4.4a").value = "1.250,5"
    form.save()
    sub, found = read(form.path, default_plan)
    # Every indicator of the default plan is a count: a fractional value is a finding.
    fractions = [expect("I006", form.indicator_cell(code).coordinate, sheet=INDICATORS,
                        value=value, code=code, unit=default_plan.indicator(code).unit)
                 for code, value in (("CT2.1b", "1,5"), ("CT4.4a", "1.250,5"))]
    assert as_tuples(found) == fractions
    for tt in typed:
        assert (sub.tasks[tt].status, sub.tasks[tt].completed_on) == (
            STATUS_DONE, dt.date(2022, 9, 14)), tt
    assert sub.tasks["8.1"].result == unicodedata.normalize("NFC", "Ban hành văn bản")
    assert (sub.indicators["CT2.1a"], sub.indicators["CT2.1b"], sub.indicators["CT4.4a"]) == (
        1250.0, None, None)
    assert cells.parse_number("1,5") == 1.5 and cells.parse_number("1.250,5") == 1250.5


def test_rows_inserted_reordered_deleted_and_added(copy, default_plan):
    form = Form(copy())
    sheet = form.report
    sheet.protection.sheet = False  # what a unit does before editing the structure
    first = form.row_of("2.1")
    # Re-order: swap the contents of 2.1 and 3.2 rows.
    a, b = form.row_of("2.1"), form.row_of("3.2")
    for col in range(1, sheet.max_column + 1):
        sheet.cell(a, col).value, sheet.cell(b, col).value = (
            sheet.cell(b, col).value, sheet.cell(a, col).value)
    form.set("3.2", status="Chưa thực hiện")
    insert_rows(sheet, first, 2)  # blank rows inserted above
    delete_row(sheet, form.row_of("4.6"))  # a task row deleted
    extra = sheet.max_row + 1  # rows the unit added at the bottom
    sheet.cell(extra, form.at[COLS["tt"]]).value = "9.9"
    sheet.cell(extra, form.at[COLS["status"]]).value = "Đang thực hiện"
    sheet.cell(extra + 1, form.at[COLS["tt"]]).value = "1.1"
    sheet.cell(extra + 1, form.at[COLS["status"]]).value = "Đang thực hiện"
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub.tasks["3.2"].status == "Chưa thực hiện" and sub.tasks["2.1"].status == \
        STATUS_ONGOING
    assert sub.tasks["3.2"].row < sub.tasks["2.1"].row  # found by TT, not by position
    assert "4.6" not in sub.tasks
    assert [t.tt for t in sub.extra_tasks] == ["9.9", "1.1"]
    tt_col = openpyxl.utils.get_column_letter(form.at[COLS["tt"]])
    assert as_tuples(found) == [
        expect("R008", f"{tt_col}{extra}", tt="9.9"),
        expect("R009", f"{tt_col}{extra + 1}", tt="1.1"),
        expect("R011", "", tt="4.6")]


def test_text_on_rows_without_tt_continues_the_task_above(copy, default_plan):
    """Nothing typed is dropped: an inserted row without TT continues the result of the
    task above it (a warning at its first filled cell); a row with a new TT keeps the task
    text the unit typed; text above the first task is kept on its own."""
    form = Form(copy())
    sheet = form.report
    sheet.protection.sheet = False
    below = form.row_of("3.2") + 1
    insert_rows(sheet, below, 2)
    more = "(tiếp nhiệm vụ 3.2) Tiếp 12 lượt công dân"
    sheet.cell(below, form.at[COLS["text"]]).value = more
    sheet.cell(below + 1, form.at[COLS["result"]]).value = "Giải quyết 7 đơn\nTrả lời 2 đơn"
    new = form.row_of("4.4") + 1
    insert_rows(sheet, new, 1)
    for key, value in (("tt", "4.4.1"), ("text", "Kiểm tra đột xuất 2 xã"),
                       ("status", "Đang thực hiện"), ("result", "Đã kiểm tra xã Bản Lầu")):
        sheet.cell(new, form.at[COLS[key]]).value = value
    top = form.head + 1  # the first dimension heading: a row inserted above it
    insert_rows(sheet, top, 1)
    sheet.cell(top, form.at[COLS["result"]]).value = "Ghi chú chung của đơn vị"
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub.tasks["3.2"].result == f"{RESULT}\n{more}\nGiải quyết 7 đơn\nTrả lời 2 đơn"
    lead, added = sub.extra_tasks
    assert (lead.tt, lead.text) == ("", "Ghi chú chung của đơn vị")
    assert (added.tt, added.text, added.status, added.result) == (
        "4.4.1", "Kiểm tra đột xuất 2 xã", "Đang thực hiện", "Đã kiểm tra xã Bản Lầu")
    letter = {k: openpyxl.utils.get_column_letter(form.at[COLS[k]]) for k in COLS}
    assert as_tuples(found) == [
        expect("R014", f"{letter['result']}{top}", text="Ghi chú chung của đơn vị"),
        expect("R013", f"{letter['text']}{below + 1}", tt="3.2", text=more),
        expect("R013", f"{letter['result']}{below + 2}", tt="3.2",
               text="Giải quyết 7 đơn Trả lời 2 đơn"),
        expect("R008", f"{letter['tt']}{new + 1}", tt="4.4.1")]


def test_phone_that_lost_its_zero_and_report_date_before_the_period(copy, default_plan):
    form = Form(copy())
    form.field_cell("phone").value = 912345678  # a General cell made a number of it
    form.field_cell("prepared_on").value = dt.datetime(2022, 5, 20)
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub.phone == "0912345678"
    phone, day = form.field_cell("phone").coordinate, form.field_cell("prepared_on").coordinate
    assert as_tuples(found) == [
        expect("R015", phone, value="912345678", fixed="0912345678"),
        expect("R017", day, value="20/5/2022", first="15/6/2022")]
    form.field_cell("phone").value = "0912 345 678"
    form.field_cell("prepared_on").value = dt.datetime(2022, 11, 2)  # late, not a slip
    form.save()
    sub, found = read(form.path, default_plan)
    assert (sub.phone, found) == ("0912 345 678", [])


def test_a_task_twice_keeps_the_first_row(copy, default_plan):
    form = Form(copy())
    first = form.row_of("2.1")
    extra = form.report.max_row + 1
    form.report.cell(extra, form.at[COLS["tt"]]).value = "2.1"
    form.report.cell(extra, form.at[COLS["status"]]).value = "Chưa thực hiện"
    form.save()
    sub, found = read(form.path, default_plan)
    tt_col = openpyxl.utils.get_column_letter(form.at[COLS["tt"]])
    assert as_tuples(found) == [expect("R012", f"{tt_col}{extra}", tt="2.1", first=first)]
    assert sub.tasks["2.1"].status == STATUS_ONGOING and sub.tasks["2.1"].row == first


def test_columns_found_by_label_when_moved(copy, default_plan):
    from openpyxl.cell.cell import MergedCell

    form = Form(copy())
    status, result = form.at[COLS["status"]], form.at[COLS["result"]]
    for row in form.report.iter_rows():
        a, b = row[status - 1], row[result - 1]
        if not isinstance(a, MergedCell) and not isinstance(b, MergedCell):
            a.value, b.value = b.value, a.value
    form.save()
    form = Form(form.path)  # the header now has Tình trạng where the result was
    assert form.at[COLS["status"]] == result
    form.set("2.1", status=None)
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub.tasks["3.2"].status == STATUS_ONGOING and sub.tasks["3.2"].result == RESULT
    assert as_tuples(found) == [expect("R001", form.cell("2.1", "status").coordinate, tt="2.1")]


def test_merged_status_cells_read_for_every_row(copy, default_plan):
    form = Form(copy())
    form.report.protection.sheet = False
    a, b = form.row_of("8.2"), form.row_of("8.3")
    col = form.at[COLS["status"]]
    form.set("8.2", status="Không phát sinh")
    form.report.cell(b, col).value = None
    form.report.merge_cells(start_row=a, start_column=col, end_row=b, end_column=col)
    form.save()
    sub, found = read(form.path, default_plan)
    assert found == []
    assert sub.tasks["8.2"].status == sub.tasks["8.3"].status == "Không phát sinh"


def test_formula_without_cached_value_is_a_finding_not_a_zero(copy, default_plan):
    form = Form(copy())
    form.set("2.1", result='="Đã làm "&"xong"')
    form.indicator_cell("CT2.1a").value = "=2+3"
    form.save()  # openpyxl stores formulas without a cached value
    sub, found = read(form.path, default_plan)
    assert as_tuples(found) == [
        expect("F107", form.cell("2.1", "result").coordinate),
        expect("F107", form.indicator_cell("CT2.1a").coordinate, INDICATORS)]
    assert sub.indicators["CT2.1a"] is None and sub.tasks["2.1"].result == ""


def test_which_formula_cells_count_as_uncalculated():
    sheet = (b'<row><c r="A1"><f>1+2</f><v></v></c>'  # openpyxl: never calculated
             b'<c r="B1" t="str"><f>IF(1,"",2)</f><v></v></c>'  # Excel: cached empty text
             b'<c r="C1" t="inlineStr"><f>X</f><is><t>a</t></is></c>'
             b'<c r="D1"><f>1</f></c><c r="E1"><f>1</f><v>3</v></c>'
             b'<x:c r="F1"><x:f>1</x:f></x:c></row>')
    assert intake_book._empty_formula_cells(sheet) == {(0, 0), (0, 3), (0, 5)}


@requires_soffice
def test_formula_with_cached_value_after_libreoffice(copy, default_plan, tmp_path):
    from generator.office import convert

    form = Form(copy("cong-thuc.xlsx"))
    form.set("2.1", result='="Đã làm "&"xong"')
    form.indicator_cell("CT2.1a").value = "=2+3"
    form.save()
    saved = convert(form.path, "xlsx", tmp_path / "lo")
    sub, found = read(saved, default_plan)
    assert found == []
    assert sub.tasks["2.1"].result == "Đã làm xong" and sub.indicators["CT2.1a"] == 5.0


@requires_soffice
@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_files_saved_by_libreoffice(copy, default_plan, tmp_path, fmt):
    from generator.office import convert

    form = Form(copy("lo-" + fmt + ".xlsx"))
    form.set("2.1", status="Đã hoàn thành", completed_on=dt.datetime(2022, 9, 1))
    form.indicator_cell("CT2.1a").value = 1250
    form.save()
    saved = convert(form.path, fmt, tmp_path / "lo")
    sub, found = read(saved, default_plan)
    assert [f for f in found if f.severity == "error"] == []
    assert sub.unit == UNIT
    assert sub.tasks["2.1"].status == STATUS_DONE
    assert sub.tasks["2.1"].completed_on == dt.date(2022, 9, 1)
    assert sub.indicators["CT2.1a"] == 1250.0
    assert sub.preparer == "Nguyễn Thị Hoa"


@requires_soffice
def test_xls_saved_under_an_xlsx_name_still_reads(copy, default_plan, tmp_path):
    from generator.office import convert

    xls = convert(copy("doi-ten.xlsx"), "xls", tmp_path / "lo")
    renamed = shutil.copyfile(xls, tmp_path / "doi-ten.xlsx")
    sub, found = read(renamed, default_plan)
    assert sub is not None and sub.tasks["2.1"].result == RESULT
    assert [f.code for f in found if f.severity == "error"] == []


def test_xlsm_reads_with_a_macro_warning(copy, default_plan, tmp_path):
    source = copy()
    target = tmp_path / "bao-cao.xlsm"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(508))
    sub, found = read(target, default_plan)
    assert sub is not None and sub.unit == UNIT
    assert codes(found) == ["F010"]


@pytest.mark.parametrize(("typed", "encoding", "text"), [
    ("§· hoµn thµnh", "TCVN3", "Đã hoàn thành"),  # typed with a .VnTime font
    ("Chöa thöïc hieän", "VNI", "Chưa thực hiện"),  # typed with a VNI-Times font
])
def test_legacy_text_is_converted_with_a_warning(copy, default_plan, typed, encoding, text):
    form = Form(copy())
    form.set("2.1", status=typed, completed_on=dt.datetime(2022, 9, 1))
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub.tasks["2.1"].status == text
    assert as_tuples(found) == [expect("F020", form.cell("2.1", "status").coordinate,
                                       encoding=encoding, text=text)]


# --------------------------------------------------------------------------- identity


def test_another_units_identity_edited_breaks_the_signature(copy, default_plan):
    path = edit_identity(copy(), unit="SYT")
    sub, found = read(path, default_plan)
    assert sub is None
    assert as_tuples(found) == [expect("F102", sheet=formspec.SHEET_IDENTITY)]


def test_form_of_another_period(default_plan, tmp_path):
    path = forms.write_form(default_plan, UNIT, parse_period("2022-Q2"), KEY,
                            tmp_path / "q2.xlsx")
    sub, found = read(path, default_plan)
    assert sub is None
    assert as_tuples(found) == [expect(
        "F104", sheet="", found="2022-Q2 (quý II năm 2022)",
        expected="2022-Q3 (quý III năm 2022)")]


def test_form_of_an_old_plan_version(copy, default_plan):
    path = edit_identity(copy(), plan_version="0123456789abcdef", resign=True)
    sub, found = read(path, default_plan)
    assert sub is None
    assert as_tuples(found) == [expect("F105", sheet="", found="0123456789abcdef",
                                       expected=default_plan.version)]


def test_unknown_unit(copy, default_plan):
    path = edit_identity(copy(), unit="XYZ", resign=True)
    sub, found = read(path, default_plan)
    assert sub is None
    assert as_tuples(found) == [expect("F103", sheet="", unit="XYZ")]


def test_no_identity_sheet(copy, default_plan):
    """Identity lost but the report sheet names the unit: read, and held for confirmation
    (findings.HOLDING); with the unit's name gone from the sheet too: rejected."""
    book = openpyxl.load_workbook(copy())
    del book[formspec.SHEET_IDENTITY]
    path = copy("khong-ma.xlsx")
    book.save(path)
    sub, found = read(path, default_plan)
    assert sub.unit == UNIT and sub.tasks["2.1"].result == RESULT
    assert as_tuples(found) == [expect("F111", sheet="", evidence=f"tên đơn vị ghi trên trang "
                                       f"'{REPORT}'", found=UNIT, found_name="Sở Tư pháp")]
    for row in book[REPORT].iter_rows(max_row=4):
        for cell in row:
            if cell.value and not isinstance(cell, openpyxl.cell.cell.MergedCell):
                cell.value = None
    book.save(path)
    sub, found = read(path, default_plan)
    assert sub is None
    assert as_tuples(found) == [expect("F101", sheet="")]


def test_report_sheet_without_its_task_table_is_rejected(copy, default_plan):
    form = Form(copy())
    form.report.cell(form.head, form.at[COLS["status"]]).value = "Trạng thái"
    form.save()
    sub, found = read(form.path, default_plan)
    assert sub is None  # recording it would replace the unit's report with an empty one
    columns = ", ".join(f"'{COLS[k]}'" for k in ("tt", "status", "completed_on", "result"))
    assert as_tuples(found) == [expect("F106", "", REPORT, name=REPORT, columns=columns)]


def test_signed_with_another_key(copy, default_plan):
    sub, found = intake.read_form(copy(), default_plan, PERIOD, b"another key")
    assert sub is None and codes(found) == ["F102"]


# --------------------------------------------------------------------------- hostile files


def encrypted(source, target):
    import msoffcrypto

    with open(source, "rb") as src, open(target, "wb") as dst:
        msoffcrypto.OfficeFile(src).encrypt("matkhau", dst)
    return target


@pytest.mark.parametrize(("make", "code"), [
    (lambda p, _b: p.write_bytes(b""), "F002"),
    (lambda p, _b: p.write_text("day khong phai bang tinh"), "F003"),
    (lambda p, _b: p.write_bytes(b"PK\x03\x04" + bytes(200)), "F009"),
    (lambda p, b: encrypted(b, p), "F004"),
])
def test_hostile_files_are_rejected_with_a_finding(base, default_plan, tmp_path, make, code):
    path = tmp_path / "tep.xlsx"
    make(path, base)
    sub, found = read(path, default_plan)
    assert sub is None
    assert codes(found) == [code] and found[0].file == "tep.xlsx"


def test_file_over_the_size_limit_is_rejected_unread(default_plan, tmp_path):
    path = tmp_path / "to.xlsx"
    with open(path, "wb") as stream:
        stream.write(b"PK\x03\x04")
        stream.truncate(21 * 1024 * 1024)  # over the 20 MB default limit
    sub, found = read(path, default_plan)
    assert sub is None and codes(found) == ["F001"]


def test_zip_bomb_member_is_rejected_before_parsing(base, default_plan, tmp_path):
    target = tmp_path / "bom.xlsx"
    shutil.copyfile(base, target)
    with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/image1.png", bytes(4 * 1024 * 1024))  # ratio ~1000:1
    sub, found = read(target, default_plan)
    assert sub is None and codes(found) == ["F006"]


def test_xml_entity_trick_is_rejected(base, default_plan, tmp_path):
    target = tmp_path / "entity.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                declaration, _, rest = data.rpartition(b"?>") if data.startswith(b"<?") \
                    else (b"", b"", data)
                data = declaration + _ + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + rest
            dst.writestr(item, data)
    sub, found = read(target, default_plan)
    assert sub is None and codes(found) == ["F008"]


# --------------------------------------------------------------------------- district return


def test_district_return_with_communes(tmp_path, default_plan):
    district = "080"
    path = forms.write_form(default_plan, district, PERIOD, KEY, tmp_path / "080.xlsx")
    fill(path, default_plan, district)
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet(formspec.SHEET_CHILDREN)
    c, k = formspec.CHILD_COLUMNS, formspec.CHILD_KINDS
    sheet.append([c[x] for x in c])
    sheet.append(["02635", k["task"], "1.2", "Đã hoàn thành", "10/9/2022", "Đã tuyên truyền",
                  None])
    sheet.append(["02635", k["indicator"], "CT1.2a", None, None, None, 5])
    sheet.append(["02635", k["field"], "difficulties", None, None, "Thiếu cán bộ", None])
    sheet.append(["02641", k["task"], "1.2", "dang thuc hien", None, None, None])
    sheet.append(["99999", k["task"], "1.2", "Đang thực hiện", None, None, None])
    sheet.append(["02635", k["task"], "1.3", "Đã hoàn thành", None, "Xong", None])
    book.save(path)
    sub, found = read(path, default_plan)
    assert sub.unit == district
    assert [ch.unit for ch in sub.children] == ["02635", "02641"]
    duyen_hai = sub.children[0]
    assert duyen_hai.tasks["1.2"].status == STATUS_DONE
    assert duyen_hai.tasks["1.2"].completed_on == dt.date(2022, 9, 10)
    assert duyen_hai.tasks["1.2"].role == "Chủ trì"
    assert duyen_hai.indicators == {"CT1.2a": 5.0}
    assert duyen_hai.difficulties == "Thiếu cán bộ"
    assert sub.children[1].tasks["1.2"].status == STATUS_ONGOING
    sheet_name = formspec.SHEET_CHILDREN
    assert as_tuples(found) == [
        expect("F108", "A6", sheet_name, unit="99999",
               parent=default_plan.units[district].name),
        expect("R003", "E7", sheet_name, tt="1.3")]


# --------------------------------------------------------------------------- many files


def test_read_many_keeps_order_and_one_bad_file_stops_nothing(base, default_plan, tmp_path):
    paths = []
    for index in range(10):
        path = tmp_path / f"f{index:02d}.xlsx"
        if index == 4:
            path.write_text("hỏng")
        else:
            shutil.copyfile(base, path)
        paths.append(path)
    results = intake_pool.read_many(paths, default_plan, PERIOD, KEY, workers=2)
    assert [p for p, _s, _f in results] == paths
    assert [s is not None for _p, s, _f in results] == [i != 4 for i in range(10)]
    assert codes(results[4][2]) == ["F003"] and results[4][2][0].file == "f04.xlsx"


def test_an_exception_while_reading_becomes_a_finding(base, default_plan, monkeypatch):
    def explode(*_args):
        raise RuntimeError("hỏng bất ngờ")

    monkeypatch.setattr(intake, "read_report", explode)
    # In this process (the pool's workers would not see the patch); read_form never raises.
    results = [intake.read_form(path, default_plan, PERIOD, KEY) for path in (base, base)]
    for sub, found in results:
        assert sub is None
        assert as_tuples(found) == [expect("F100", sheet="", reason="hỏng bất ngờ")]


# --------------------------------------------------------------------------- property


CELL_VALUES = st.one_of(
    st.none(), st.text(max_size=300), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)), st.booleans(),
    st.sampled_from(["=1/0", "=A1", "=SUM(", "1.250,5", "12 người", "30/9/2022", "Đã hoàn thành",
                     "31/02/2022", "１２", "\u0301", "-0", "1e309", "," * 50]),
)
_ILLEGAL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}


def _writable(value):
    if isinstance(value, str):
        return "".join(ch for ch in value if ch not in _ILLEGAL and not 0xD800 <= ord(ch) <= 0xDFFF)
    return value


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(CELL_VALUES, min_size=9, max_size=9))
def test_random_cell_values_never_raise(base, default_plan, tmp_path, values):
    form = Form(base)
    form.set("2.1", status=_writable(values[0]), completed_on=_writable(values[1]),
             result=_writable(values[2]))
    form.indicator_cell("CT2.1a").value = _writable(values[3])
    form.indicator_cell("CT3.2c").value = _writable(values[4])
    form.field_cell("prepared_on").value = _writable(values[5])
    form.field_cell("phone").value = _writable(values[6])
    extra = form.report.max_row + 1  # a row the unit added: random TT and status
    form.report.cell(extra, form.at[COLS["tt"]]).value = _writable(values[7])
    form.report.cell(extra, form.at[COLS["status"]]).value = _writable(values[8])
    path = form.save(tmp_path / "random.xlsx")
    # The inner reader, so an exception is not hidden by read_form's guard.
    sub, found = intake._read_form(path, default_plan, PERIOD, KEY)
    assert sub is not None and sub.unit == UNIT
    assert all(f.code in CATALOGUE and f.message for f in found)


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def ws(workspace, base):
    (workspace.state_dir / "secret.key").write_text(KEY.hex())
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    shutil.copyfile(base, folder / base.name)
    return workspace


def test_cli_check_all_good(ws, run, base):
    result = run(["check", "-p", "2022-Q3"], ws)
    assert result.exit_code == 0, result.output
    assert "Kỳ quý III năm 2022: 1 tệp, 1 được nhận, 0 bị từ chối." in result.output
    assert "Được nhận" in result.output


def test_cli_check_json_and_rejected_file_exit_1(ws, run, base):
    (ws.input_dir(PERIOD) / "SYT_rac.xlsx").write_bytes(b"")
    result = run(["--json", "check", "-p", "2022-Q3"], ws)
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["period"] == "2022-Q3"
    by_file = {f["file"]: f for f in document["files"]}
    assert by_file[base.name] == {"file": base.name, "unit": UNIT, "accepted": True,
                                  "held": False, "findings": []}
    rejected = by_file["SYT_rac.xlsx"]
    assert (rejected["unit"], rejected["accepted"]) == ("SYT", False)
    # One serialisation of a finding everywhere (Finding.as_dict): it names its file too.
    assert rejected["findings"] == [{"severity": "error", "code": "F002",
                                     "file": rejected["file"], "sheet": "", "cell": "",
                                     "message": message_for("F002")}]
    text = run(["check", "-p", "2022-Q3"], ws)
    assert text.exit_code == 1
    assert "Kỳ quý III năm 2022: 2 tệp, 1 được nhận, 1 bị từ chối." in text.output
    assert "F002" in text.output


def test_cli_check_applies_the_workspace_size_limit(ws, run, base):
    config = ws.root / "baocao.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_mb = 20", "max_mb = 0.01"),
                      encoding="utf-8")
    result = run(["--json", "check", "-p", "2022-Q3"], ws)
    assert result.exit_code == 1
    (checked,) = json.loads(result.output)["files"]
    assert checked["accepted"] is False
    assert [f["code"] for f in checked["findings"]] == ["F001"]
    assert "giới hạn 10,2 KB" in checked["findings"][0]["message"]


def test_cli_check_records_nothing_and_takes_paths(ws, run, base, tmp_path):
    other = tmp_path / "rieng"
    other.mkdir()
    form = Form(shutil.copyfile(base, other / "stp.xlsx"))
    form.set("2.1", status=None)
    form.save()
    result = run(["--json", "check", "-p", "2022-Q3", str(other)], ws)
    assert result.exit_code == 1  # accepted, with an error the unit must fix
    (item,) = json.loads(result.output)["files"]
    assert item["accepted"] and [f["code"] for f in item["findings"]] == ["R001"]
    from generator.ledger.store import ARCHIVE_DIR, DB_NAME

    assert not (ws.state_dir / DB_NAME).exists() and not (ws.state_dir / ARCHIVE_DIR).exists()


def test_cli_check_help_is_vietnamese(run):
    result = run(["check", "--help"])
    assert result.exit_code == 0
    assert "Ví dụ:" in result.output and "baocao check -p 2022-Q3" in result.output


def test_cli_check_reads_attachments_of_saved_emails(ws, run, base):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "stp@laocai.gov.vn"
    message["Date"] = "Tue, 13 Sep 2022 08:00:00 +0700"
    message.set_content("Gửi báo cáo quý III.")
    message.add_attachment(base.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename="Báo cáo quý III.xlsx")
    folder = ws.input_dir(PERIOD)
    (folder / base.name).unlink()
    (folder / "thu.eml").write_bytes(bytes(message))
    result = run(["--json", "check", "-p", "2022-Q3"], ws)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"] == [
        {"file": "Báo cáo quý III.xlsx", "unit": UNIT, "accepted": True, "held": False,
         "findings": []}]


def test_cli_check_without_input_folder_is_a_usage_error(workspace, run):
    result = run(["check", "-p", "2022-Q4"], workspace)
    assert result.exit_code == 2
    assert "Chưa có thư mục" in result.output and "2022-Q4" in result.output
