"""Forms filled the way officers fill them, in the real LibreOffice Calc (headless, through
UNO: tests/lo_fill.py): typing into cells in a Vietnamese or an English locale, inserting
rows, saving as .xlsx, .xls and .ods; then read by intake and collected."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import requires_soffice
from test_intake import Form

from generator import office
from generator.collect import collect
from generator.findings import message_for
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.intake.read import read_form
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.vocab import FEEDBACK_DIR, STATUS_DONE, STATUS_ONGOING, unit_file_name, workbook_name

PERIOD = parse_period("2022-Q3")
HELPER = Path(__file__).with_name("lo_fill.py")
LO_PYTHON = "/usr/bin/python3"  # the Python that has LibreOffice's uno module
REPORT, INDICATORS = formspec.SHEET_REPORT, formspec.SHEET_INDICATORS
XLSX, XLS, ODS = "Calc MS Excel 2007 XML", "MS Excel 97", "calc8"
LONG_RESULT = ("Kết quả trong kỳ:\n•\tTổ chức 12 hội nghị tuyên truyền ở các thôn, bản với "
               "1.250 lượt người tham dự;\n•\tBan hành 3 văn bản hướng dẫn thực hiện ở cơ sở, "
               "phát 2.000 tờ rơi song ngữ Việt - Mông.")


def _has_uno() -> bool:
    if not Path(LO_PYTHON).is_file():
        return False
    return subprocess.run([LO_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


requires_uno = pytest.mark.skipif(office.soffice_path() is None or not _has_uno(),
                                  reason="LibreOffice with its Python (uno) is not installed")
pytestmark = [requires_soffice, requires_uno]


def lo_fill(tmp_path, source, targets, steps, locale="vi-VN") -> dict:
    """Type `steps` into `source` in LibreOffice and save it as each (path, filter)."""
    job = tmp_path / f"job-{len(list(tmp_path.glob('job-*')))}.json"
    job.write_text(json.dumps({"source": str(source), "locale": locale, "steps": steps,
                               "targets": [[str(p), f] for p, f in targets]},
                              ensure_ascii=False), encoding="utf-8")
    subprocess.run([LO_PYTHON, str(HELPER), str(job)], check=True, timeout=300,
                   capture_output=True)
    return json.loads(job.read_text(encoding="utf-8"))["out"]


def typed(sheet, cell, text):
    return {"sheet": sheet, "cell": cell, "type": text}


@pytest.fixture(scope="module")
def stp_form(tmp_path_factory, default_plan):
    path = tmp_path_factory.mktemp("mau") / unit_file_name(default_plan.units["STP"], PERIOD)
    return forms.write_form(default_plan, "STP", PERIOD, bytes(32), path)


def whole_form(form: Form, plan, status=STATUS_ONGOING, result="Đã triển khai",
               fields=("preparer", "phone", "head")) -> list:
    """Steps an officer takes for every task and the signature block."""
    steps = []
    for task, _role in plan.tasks_for("STP"):
        steps.append(typed(REPORT, form.cell(task.tt, "status").coordinate, status))
        steps.append(typed(REPORT, form.cell(task.tt, "result").coordinate, result))
    names = {"preparer": "Nguyễn Thị Hoa", "phone": "0214 3840 123", "head": "Lò Văn Sáng"}
    for field, value in ((f, names[f]) for f in fields):
        steps.append(typed(REPORT, form.field_cell(field).coordinate, value))
    return steps


def test_english_locale_slips_are_named_and_text_cells_keep_what_was_typed(
        stp_form, default_plan, tmp_path):
    """The same keystrokes in a Vietnamese and an English LibreOffice: "1.250" and
    "12/9/2022" mean 1250 and 12 September in the first; the second makes 1,25 and
    9 December, and intake says so at each cell. The phone keeps its 0, the result its
    line breaks and tab, and the result's row grows as the long text is typed."""
    form = Form(stp_form)
    date_cell = form.cell("2.1", "completed_on").coordinate
    prepared = form.field_cell("prepared_on").coordinate
    value_cell = form.indicator_cell("CT2.1b").coordinate
    row = form.row_of("2.1") - 1
    steps = [*whole_form(form, default_plan),
             {"sheet": REPORT, "heights": [row]},
             typed(REPORT, form.cell("2.1", "status").coordinate, STATUS_DONE),
             typed(REPORT, date_cell, "12/9/2022"),
             typed(REPORT, form.cell("2.1", "result").coordinate, LONG_RESULT),
             {"sheet": REPORT, "heights": [row]},
             typed(REPORT, form.field_cell("phone").coordinate, "0912345678"),
             typed(REPORT, prepared, "12/9/2022"),
             typed(INDICATORS, value_cell, "1.250")]
    vi, en = tmp_path / "vi.xlsx", tmp_path / "en.xlsx"
    out = lo_fill(tmp_path, stp_form, [(vi, XLSX)], steps, "vi-VN")
    lo_fill(tmp_path, stp_form, [(en, XLSX)], steps, "en-US")
    before, after = (h[str(row)] for h in out["heights"])
    assert after > before  # the row grew with the text (no fixed height on input rows)
    sub, found = read_form(vi, default_plan, PERIOD, bytes(32))
    assert found == []
    assert (sub.tasks["2.1"].completed_on.isoformat(), sub.prepared_on.isoformat(),
            sub.indicators["CT2.1b"]) == ("2022-09-12", "2022-09-12", 1250.0)
    assert sub.phone == "0912345678" and sub.tasks["2.1"].result == LONG_RESULT
    sub, found = read_form(en, default_plan, PERIOD, bytes(32))
    swap = {"value": "9/12/2022", "swapped": "12/9/2022"}
    assert [(f.code, f.sheet, f.cell, f.message) for f in found] == [
        ("R016", REPORT, date_cell, message_for(
            "R016", REPORT, date_cell, what="Ngày hoàn thành của nhiệm vụ 2.1",
            first="30/6/2022", last="14/9/2022", **swap)),
        ("R016", REPORT, prepared, message_for(
            "R016", REPORT, prepared, what="Ngày lập báo cáo", first="15/6/2022",
            last="15/10/2022", **swap)),
        ("I006", INDICATORS, value_cell, message_for(
            "I006", INDICATORS, value_cell, value="1,25", code="CT2.1b", unit="lượt người"))]
    assert sub.indicators["CT2.1b"] is None  # never recorded as 1,25 people
    assert sub.phone == "0912345678" and sub.tasks["2.1"].result == LONG_RESULT


