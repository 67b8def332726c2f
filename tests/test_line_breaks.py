"""Line breaks, tabs and non-breaking spaces a unit typed reach every output: the ledger,
the consolidated workbook (wrapped cells, one line per typed line) and, where the report
quotes a unit, the Word report (line breaks, not run-together text)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import smallplan as sp
from docx import Document

from generator.ledger.store import Ledger
from generator.render.outputs import build_outputs
from generator.text import clean_text
from generator.vocab import STATUS_DONE

TYPED = "Kết quả trong kỳ:\r\n•\tCông khai 12 thủ tục\u00a0mới;  \n•\tCập nhật 3 quy trình\n\n"
KEPT = "Kết quả trong kỳ:\n•\tCông khai 12 thủ tục\u00a0mới;\n•\tCập nhật 3 quy trình"


def test_clean_text_keeps_lines_tabs_and_non_breaking_spaces():
    assert clean_text(TYPED) == KEPT
    assert clean_text("  một dòng  ") == "một dòng"


def test_line_breaks_reach_the_ledger_the_workbook_and_the_word_report(workspace, tmp_path):
    plan = sp.write_plan(tmp_path / "ke-hoach.xlsx")
    subs = sp.submissions()
    subs["SA"].tasks["2.1"].result = clean_text(TYPED)
    # Completed in the period, so the report quotes it (a notable result).
    subs["SA"].tasks["2.1"].status = STATUS_DONE
    subs["SA"].tasks["2.1"].completed_on = dt.date(2022, 9, 1)
    sp.record(workspace, subs)
    with Ledger(workspace) as ledger:
        stored = {s.unit: s for s in ledger.current_submissions(sp.PERIOD.id)}
    assert stored["SA"].tasks["2.1"].result == KEPT
    book_path, docx_path = build_outputs(workspace, plan, sp.PERIOD, pdf=False)
    sheet = openpyxl.load_workbook(book_path)["Kết quả thực hiện"]
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == KEPT]
    assert cell.alignment.wrap_text
    assert sheet.row_dimensions[cell.row].height >= 3 * 15  # each typed line in view
    quoted = [p for p in Document(docx_path).paragraphs if p.text.startswith("- Sở A")]
    assert quoted and quoted[0].text == f"- Sở A (nhiệm vụ 2.1): “{KEPT}”"
    assert quoted[0]._p.xml.count("<w:br/>") == 2  # two line breaks inside the paragraph
