"""The report a Sở Nội vụ clerk signs unchanged, checked on the demo's own 2022-Q3 cycle:
rendered by `baocao demo` (the real intake, ledger and LibreOffice), read back from the .docx
and its PDF as the clerk would read it."""

from __future__ import annotations

import datetime as dt
import email
import re
import subprocess
from collections import Counter
from email import policy

import pytest
from conftest import requires_soffice
from docx import Document
from docx.oxml.ns import qn

from generator.consolidate.build import from_ledger
from generator.demo.run import DEMO_ADDRESSEE_EMAIL, run_demo
from generator.plan.workbook import load_plan
from generator.render import template_builder
from generator.render.wordreport import last_receipt
from generator.workspace import find_workspace

pytestmark = requires_soffice
MONTH_DATE = re.compile(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    result = run_demo(tmp_path_factory.mktemp("demo") / "demo")
    docx = result.output_dir / "BaoCao_2022-Q3.docx"
    pdf = docx.with_suffix(".pdf")
    assert pdf.is_file()
    workspace = find_workspace(explicit=result.root)
    cons = from_ledger(workspace, load_plan(workspace.plan_path), result.period)
    return result, Document(docx), pdf, cons


def pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1]


def appendix_starts(pdf) -> dict[str, int]:
    """'I' -> index of the page that opens Phụ lục I (its title line)."""
    out = {}
    for index, page in enumerate(pages(pdf)):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[0].startswith("Phụ lục "):
            out[lines[0].split(" ", 2)[2]] = index
    return out


def body_paragraphs(doc) -> list[str]:
    """The body's paragraphs, from 'Kính gửi' to the closing sentence (before Phụ lục I)."""
    texts = [p.text for p in doc.paragraphs]
    start = next(n for n, t in enumerate(texts) if t.startswith("Kính gửi"))
    end = texts.index("Phụ lục I")
    return [t for t in texts[start:end] if t.strip()]


def test_body_is_at_most_eight_pages(demo):
    _result, _doc, pdf, _cons = demo
    starts = appendix_starts(pdf)
    assert list(starts) == ["I", "II", "III", "IV"]
    assert 5 <= starts["I"] <= 8  # pages before Phụ lục I


def test_dated_on_a_working_day_after_the_last_counted_receipt(demo):
    _result, doc, _pdf, cons = demo
    place = doc.tables[0].rows[1].cells[1].paragraphs[0].text
    day, month, year = (int(x) for x in MONTH_DATE.search(place).groups())
    dated = dt.date(year, month, day)
    last = last_receipt(cons)
    assert last is not None and dated > last.date() and dated.weekday() < 5
    body = "\n".join(body_paragraphs(doc))
    assert (f"tổng hợp từ các báo cáo nhận được đến hết ngày {last.day} tháng {last.month} năm "
            f"{last.year}") in body
    assert "Số liệu báo cáo tính từ ngày 15 tháng 6 năm 2022 đến ngày 14 tháng 9 năm 2022" \
        in body
    assert doc.core_properties.created.date() == dated
    assert doc.core_properties.author == "Sở Nội vụ"
    assert "python-docx" not in (doc.core_properties.comments or "")


def test_no_sentence_repeated_in_the_body(demo):
    _result, doc, _pdf, _cons = demo
    sentences = [s.strip() for p in body_paragraphs(doc)
                 for s in re.split(r"(?<=[.!?])\s+", p) if len(s.split()) >= 4]
    repeated = [s for s, n in Counter(sentences).items() if n > 1]
    assert repeated == []


def test_quotes_are_whole_and_comments_grouped(demo):
    _result, doc, _pdf, _cons = demo
    body = "\n".join(body_paragraphs(doc))
    quotes = re.findall(r"“([^”]*)”", body)
    assert quotes and not [q for q in quotes if "…" in q or "..." in q]
    assert "Trong kỳ không phát sinh" not in body
    assert "ý kiến khác" not in body and "Biểu tổng hợp kèm theo" not in body
    # The demo's 800-odd difficulty notes are a few sentences, each written once with its count.
    counted = re.findall(r"^\+ (.+) \((\d+) đơn vị nêu\)[;.]$", body, flags=re.M)
    assert counted and len({text for text, _n in counted}) == len(counted)
    numbers = [int(n) for _text, n in counted]
    assert numbers == sorted(numbers, reverse=True)
    for appendix in ("Phụ lục I", "Phụ lục II", "Phụ lục III", "Phụ lục IV"):
        assert appendix in body


def test_nd30_form_addressee_recipients_signer(demo):
    result, doc, _pdf, _cons = demo
    body = body_paragraphs(doc)
    assert body[0] == "Kính gửi: Ủy ban nhân dân tỉnh Lào Cai."
    signature = next(t for t in doc.tables
                     if t.rows[0].cells[0].paragraphs[0].text == "Nơi nhận:")
    left, right = signature.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text][1] == "- Như trên;"
    # No signer in the demo's baocao.toml: the name line is blank, never a placeholder.
    assert [p.text for p in right.paragraphs if p.text] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert "Nguyễn Văn A" not in "\n".join(p.text for p in doc.paragraphs)
    draft = result.output_dir / "thu" / "bao-cao_2022-Q3.eml"
    message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert message["To"] == DEMO_ADDRESSEE_EMAIL
    assert message.get_body(("plain",)).get_content().startswith(
        "Kính gửi: Ủy ban nhân dân tỉnh Lào Cai.")


def test_each_appendix_numbers_its_own_pages(demo):
    _result, doc, pdf, _cons = demo
    for section in doc.sections[1:]:
        numbering = section._sectPr.find(qn("w:pgNumType"))
        assert numbering is not None and numbering.get(qn("w:start")) == "1"
        assert section.different_first_page_header_footer
    texts = pages(pdf)
    starts = appendix_starts(pdf)
    ends = [*list(starts.values())[1:], len(texts)]
    longer = [(name, first) for (name, first), end in zip(starts.items(), ends, strict=True)
              if end - first > 1]
    assert len(longer) >= 3
    for name, first in longer:
        following = texts[first + 1].strip().splitlines()[0].strip()
        assert following == "2", (name, following)  # not the body's page count going on


def test_rule_under_the_agency_name_is_a_third_to_a_half_of_it(demo):
    _result, doc, _pdf, _cons = demo
    cell = doc.tables[0].rows[0].cells[0]
    managing, agency, rule = cell.paragraphs
    assert rule.style.name == template_builder.RULE_AGENCY
    text = template_builder.text_width(agency.text, 13, bold=True)
    room = (cell.width.twips - 2 * template_builder.CELL_MARGIN_TWIPS) / 20
    line = room - rule.paragraph_format.left_indent.pt - rule.paragraph_format.right_indent.pt
    assert 1 / 3 <= line / text <= 1 / 2
    motto_cell = doc.tables[0].rows[0].cells[1]
    _title, motto, motto_rule = motto_cell.paragraphs
    motto_room = (motto_cell.width.twips - 2 * template_builder.CELL_MARGIN_TWIPS) / 20
    motto_line = (motto_room - motto_rule.paragraph_format.left_indent.pt
                  - motto_rule.paragraph_format.right_indent.pt)
    assert motto_line == pytest.approx(template_builder.text_width(motto.text, 13, True), 0.01)


def test_pdf_in_a_times_compatible_serif(demo):
    _result, _doc, pdf, _cons = demo
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert names and all(name.startswith("LiberationSerif") or name.startswith("TimesNewRoman")
                         for name in names), names