def test_calc_stops_a_fraction_in_a_count_as_it_is_typed(default_plan, tmp_path):
    """LibreOffice holds the form's value rules on every value cell: whole numbers for a
    count (1,25 "lượt người" is refused as typed), decimals for a measure."""
    unit = default_plan.units["080"]
    source = forms.write_form(default_plan, unit.code, PERIOD, bytes(32),
                              tmp_path / unit_file_name(unit, PERIOD))
    codes = [i.code for i in default_plan.form_indicators(unit.code) if i.agg != "ratio"]
    form = Form(source)
    cells = {code: form.indicator_cell(code).coordinate for code in codes}
    out = lo_fill(tmp_path, source, [(tmp_path / "same.xlsx", XLSX)],
                  [{"sheet": INDICATORS, "validation": list(cells.values())}])
    kinds = {code: default_plan.indicator(code).kind for code in codes}
    assert set(kinds.values()) == {"count", "measure"}, "the district's form has both kinds"
    assert {code: out["validation"][cell] for code, cell in cells.items()} == {
        code: ["WHOLE" if kind == "count" else "DECIMAL", "GREATER_EQUAL", "0"]
        for code, kind in kinds.items()}


def test_saved_as_xlsx_xls_and_ods_every_value_exact_and_ods_collected(
        stp_form, default_plan, workspace, tmp_path):
    """Filled once in LibreOffice (statuses as the dropdown gives them, dates and numbers
    typed Vietnamese style), saved in its three formats: each reads exactly the same; the
    .ods goes through collect, and its feedback marks the cell left empty."""
    (workspace.state_dir / "secret.key").write_text(bytes(32).hex())
    form = Form(stp_form)
    steps = whole_form(form, default_plan, fields=("phone", "head"))  # the preparer forgotten
    steps += [typed(REPORT, form.cell("3.2", "status").coordinate, STATUS_DONE),
              typed(REPORT, form.cell("3.2", "completed_on").coordinate, "14/9/2022"),
              typed(REPORT, form.cell("4.4", "status").coordinate, "Không phát sinh"),
              typed(INDICATORS, form.indicator_cell("CT2.1b").coordinate, "1.250"),
              typed(INDICATORS, form.indicator_cell("CT3.2a").coordinate, "0")]
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    targets = [(tmp_path / "STP.xlsx", XLSX), (tmp_path / "STP.xls", XLS),
               (folder / "STP_so-tu-phap_2022-Q3.ods", ODS)]
    lo_fill(tmp_path, stp_form, targets, steps)
    read = {p.suffix: read_form(p, default_plan, PERIOD, bytes(32)) for p, _f in targets}
    preparer = form.field_cell("preparer").coordinate
    for suffix, (_sub, found) in read.items():
        assert [(f.code, f.cell) for f in found] == [("R010", preparer)], suffix
    subs = {suffix: sub for suffix, (sub, _found) in read.items()}
    assert subs[".xlsx"] == subs[".xls"] == subs[".ods"]
    sub = subs[".ods"]
    assert (sub.tasks["3.2"].status, sub.tasks["3.2"].completed_on.isoformat()) == (
        STATUS_DONE, "2022-09-14")
    assert sub.tasks["4.4"].status == "Không phát sinh"
    assert (sub.indicators["CT2.1b"], sub.indicators["CT3.2a"], sub.indicators["CT2.1a"]) == (
        1250.0, 0.0, None)
    assert sub.phone == "0214 3840 123" and sub.head == "Lò Văn Sáng"
    result = collect(workspace, default_plan, PERIOD, pdf=False)
    (receipt,) = result.accepted
    assert receipt.file_name.endswith(".ods") and receipt.unit == "STP"
    feedback = openpyxl.load_workbook(
        workspace.output_dir(PERIOD) / FEEDBACK_DIR / "STP_so-tu-phap_2022-Q3.xlsx")
    assert feedback["Phản hồi"]["A2"].value.startswith(
        "Tệp đã nhận: STP_so-tu-phap_2022-Q3.ods.")
    (finding,) = receipt.findings
    assert feedback[REPORT][finding.cell].comment is not None


