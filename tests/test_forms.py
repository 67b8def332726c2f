"""`baocao forms`: every form of the default plan, opened as a reader and as Excel would."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from conftest import requires_soffice
from python_calamine import CalamineWorkbook

from generator.errors import UsageError
from generator.forms import layout as S
from generator.forms import writer
from generator.forms.writer import write_form, write_forms
from generator.office import convert
from generator.plan.periods import parse_period
from generator.plan.workbook import Unit
from generator.text import clean, fmt_date_long
from generator.vocab import STATUSES, unit_file_name
from generator.workspace import find_workspace, init_workspace

PERIOD = parse_period("2022-Q3")
ROMANS = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII"}
SAMPLE = ("SNV", "STP", "SYT", "080", "083", "02635", "02644")  # departments, districts, communes


@pytest.fixture(scope="module")
def made(tmp_path_factory, default_plan):
    """All forms of the default plan, written once into a fresh workspace."""
    root = tmp_path_factory.mktemp("forms") / "ws"
    init_workspace(root)
    ws = find_workspace(explicit=root)
    paths = write_forms(ws, default_plan, PERIOD)
    return ws, {p.name.split("_")[0]: p for p in paths}


def rows_of(path, sheet):
    book = CalamineWorkbook.from_path(str(path))
    return [[clean(v) if isinstance(v, str) else v for v in row]
            for row in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)]


def header(rows, labels):
    """(row index, label -> column) of the header row holding every label."""
    for index, row in enumerate(rows):
        found = {v: c for c, v in enumerate(row) if isinstance(v, str) and v}
        if all(label in found for label in labels):
            return index, found
    raise AssertionError(f"no header row with {labels}")


def task_rows(path):
    rows = rows_of(path, S.SHEET_REPORT)
    head, at = header(rows, S.REPORT_COLUMNS.values())
    return rows, head, at


def expected_indicator_codes(plan, code):
    """Codes a unit reports: its plain indicators and the two parts of each of its ratios."""
    out = set()
    for indicator in plan.indicators_for(code):
        out |= {indicator.num, indicator.den} if indicator.agg == "ratio" else {indicator.code}
    return out


# --------------------------------------------------------------------------- files


def test_one_form_per_reporting_unit_with_ascii_names(made, default_plan):
    ws, forms = made
    reporting = [c for c in default_plan.units if default_plan.tasks_for(c)]
    assert len(reporting) == 182
    assert sorted(forms) == sorted(reporting)
    folder = ws.output_dir(PERIOD) / "bieu-mau"
    for code, path in forms.items():
        assert path.parent == folder
        assert path.name == unit_file_name(default_plan.units[code], PERIOD)
        assert path.name.isascii() and re.fullmatch(r"[A-Za-z0-9_.-]+", path.name)
    assert forms["STP"].name == "STP_so-tu-phap_2022-Q3.xlsx"
    assert not list(folder.glob(".tmp-*"))  # atomic writes leave no temporary files


def test_sheets_in_order(made):
    book = CalamineWorkbook.from_path(str(made[1]["STP"]))
    assert book.sheet_names == [S.SHEET_GUIDE, S.SHEET_REPORT, S.SHEET_INDICATORS,
                                S.SHEET_IDENTITY]


def test_two_runs_are_byte_identical(made, default_plan, tmp_path):
    ws, forms = made
    again = tmp_path / "again"
    init_workspace(again)
    shutil.copyfile(ws.state_dir / "secret.key", again / ".baocao" / "secret.key")
    for path in write_forms(find_workspace(explicit=again), default_plan, PERIOD):
        assert path.read_bytes() == forms[path.name.split("_")[0]].read_bytes(), path.name


def test_another_key_changes_only_the_signature(made, default_plan, tmp_path):
    path = write_form(default_plan, "STP", PERIOD, b"another key", tmp_path / "x.xlsx")
    mine = dict(rows_of(made[1]["STP"], S.SHEET_IDENTITY))
    other = dict(rows_of(path, S.SHEET_IDENTITY))
    assert {k: v for k, v in mine.items() if k != S.SIGNATURE_FIELD} == {
        k: v for k, v in other.items() if k != S.SIGNATURE_FIELD}
    assert mine[S.SIGNATURE_FIELD] != other[S.SIGNATURE_FIELD]


# --------------------------------------------------------------------------- report sheet


def test_every_form_lists_exactly_the_units_tasks_and_roles(made, default_plan):
    for code, path in made[1].items():
        rows, head, at = task_rows(path)
        col = {k: at[label] for k, label in S.REPORT_COLUMNS.items()}
        found = {}
        for row in rows[head + 1:]:
            tt = row[col["tt"]]
            if default_plan.task(str(tt)) is not None:
                assert isinstance(tt, str), f"{code}: TT {tt!r} must stay text"
                found[tt] = (row[col["role"]], row[col["text"]], row[col["deadline"]])
        expected = {t.tt: (role, clean(t.text), t.deadline.phrase)
                    for t, role in default_plan.tasks_for(code)}
        assert found == expected, code


def test_header_block_and_column_labels(made, default_plan):
    rows, head, at = task_rows(made[1]["02635"])
    assert [rows[head][c] for c in range(8)] == list(S.REPORT_COLUMNS.values())
    top = " ".join(str(v) for row in rows[:head] for v in row if v)
    assert "UBND PHƯỜNG DUYÊN HẢI" in top
    assert "UBND THÀNH PHỐ LÀO CAI" in top  # the commune's district above it
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH CẢI THIỆN CHỈ SỐ PAPI" in top
    assert "Kỳ báo cáo: quý III năm 2022" in top
    assert "Kế hoạch số 239/KH-UBND ngày 30/6/2022" in top


def test_dimension_headings_use_roman_numerals(made, default_plan):
    for code in SAMPLE:
        rows, head, at = task_rows(made[1][code])
        tt_col, text_col = at[S.REPORT_COLUMNS["tt"]], at[S.REPORT_COLUMNS["text"]]
        headings = {row[tt_col]: row[text_col] for row in rows[head + 1:]
                    if row[tt_col] in ROMANS}
        dims = sorted({t.dimension for t, _ in default_plan.tasks_for(code)})
        roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
        assert set(headings) == {roman[d - 1] for d in dims}, code
        for d in dims:
            assert headings[roman[d - 1]] == (
                f"Nội dung {d}: {default_plan.dimensions[d][0]}")
        # Nothing else sits in the TT column: no heading looks like a task.
        others = {row[tt_col] for row in rows[head + 1:]} - set(headings) - {""}
        assert others == {t.tt for t, _ in default_plan.tasks_for(code)}


def test_unit_fields_below_the_table_with_empty_value_cell(made):
    rows, head, at = task_rows(made[1]["SNV"])
    last_task = max(i for i, row in enumerate(rows) if row[0] and i > head)
    for label in S.UNIT_FIELDS.values():
        hits = [(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v == label]
        assert len(hits) == 1, label
        r, c = hits[0]
        assert r > last_task
        assert rows[r][c + 1] in ("", None)


def test_input_cells_unlocked_everything_else_locked(made):
    book = openpyxl.load_workbook(made[1]["STP"])
    sheet = book[S.SHEET_REPORT]
    rows, head, at = task_rows(made[1]["STP"])
    cols = {k: at[label] + 1 for k, label in S.REPORT_COLUMNS.items()}
    task_lines = [i + 1 for i, row in enumerate(rows) if re.fullmatch(r"\d+\.\d+", str(row[0]))]
    assert len(task_lines) == 8
    for line in task_lines:
        for key in ("status", "completed_on", "result", "difficulty"):
            assert not sheet.cell(line, cols[key]).protection.locked, (line, key)
        for key in ("tt", "text", "role", "deadline"):
            assert sheet.cell(line, cols[key]).protection.locked, (line, key)
    assert sheet.cell(head + 1, 1).protection.locked  # header row
    for label in S.UNIT_FIELDS.values():
        cell = next(c for row in sheet.iter_rows() for c in row if c.value == label)
        assert cell.protection.locked
        assert not sheet.cell(cell.row, cell.column + 1).protection.locked, label
    for name in (S.SHEET_GUIDE, S.SHEET_REPORT, S.SHEET_INDICATORS, S.SHEET_IDENTITY):
        protection = book[name].protection
        assert protection.sheet, name
        assert not protection.password, name  # no password: a guard against accidents
    assert not sheet.protection.formatColumns and not sheet.protection.formatRows


def _covers(dv, cell: str) -> bool:
    return any(cell in rng for rng in dv.sqref.ranges)


@pytest.mark.parametrize("code", SAMPLE)
def test_status_dropdown_and_date_validation_on_every_task_row(made, code):
    path = made[1][code]
    sheet = openpyxl.load_workbook(path)[S.SHEET_REPORT]
    rows, head, at = task_rows(path)
    status = openpyxl.utils.get_column_letter(at[S.REPORT_COLUMNS["status"]] + 1)
    done = openpyxl.utils.get_column_letter(at[S.REPORT_COLUMNS["completed_on"]] + 1)
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    dates = [dv for dv in sheet.data_validations.dataValidation if dv.type == "date"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"' + ",".join(STATUSES) + '"'
    assert len(lists[0].formula1) <= 255
    assert lists[0].showInputMessage and lists[0].promptTitle == "Tình trạng thực hiện"
    assert all(s in lists[0].prompt for s in STATUSES)
    for index, row in enumerate(rows):
        if re.fullmatch(r"\d+\.\d+", str(row[0])):
            assert _covers(lists[0], f"{status}{index + 1}")
            assert any(_covers(dv, f"{done}{index + 1}") for dv in dates)
            assert sheet[f"{done}{index + 1}"].number_format == "dd/mm/yyyy"
    first = next(dv for dv in dates if _covers(dv, f"{done}{head + 3}"))
    assert first.operator in (None, "between")
    assert int(first.formula1) == 44742  # 30/6/2022, the plan's date, as an Excel serial
    assert int(first.formula2) == 47848  # 31/12/2030
    for dv in sheet.data_validations.dataValidation:  # Excel's limits
        assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
        assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 255


# --------------------------------------------------------------------------- indicators


def test_every_form_lists_the_units_indicators(made, default_plan):
    ratios = {i.code for i in default_plan.indicators if i.agg == "ratio"}
    for code, path in made[1].items():
        rows = rows_of(path, S.SHEET_INDICATORS)
        head, at = header(rows, S.INDICATOR_COLUMNS.values())
        assert [rows[head][c] for c in range(4)] == list(S.INDICATOR_COLUMNS.values())
        c_code, c_name = at["Mã chỉ tiêu"], at["Chỉ tiêu"]
        # A unit with no indicator has a note across the table instead (no code).
        found = [row[c_code] for row in rows[head + 1:] if row[c_code] and
                 not str(row[c_code]).startswith("Đơn vị không có chỉ tiêu")]
        assert len(found) == len(set(found)), code
        assert set(found) == expected_indicator_codes(default_plan, code), code
        assert not set(found) & ratios
        for row in rows[head + 1:]:
            if row[c_code]:
                indicator = default_plan.indicator(row[c_code])
                assert row[c_name] == indicator.name
                assert row[at["Đơn vị tính"]] == indicator.unit


def test_ratio_shown_as_info_row_computed_from_its_parts(made, default_plan):
    path = made[1]["02635"]
    rows = rows_of(path, S.SHEET_INDICATORS)
    note = next(i for i, row in enumerate(rows) if "(CT1.3r = CT1.3a / CT1.3b" in str(row[1]))
    assert rows[note][0] in ("", None)  # no code: intake must not read it as an input row
    sheet = openpyxl.load_workbook(path)[S.SHEET_INDICATORS]
    formula = sheet.cell(note + 1, 4).value
    at = {rows[i][0]: i + 1 for i in range(len(rows)) if rows[i][0]}
    assert formula == (f'=IF(AND(ISNUMBER(D{at["CT1.3a"]}),ISNUMBER(D{at["CT1.3b"]}),'
                       f'D{at["CT1.3b"]}>0),D{at["CT1.3a"]}/D{at["CT1.3b"]},"")')
    assert sheet.cell(note + 1, 4).protection.locked


def test_indicator_values_unlocked_and_validated(made, default_plan):
    """Counts take whole numbers and measures decimals, each kind one rule over all its
    cells (one rule per cell made the sheet's XML twice its size)."""
    path = made[1]["080"]
    sheet = openpyxl.load_workbook(path)[S.SHEET_INDICATORS]
    rows = rows_of(path, S.SHEET_INDICATORS)
    rules = sheet.data_validations.dataValidation
    assert sorted(dv.type for dv in rules) == ["decimal", "whole"]
    assert all(dv.operator == "greaterThanOrEqual" and dv.formula1 == "0" for dv in rules)
    whole = next(dv for dv in rules if dv.type == "whole")
    assert whole.error == "Chỉ nhập số nguyên không âm (ví dụ 12)."
    inputs = {str(row[0]): i + 1 for i, row in enumerate(rows)
              if re.fullmatch(r"CT\d\.\d\w", str(row[0]))}
    assert len(inputs) > 20
    kinds = {default_plan.indicator(code).kind for code in inputs}
    assert kinds == {"count", "measure"}, "the default plan has both kinds"
    for code, line in inputs.items():
        assert not sheet.cell(line, 4).protection.locked
        assert sheet.cell(line, 1).protection.locked
        wanted = "whole" if default_plan.indicator(code).kind == "count" else "decimal"
        assert [dv.type for dv in rules if _covers(dv, f"D{line}")] == [wanted], code


def test_value_cells_as_excel_ranges():
    assert writer._spans(3, [9, 5, 6, 7, 12]) == "D6:D8 D10 D13"
    assert writer._spans(3, [3]) == "D4"


# --------------------------------------------------------------------------- guide, print


def test_guide_names_unit_period_deadline_and_recipient(made):
    commune = " ".join(str(v) for row in rows_of(made[1]["02635"], S.SHEET_GUIDE) for v in row)
    assert "UBND phường Duyên Hải (mã đơn vị 02635)" in commune
    assert "Quý III năm 2022 (số liệu từ ngày 15/06/2022 đến ngày 14/09/2022)" in commune
    assert fmt_date_long(PERIOD.deadline("xa")) == "ngày 10 tháng 9 năm 2022"
    assert "Chậm nhất ngày 10 tháng 9 năm 2022" in commune
    assert "UBND thành phố Lào Cai, thư điện tử ubnd.080@laocai.gov.vn" in commune
    assert all(s in commune for s in STATUSES)
    department = " ".join(str(v) for row in rows_of(made[1]["STP"], S.SHEET_GUIDE) for v in row)
    # The plan's reporting line: "trước ngày 15 của tháng cuối kỳ", the 14th.
    assert "Chậm nhất ngày 14 tháng 9 năm 2022" in department
    assert "Sở Nội vụ, thư điện tử snv@laocai.gov.vn" in department
    assert "8 nhiệm vụ (" in department
    assert "liên hệ Sở Nội vụ (cơ quan đầu mối), thư điện tử snv@laocai.gov.vn" in department


def test_print_setup_a4_landscape_fit_to_width_repeated_header(made):
    """Both sheets print A4 landscape with their header row repeated; the report sheet sets
    its own page breaks at a scale that fits its width (fit-to-page would make Excel ignore
    the breaks), the indicator sheet fits to the page's width."""
    book = openpyxl.load_workbook(made[1]["083"])
    for name, title_rows, frozen in ((S.SHEET_REPORT, "$8:$8", "C9"),
                                     (S.SHEET_INDICATORS, "$4:$4", "A5")):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9
        assert sheet.print_title_rows == title_rows
        assert sheet.freeze_panes == frozen
    report, indicators = book[S.SHEET_REPORT], book[S.SHEET_INDICATORS]
    assert indicators.sheet_properties.pageSetUpPr.fitToPage
    assert indicators.page_setup.fitToWidth in (None, 1) and indicators.page_setup.fitToHeight == 0
    assert 50 <= report.page_setup.scale < 100 and report.row_breaks.count >= 1
    widths = report.column_dimensions
    assert widths["B"].width > 30 and widths["G"].width > 30


def two_level(plan):
    """The default plan after 1/7/2025: no districts; the province's People's Committee
    leads task 1.1 and so reports too."""
    province = Unit("TINH", "UBND tỉnh Lào Cai", "UBND tỉnh", "tinh")
    units = {"TINH": province, **{c: dataclasses.replace(u, parent="")
                                  for c, u in plan.units.items() if u.level != "huyen"}}
    tasks = [dataclasses.replace(
        t, leads=tuple(c for c in t.leads if c in units) + (("TINH",) if t.tt == "1.1" else ()),
        partners=tuple(c for c in t.partners if c in units)) for t in plan.tasks]
    return dataclasses.replace(plan, units=units, tasks=tasks)


def test_two_level_plan_province_and_commune_forms(default_plan, tmp_path):
    plan = two_level(default_plan)
    province = write_form(plan, "TINH", PERIOD, b"k", tmp_path / "tinh.xlsx")
    rows, head, at = task_rows(province)
    assert [r[0] for r in rows[head + 1:] if r[0]] == ["I", "1.1"]
    assert rows[0][0] == "" and rows[1][0] == "UBND TỈNH LÀO CAI"
    commune = write_form(plan, "02635", PERIOD, b"k", tmp_path / "xa.xlsx")
    top = [r[0] for r in rows_of(commune, S.SHEET_REPORT)[:2]]
    assert top == ["UBND TỈNH LÀO CAI", "UBND PHƯỜNG DUYÊN HẢI"]
    guide = " ".join(str(v) for row in rows_of(commune, S.SHEET_GUIDE) for v in row)
    assert "Sở Nội vụ, thư điện tử snv@laocai.gov.vn" in guide  # no district in between


# --------------------------------------------------------------------------- identity


def test_identity_sheet_very_hidden_signed_and_correct(made, default_plan):
    ws, forms = made
    key = ws.secret_key()
    for code in SAMPLE:
        book = openpyxl.load_workbook(forms[code])
        assert book[S.SHEET_IDENTITY].sheet_state == "veryHidden"
        rows = rows_of(forms[code], S.SHEET_IDENTITY)
        assert [r[0] for r in rows] == [*S.IDENTITY_FIELDS, S.SIGNATURE_FIELD]
        identity = {r[0]: r[1] for r in rows}
        assert identity == {
            "form_id": S.form_id(code, "2022-Q3", default_plan.version),
            "plan_number": "239/KH-UBND", "plan_version": default_plan.version,
            "unit": code, "period": "2022-Q3", "template_version": S.TEMPLATE_VERSION,
            "signature": S.sign(key, identity)}
        assert S.verify(key, identity)
        assert not S.verify(b"some other key", identity)
        assert not S.verify(key, {**identity, "unit": "STP" if code != "STP" else "SNV"})
        assert not S.verify(key, {**identity, "plan_version": "0" * 16})


def test_key_never_inside_a_form(made):
    ws, forms = made
    key_hex = ws.secret_key().hex()
    with zipfile.ZipFile(forms["SNV"]) as archive:
        blob = b"".join(archive.read(n) for n in archive.namelist())
    assert key_hex.encode() not in blob and ws.secret_key() not in blob


# --------------------------------------------------------------------------- library errors


def test_unknown_unit_is_a_usage_error_naming_where_codes_are(made, default_plan):
    with pytest.raises(UsageError) as err:
        write_forms(made[0], default_plan, PERIOD, ["STP", "XYZ"])
    assert "Không có đơn vị mã 'XYZ'" in str(err.value)
    assert "trang tính DonVi" in str(err.value)


def test_named_units_only(made, default_plan, workspace):
    paths = write_forms(workspace, default_plan, PERIOD, ["080", "STP", "080"])
    assert [p.name for p in paths] == ["080_thanh-pho-lao-cai_2022-Q3.xlsx",
                                       "STP_so-tu-phap_2022-Q3.xlsx"]


# --------------------------------------------------------------------------- CLI


def test_cli_writes_forms_and_prints_summary(run, workspace):
    result = run(["forms", "-p", "2022-Q3", "-u", "STP", "-u", "02635"], workspace)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Đã ghi 2 biểu mẫu kỳ quý III năm 2022 vào output/2022-Q3/bieu-mau/")
    assert sorted(p.name for p in (workspace.output_dir(PERIOD) / "bieu-mau").iterdir()) == [
        "02635_phuong-duyen-hai_2022-Q3.xlsx", "STP_so-tu-phap_2022-Q3.xlsx"]


def test_cli_json_lists_files(run, workspace):
    result = run(["--json", "forms", "-p", "2022-Q3", "-u", "SNV"], workspace)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    target = workspace.output_dir(PERIOD) / "bieu-mau" / "SNV_so-noi-vu_2022-Q3.xlsx"
    assert document == {"period": "2022-Q3", "files": [str(target)]}
    assert target.is_file()


def test_cli_unknown_unit_exits_2_with_message(run, workspace):
    result = run(["forms", "-p", "2022-Q3", "-u", "XYZ"], workspace)
    assert result.exit_code == 2
    assert "Lỗi: Không có đơn vị mã 'XYZ' trong kế hoạch 239/KH-UBND." in result.stderr
    assert not (workspace.output_dir(PERIOD) / "bieu-mau").exists()


def test_cli_outside_a_workspace_exits_2(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["forms", "-p", "2022-Q3"])
    assert result.exit_code == 2
    assert "Không tìm thấy không gian làm việc" in result.stderr
    assert not (tmp_path / "output").exists()


def test_cli_bad_period_exits_2(run, workspace):
    result = run(["forms", "-p", "2022-Q5"], workspace)
    assert result.exit_code == 2


def test_cli_help_is_vietnamese_with_example(run):
    result = run(["forms", "--help"])
    assert result.exit_code == 0
    assert "Ví dụ:" in result.stdout and "baocao forms -p 2022-Q3 -u STP -u 080" in result.stdout


# --------------------------------------------------------------------------- real LibreOffice


@requires_soffice
def test_libreoffice_opens_forms_and_prints_unit_and_tasks(made, default_plan, tmp_path):
    """A department, a district and a commune, converted by the real spreadsheet program."""
    png = tmp_path / "png"
    png.mkdir()
    for code in ("SNV", "083", "02635"):
        pdf = convert(made[1][code], "pdf", tmp_path)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        flat = re.sub(r"\s+", " ", text)
        unit = default_plan.units[code]
        assert unit.name.upper() in flat
        assert f"{unit.name} (mã đơn vị {code})" in flat
        for task, _role in default_plan.tasks_for(code)[:3]:
            words = " ".join(task.text.split()[:4])  # a column may wrap after a few words
            assert words in flat, (code, task.tt)
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)],
                              capture_output=True, text=True, check=True).stdout
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
        assert sizes and all(float(w) > float(h) for w, h in sizes)  # landscape
        assert all(abs(float(w) - 841.89) < 1 for w, _ in sizes)  # A4
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(png / code)], check=True)
        assert list(png.glob(f"{code}*.png"))