def test_rows_inserted_in_libreoffice_keep_every_typed_word(default_plan, workspace,
                                                             tmp_path):
    """A row inserted under task 3.2 holding "(tiếp nhiệm vụ 3.2) …" without a TT, and a
    row with a new TT 4.4.1: every word typed reaches the ledger and the consolidated
    workbook."""
    key = workspace.secret_key()
    source = forms.write_form(default_plan, "STP", PERIOD, key, tmp_path / "STP.xlsx")
    form = Form(source)
    below_32, below_44 = form.row_of("3.2"), form.row_of("4.4")  # 1-based: the new row's index
    more = "(tiếp nhiệm vụ 3.2) Tiếp 12 lượt công dân tại trụ sở, giải đáp 7 kiến nghị"
    new_text = "Tuyên truyền pháp luật cho đồng bào Mông ở Pha Long"
    new_result = "Đã in 500 tờ rơi song ngữ, phát tại 9 thôn"
    col = {k: form.at[formspec.REPORT_COLUMNS[k]] for k in ("tt", "text", "status", "result")}

    def at(key, row):
        return f"{openpyxl.utils.get_column_letter(col[key])}{row}"

    steps = [*whole_form(form, default_plan, result="Đã tiếp công dân định kỳ"),
             {"sheet": REPORT, "insert_rows": below_44}, {"sheet": REPORT, "insert_rows": below_32},
             typed(REPORT, at("text", below_32 + 1), more),
             typed(REPORT, at("tt", below_44 + 2), "4.4.1"),
             typed(REPORT, at("text", below_44 + 2), new_text),
             typed(REPORT, at("status", below_44 + 2), STATUS_ONGOING),
             typed(REPORT, at("result", below_44 + 2), new_result)]
    folder = workspace.input_dir(PERIOD)
    folder.mkdir(parents=True)
    lo_fill(tmp_path, source, [(folder / "STP_so-tu-phap_2022-Q3.xlsx", XLSX)], steps)
    collect(workspace, default_plan, PERIOD, pdf=False)
    with Ledger(workspace) as ledger:
        (sub,) = ledger.current_submissions(PERIOD.id)
        (receipt,) = ledger.receipts(PERIOD.id)
    assert sub.tasks["3.2"].result == f"Đã tiếp công dân định kỳ\n{more}"
    (extra,) = sub.extra_tasks
    assert (extra.tt, extra.text, extra.status, extra.result) == (
        "4.4.1", new_text, STATUS_ONGOING, new_result)
    assert [f.code for f in receipt.findings] == ["R013", "R008"]
    book = openpyxl.load_workbook(workspace.output_dir(PERIOD) / workbook_name(PERIOD))
    words = set()
    for sheet in book:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                words.update(str(value).split()) if value is not None else None
    for text in (more, new_text, new_result, "4.4.1"):
        missing = [w for w in text.split() if w not in words]
        assert not missing, (text, missing)


# --------------------------------------------------------------------------- the form on screen and paper


def _lo_column_pixels(path: Path, sheet: str, tmp_path: Path) -> list[float]:
    """Column widths as LibreOffice lays them out, in pixels at 100 % (96 dpi)."""
    flat = office.convert(path, "fods", tmp_path)
    xml = flat.read_text(encoding="utf-8")
    styles = {m.group(1): float(m.group(2)) * 96 for m in re.finditer(
        r'<style:style style:name="(co\d+)" style:family="table-column">\s*'
        r'<style:table-column-properties[^>]*style:column-width="([\d.]+)in"', xml)}
    table = xml[xml.index(f'table:name="{sheet}"'):]
    columns = re.findall(r'<table:table-column table:style-name="(co\d+)"'
                         r'(?: table:number-columns-repeated="(\d+)")?', table[:4000])
    out = []
    for style, repeat in columns:
        out += [styles[style]] * (int(repeat) if repeat and int(repeat) < 50 else 1)
    return out


def test_task_table_fits_a_1366_px_screen_with_tt_and_task_text_frozen(stp_form, tmp_path):
    widths = _lo_column_pixels(stp_form, REPORT, tmp_path)[:len(formspec.REPORT_COLUMNS)]
    assert sum(widths) <= 1280, widths  # row headers and scroll bar take the rest of 1366
    sheet = openpyxl.load_workbook(stp_form)[REPORT]
    assert sheet.freeze_panes == "C9"  # rows above the table and the TT, Nội dung columns
    assert [sheet.cell(8, c).value for c in (1, 2)] == ["TT", "Nội dung nhiệm vụ"]


def _pages(pdf: Path) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


@pytest.mark.parametrize("code", ["083", "02635"])
def test_printed_report_never_ends_a_page_on_a_heading_or_leaves_the_footer_alone(
        default_plan, tmp_path, code):
    source = forms.write_form(default_plan, code, PERIOD, bytes(32), tmp_path / f"{code}.xlsx")
    table_head = re.compile(r"TT\s+Nội dung nhiệm vụ\s+Vai trò")  # the repeated header row
    pages = [p for p in _pages(office.convert(source, "pdf", tmp_path)) if table_head.search(p)]
    assert len(pages) >= 2
    tt_line = re.compile(r"^\s*\d+\.\d+\s")
    heading = re.compile(r"^\s*[IVX]+\s+Nội dung \d+:")
    for number, page in enumerate(pages, 1):
        lines = [line for line in page.splitlines() if line.strip()]
        last_heading = max((i for i, line in enumerate(lines) if heading.match(line)),
                           default=None)
        if last_heading is not None:  # a task row follows the heading on the same page
            assert any(tt_line.match(line) for line in lines[last_heading:]), number
    footer = [p for p in pages if formspec.UNIT_FIELDS["head"] in p]
    assert len(footer) == 1 and formspec.UNIT_FIELDS["difficulties"] in footer[0]
    assert any(tt_line.match(line) for line in footer[0].splitlines())  # not alone


def test_forms_mark_text_cells_as_text(stp_form):
    form = Form(stp_form)
    assert form.field_cell("phone").number_format == "@"
    assert form.cell("2.1", "result").number_format == "@"
    assert form.cell("2.1", "completed_on").number_format == "dd/mm/yyyy"


