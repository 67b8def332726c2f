"""The Word report: NĐ 30/2020 format points, figures against the consolidation,
escaping of hostile unit text, determinism, PDF through the real LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import zipfile

import pytest
import smallplan as sp
from conftest import requires_soffice
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

from generator import office
from generator.consolidate.build import consolidate, from_ledger
from generator.errors import UsageError
from generator.ledger.status import StatusReport, UnitStatus
from generator.model import Receipt, Submission, TaskReport
from generator.plan.periods import parse_period
from generator.render import template_builder, wordreport
from generator.text import fmt_int, fmt_pct
from generator.vocab import (
    MISSING,
    ON_TIME,
    STATUS_DONE,
    STATUS_NA,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
)

HOSTILE = "<script>alert('x')</script> & ]]> {{ so_hieu }} {%p if x %} \x0bhết"
HOSTILE_SHOWN = "<script>alert('x')</script> & ]]> {{ so_hieu }} {%p if x %} hết"


@pytest.fixture
def plan(tmp_path):
    return sp.write_plan(tmp_path / "ke-hoach.xlsx")


@pytest.fixture
def cons(workspace, plan):
    subs = sp.submissions()
    subs["X1"] = dataclasses.replace(subs["X1"], proposals=HOSTILE)
    subs["SA"].tasks["2.1"].result = HOSTILE
    sp.record(workspace, subs)
    return from_ledger(workspace, plan, sp.PERIOD)


@pytest.fixture
def report(workspace, cons, tmp_path):
    path = tmp_path / "out" / "BaoCao_2022-Q3.docx"
    written = wordreport.write_report(workspace, cons, path, pdf=False)
    assert written == [path]
    return path


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def style_value(paragraph, attr):
    """A font attribute as Word shows it: the run's own, else the style chain's."""
    runs = [r for r in paragraph.runs if r.text.strip()]
    if runs and getattr(runs[0].font, attr) is not None:
        return getattr(runs[0].font, attr)
    style = paragraph.style
    while style is not None:
        value = getattr(style.font, attr)
        if value is not None:
            return value
        style = style.base_style
    return None


def para_value(paragraph, attr):
    value = getattr(paragraph.paragraph_format, attr)
    style = paragraph.style
    while value is None and style is not None:
        value = getattr(style.paragraph_format, attr)
        style = style.base_style
    return value


def find(doc, text: str):
    return next(p for p in doc.paragraphs if p.text == text)


# --------------------------------------------------------------------------- format


def test_page_is_a4_portrait_with_nd30_margins(report):
    section = Document(report).sections[0]
    def mm(length):  # Word stores twips: 30 mm is 1701 twips, 30.004 mm
        return round(length.mm, 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210.0, 297.0)
    assert section.orientation == 0  # portrait
    assert 20 <= mm(section.top_margin) <= 25 and 20 <= mm(section.bottom_margin) <= 25
    assert 30 <= mm(section.left_margin) <= 35
    assert 15 <= mm(section.right_margin) <= 20


def test_page_number_field_centred_from_page_two(report):
    section = Document(report).sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    instructions = [e.text for e in header._p.iter(qn("w:instrText"))]
    assert instructions == [" PAGE "]
    assert para_value(header, "alignment") == 1  # centred
    assert section.first_page_header.paragraphs[0].text == ""
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))


def test_every_style_is_times_new_roman(report):
    doc = Document(report)
    fonts = {style_value(p, "name") for p in doc.paragraphs if p.text.strip()}
    for table in doc.tables:
        for cell in table._cells:
            fonts |= {style_value(p, "name") for p in cell.paragraphs if p.text.strip()}
    assert fonts == {"Times New Roman"}
    rfonts = doc.styles["Normal"].element.rPr.rFonts
    assert rfonts.get(qn("w:eastAsia")) == rfonts.get(qn("w:cs")) == "Times New Roman"


def test_header_block_is_a_borderless_two_column_table(report):
    doc = Document(report)
    table = doc.tables[0]
    assert len(table.columns) == 2 and len(table.rows) == 2
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}
    left, right = table.rows[0].cells
    managing, issuing, rule = left.paragraphs
    assert managing.text == "UBND TỈNH LÀO CAI" and not style_value(managing, "bold")
    assert issuing.text == "SỞ NỘI VỤ" and style_value(issuing, "bold")
    assert {style_value(p, "size") for p in (managing, issuing)} <= {Pt(12), Pt(13)}
    assert rule.text == "" and rule._p.pPr.find(qn("w:pBdr")) is not None
    motto, slogan, line = right.paragraphs
    assert motto.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert style_value(motto, "bold") and Pt(12) <= style_value(motto, "size") <= Pt(13)
    assert slogan.text == "Độc lập - Tự do - Hạnh phúc"
    assert style_value(slogan, "bold") and Pt(13) <= style_value(slogan, "size") <= Pt(14)
    assert line._p.pPr.find(qn("w:pBdr")) is not None
    number, place = table.rows[1].cells
    assert re.fullmatch(r"Số: +/BC-SNV", number.paragraphs[0].text)
    # Report date: the first working day after the province's deadline (15/9/2022) and the
    # last receipt counted (Sở A, Friday 16/9/2022): Monday 19/9/2022.
    assert place.paragraphs[0].text == "Lào Cai, ngày 19 tháng 9 năm 2022"
    assert style_value(place.paragraphs[0], "italic")


def test_title_subject_and_body_paragraphs(report):
    doc = Document(report)
    title = find(doc, "BÁO CÁO")
    assert style_value(title, "bold") and Pt(13) <= style_value(title, "size") <= Pt(14)
    assert para_value(title, "alignment") == 1
    subject = next(p for p in doc.paragraphs if p.text.startswith("Kết quả thực hiện Kế hoạch"))
    # The period reads as the report's, never as the issuer's; it never breaks over lines.
    assert subject.text == ("Kết quả thực hiện Kế hoạch nhỏ để kiểm thử (quý\u00a0III\u00a0"
                            "năm\u00a02022)")
    assert style_value(subject, "bold") and para_value(subject, "alignment") == 1
    addressed = find(doc, "Kính gửi: Ủy ban nhân dân tỉnh Thử.")
    assert para_value(addressed, "alignment") == 1
    body = [p for p in doc.paragraphs if p.style.name == "BC Đoạn" and p.text.strip()]
    assert len(body) > 15
    for para in body:
        assert Pt(13) <= style_value(para, "size") <= Pt(14)
        assert Cm(1.0) <= para_value(para, "first_line_indent") <= Cm(1.27) + 1
        assert para_value(para, "space_after") >= Pt(6)
        assert 1.0 <= para_value(para, "line_spacing") <= 1.5


def test_sections_in_order(report):
    headings = [p.text for p in Document(report).paragraphs
                if p.style.name in ("BC Mục", "BC Tiểu mục", "BC Tiểu mục 2", "BC Phụ lục")]
    assert headings == [
        "I. KẾT QUẢ THỰC HIỆN",
        "1. Công tác triển khai",
        "2. Kết quả thực hiện theo từng nội dung của Chỉ số PAPI",
        "2.1. Nội dung 1: Tham gia của người dân ở cấp cơ sở",
        "2.2. Nội dung 2: Công khai, minh bạch",
        "3. Đánh giá chung",
        "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "1. Tồn tại, hạn chế", "2. Nguyên nhân",
        "III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
        "1. Đối với UBND tỉnh", "2. Các đề xuất khác của cơ quan, đơn vị",
        "Phụ lục I", "TÌNH HÌNH THỰC HIỆN CÁC NHIỆM VỤ CỦA KẾ HOẠCH",
        "Phụ lục II", "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ",
        "Phụ lục III", "KẾT QUẢ CÁC CHỈ TIÊU",
        "Phụ lục IV", "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC CƠ QUAN, ĐƠN VỊ"]
    for text in ("I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"):
        para = find(Document(report), text)
        assert style_value(para, "bold")


def test_recipients_beside_the_signature(report):
    doc = Document(report)
    table = next(t for t in doc.tables if t.rows[0].cells[0].paragraphs[0].text == "Nơi nhận:")
    left, right = table.rows[0].cells
    heading, *listed = [p for p in left.paragraphs if p.text]
    assert style_value(heading, "bold") and style_value(heading, "italic")
    assert style_value(heading, "size") == Pt(12)
    # A report "Kính gửi" its addressee lists it as "Như trên", first.
    assert [p.text for p in listed] == ["- Như trên;", "- Lãnh đạo Sở;", "- Lưu: VT, XDCQ."]
    assert {style_value(p, "size") for p in listed} == {Pt(11)}
    signed = [p for p in right.paragraphs if p.text]
    # No signer configured: the name line stays blank (never a placeholder name).
    assert [p.text for p in signed] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert all(style_value(p, "bold") for p in signed)
    assert all(Pt(13) <= style_value(p, "size") <= Pt(14) for p in signed)
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}


def test_share_done_names_its_base_when_some_tasks_did_not_arise(workspace, plan):
    subs = sp.submissions()
    for code in ("SA", "H1"):  # every unit that reported on 2.1: the task did not arise
        subs[code].tasks["2.1"].status = STATUS_NA
    subs["H1"].tasks["1.1"].status = STATUS_DONE  # 1.1: every unit that reported says done
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    assert (cons.key["tasks_not_applicable"], cons.key["share_done"]) == (1, 1 / 2)
    text = wordreport._results_intro(cons, "PAPI", dt.date(2022, 9, 19), False)[0]
    assert ("Tính đến ngày 14 tháng 9 năm 2022, 1 nhiệm vụ đã hoàn thành (50,0% số nhiệm vụ có "
            "phát sinh trong kỳ), 1 nhiệm vụ đang thực hiện, 1 nhiệm vụ không phát sinh trong "
            "kỳ (Biểu đồ 2; tình hình từng nhiệm vụ tại Phụ lục I") in text


def test_charts_are_embedded_images(report):
    doc = Document(report)
    assert len(doc.inline_shapes) == 2  # no index scores by dimension in this plan
    captions = [p.text for p in doc.paragraphs if p.style.name == "BC Chú thích"]
    assert captions == ["Biểu đồ 1. Tỷ lệ đơn vị gửi báo cáo theo cấp",
                        "Biểu đồ 2. Tình hình thực hiện nhiệm vụ theo nội dung"]


# --------------------------------------------------------------------------- content


def test_figures_in_the_text_match_the_consolidation(report, cons):
    body = "\n".join(texts(Document(report)))
    key = cons.key
    # The plan cited once, in full, with UBND spelled out at first use.
    assert ("Thực hiện Kế hoạch số 12/KH-UBND ngày 30 tháng 6 năm 2022 của Ủy ban nhân dân tỉnh "
            "Thử (UBND tỉnh) về nhỏ để kiểm thử (sau đây gọi là Kế hoạch), Sở Nội vụ báo cáo "
            "kết quả thực hiện Kế hoạch quý III năm 2022 như sau:") in body
    assert body.count("12/KH-UBND") == 1
    assert ("Số liệu báo cáo tính từ ngày 15 tháng 6 năm 2022 đến ngày 14 tháng 9 năm 2022, "
            "tổng hợp từ các báo cáo nhận được đến hết ngày 16 tháng 9 năm 2022.") in body
    # Sở Nội vụ compiles: not in its own register (5 units report to it); H1 came on 15/9,
    # after "trước ngày 15".
    assert (f"Đã nhận báo cáo của {key['units_received']}/{key['units_expected']} cơ quan, đơn "
            "vị (80,0%), trong đó 1 đơn vị gửi đúng hạn, 3 đơn vị gửi trễ hạn; 1 đơn "
            "vị chưa gửi báo cáo. Theo cấp: cấp tỉnh 1/2, cấp huyện 1/1 và cấp xã 2/2 đơn vị "
            "(Biểu đồ 1; chi tiết từng đơn vị tại Phụ lục II).") in body
    assert (f"{key['tasks_done']} nhiệm vụ đã hoàn thành ({fmt_pct(key['share_done'])} số "
            "nhiệm vụ có phát sinh trong kỳ)") in body
    ind = cons.indicators[cons.indicators["area"] == ""].set_index("code")["value"]
    # Ratio 9 of 15 villages (never an average of 80% and 20%), one decimal as everywhere.
    assert ind["CT2r"] == 9 / 15
    # 1.1: Sở Nội vụ done but UBND huyện Một (partner) ongoing: in progress, and overdue.
    assert ("Nội dung Tham gia của người dân có 2 nhiệm vụ: 2 nhiệm vụ đang thực hiện (1.1, "
            "1.2); nhiệm vụ 1.1 đã quá thời hạn. Kết quả chính: tỷ lệ thôn có sổ ghi chép: "
            "60,0%.") in body
    # A notable result: a unit's own part completed in the period, quoted whole, the unit
    # named, under a task still in progress overall (UBND huyện Một is not done with 1.1);
    # the sentence introducing the quotes says that much, not that the task is done.
    assert "- Sở Nội vụ (nhiệm vụ 1.1): “Đã ban hành Kế hoạch số 5/KH-SNV”" in body
    assert ("Kết quả nổi bật nêu ở từng nội dung dưới đây được trích từ báo cáo của các cơ quan, "
            "đơn vị đã hoàn thành phần việc của mình trong kỳ (nhiệm vụ giao nhiều đơn vị chỉ "
            "được tính là hoàn thành khi mọi đơn vị báo cáo đều đã hoàn thành)") in body
    assert ("Trên đây là báo cáo của Sở Nội vụ về kết quả thực hiện Kế hoạch quý III năm 2022, "
            "kính báo cáo UBND tỉnh xem xét, chỉ đạo./.") in body


def test_shortcomings_name_late_and_missing_units(report):
    body = "\n".join(texts(Document(report)))
    assert ("- Về chế độ báo cáo: 3 đơn vị gửi báo cáo trễ hạn (cấp tỉnh: Sở A; cấp huyện: UBND "
            "huyện Một; 1 đơn vị cấp xã); 1 đơn vị chưa gửi báo cáo (cấp tỉnh: Sở B) (danh sách "
            "tại Phụ lục II).") in body
    # Difficulties grouped, each once with how many units raised it.
    assert "+ Thiếu kinh phí số hóa (1 đơn vị nêu);" in body
    # Task 2.1 (due 30/11/2022) falls before the next report of the plan's cadence.
    assert ("- Hoàn thành đúng thời hạn các nhiệm vụ đến hạn: nhiệm vụ 2.1 (hạn ngày 30 tháng 11 "
            "năm 2022).") in body
    # After quý III the plan reports the year (Quý I, 6 tháng, Quý III, năm), not "quý IV".
    assert ("Đến kỳ báo cáo năm 2022 (số liệu tính đến ngày 14 tháng 12 năm 2022), Sở Nội vụ "
            "đề nghị các cơ quan, đơn vị tập trung:") in body
    assert "quý IV" not in body
    assert "- Bổ sung kinh phí (1 đơn vị nêu)" in body


def test_hostile_unit_text_appears_literally(report):
    doc = Document(report)
    body = "\n".join(texts(doc))
    assert f"- {HOSTILE_SHOWN} (1 đơn vị nêu)" in body
    comments = doc.tables[5]
    assert [HOSTILE_SHOWN, "1", "UBND xã Một"] in [[c.text for c in r.cells][1:]
                                                 for r in comments.rows]
    with zipfile.ZipFile(report) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;alert(" in xml and "<script>" not in xml
    assert "{{ so_hieu }}" in xml  # a value is shown, never parsed again as a tag


def test_appendix_tables(report, cons):
    doc = Document(report)
    tasks_table, register, indicators, comments = doc.tables[2:6]
    rows = [[c.text for c in r.cells] for r in tasks_table.rows]
    assert rows[0] == ["TT", "Nhiệm vụ", "Chủ trì", "Thời hạn", "Đơn vị hoàn thành",
                       "Tình trạng"]
    # A group's heading spans the table (no Roman numeral squeezed into the TT column).
    assert set(rows[1]) == {"I. Tham gia của người dân ở cấp cơ sở"}
    # 1.1: Sở Nội vụ done, UBND huyện Một ongoing: 1 of 2 units, in progress past 30/8.
    assert ["1.1", "Ban hành kế hoạch triển khai", "Sở Nội vụ", "Trước 30/8/2022", "1/2",
            f"{STATUS_ONGOING}; quá thời hạn"] in rows
    assert len(rows) == 1 + len(cons.dimensions) + len(cons.tasks)
    regs = [[c.text for c in r.cells] for r in register.rows]
    assert regs[0] == ["TT", "Cơ quan, đơn vị", "Hạn gửi", "Ngày nhận", "Tình trạng"]
    assert set(regs[1]) == {"I. Cấp tỉnh (2 đơn vị)"}
    # Sở Nội vụ compiles: not in its own register; "trước ngày 15" is the 14th.
    assert ["1", "Sở A", "14/9/2022", "16/9/2022", "Trễ hạn"] in regs
    assert ["2", "Sở B", "14/9/2022", "", MISSING.label] in regs
    assert set(regs[4]) == {"Cộng: 1/2 đơn vị đã gửi báo cáo (1 trễ hạn, 1 chưa gửi)"}
    # Communes under their district, with the district's subtotal.
    assert set(regs[5]) == {"II. Huyện Một (2 đơn vị cấp xã)"}
    assert [r[1] for r in regs[6:9]] == ["UBND huyện Một", "UBND xã Một", "UBND xã Hai"]
    assert set(regs[9]) == {"Cộng: 3/3 đơn vị đã gửi báo cáo (1 đúng hạn, 2 trễ hạn)"}
    assert register.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    values = {r.cells[1].text: r.cells[3].text for r in indicators.rows}
    assert values["Số hội nghị ở thôn (nhiệm vụ 1.2)"] == "4"
    assert values["Tỷ lệ thôn có sổ ghi chép (nhiệm vụ 1.2)"] == "60,0%"
    assert not any(cell.text.startswith("CT") for row in indicators.rows for cell in row.cells)
    notes = [[c.text for c in r.cells] for r in comments.rows]
    assert ["1", "Thiếu kinh phí số hóa", "1", "Sở A"] in notes


def test_same_inputs_give_the_same_bytes(workspace, cons, tmp_path):
    first = wordreport.write_report(workspace, cons, tmp_path / "a.docx", pdf=False)[0]
    second = wordreport.write_report(workspace, cons, tmp_path / "b.docx", pdf=False)[0]
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as package:
        assert {i.date_time for i in package.infolist()} == {template_builder.ZIP_TIME}


def test_configured_number_and_date(workspace, cons, tmp_path):
    config = {**workspace.section("report"), "number": "125", "date": "16/9/2022"}
    context = wordreport.build_context(cons, config)
    assert context["so_hieu"] == "125/BC-SNV"
    assert context["dia_danh_ngay"] == "Lào Cai, ngày 16 tháng 9 năm 2022"
    assert context["thuoc_tinh"]["created"] == dt.datetime(2022, 9, 16)
    config["date"] = dt.date(2022, 9, 20)
    assert wordreport.build_context(cons, config)["ngay_dai"] == "ngày 20 tháng 9 năm 2022"
    # Never dated before the data it counts: Sở A's file came on 16/9/2022.
    config["date"] = "15/9/2022"
    with pytest.raises(UsageError, match="Ngày báo cáo 15/9/2022 trước ngày nhận báo cáo cuối "
                                         "cùng được tổng hợp \\(16/9/2022\\)"):
        wordreport.build_context(cons, config)
    config["date"] = "hôm qua"
    with pytest.raises(UsageError, match="Ngày báo cáo 'hôm qua' trong mục \\[report\\]"):
        wordreport.build_context(cons, config)


def test_officer_template_overrides_and_broken_tag_is_named(workspace, cons, tmp_path):
    own = workspace.templates_dir / "bao-cao.docx"
    doc = Document(own)
    doc.styles["BC Đoạn"].font.size = Pt(13)
    doc.save(own)
    path = wordreport.write_report(workspace, cons, tmp_path / "r.docx", pdf=False)[0]
    body = [p for p in Document(path).paragraphs if p.style.name == "BC Đoạn" and p.text]
    assert {style_value(p, "size") for p in body} == {Pt(13)}
    doc.add_paragraph("{{ so_hieu ")
    doc.save(own)
    with pytest.raises(UsageError, match="Mẫu báo cáo .*bao-cao.docx có thẻ sai"):
        wordreport.write_report(workspace, cons, tmp_path / "r.docx", pdf=False)


def test_pdf_without_libreoffice(workspace, cons, tmp_path, monkeypatch):
    monkeypatch.setattr(office, "soffice_path", lambda: None)
    path = tmp_path / "r.docx"
    assert wordreport.write_report(workspace, cons, path) == [path]
    with pytest.raises(UsageError) as error:
        wordreport.write_report(workspace, cons, path, pdf=True)
    assert str(error.value) == f"Đã ghi r.docx nhưng chưa tạo được bản PDF. {office.INSTALL_HINT}"
    assert path.is_file()


def test_packaged_template_is_rebuilt_identically(tmp_path):
    built = template_builder.build(tmp_path / "bao-cao.docx")
    assert built.read_bytes() == template_builder.TARGET.read_bytes()
    tags = "\n".join(p.text for p in Document(built).paragraphs)
    assert "{{ so_hieu }}" in tags and "{%p for g in noi_dung %}" in tags


# --------------------------------------------------------------------------- default plan


def default_plan_returns(plan, period):
    """Every unit done on every task; each sum indicator 2 per unit, ratio parts 3 of 4."""
    subs, statuses = [], []
    for unit in plan.units.values():
        tasks = plan.tasks_for(unit.code)
        if not tasks:
            continue
        deadline = period.deadline(unit.level)
        at = dt.datetime.combine(deadline, dt.time(8))
        receipt = Receipt(f"{unit.code}.xlsx", unit.code.ljust(64, "0"), period.id, at,
                          unit.code, True)
        statuses.append(UnitStatus(unit.code, ON_TIME.key, deadline, receipt))
        values = {}
        for ind in plan.indicators_for(unit.code):
            values[ind.code] = 2.0
        for ind in plan.indicators_for(unit.code):
            if ind.agg == "ratio":
                values[ind.num], values[ind.den] = 3.0, 4.0
        reports = {t.tt: TaskReport(t.tt, role, STATUS_DONE, result=f"Đã thực hiện {t.tt}")
                   for t, role in tasks}
        subs.append(Submission(unit.code, period.id, tasks=reports, indicators=values))
    return subs, StatusReport(period.id, statuses)


@pytest.fixture(scope="module")
def default_cons(default_plan):
    period = parse_period("2022-Q3")
    plan = dataclasses.replace(default_plan, scores=[
        *default_plan.scores,
        *({"year": 2022, "dimension": d, "score": 4.0 + d / 10, "rank": None, "of": None}
          for d in default_plan.dimensions),
        {"year": 2022, "dimension": 0, "score": 42.5, "rank": 30, "of": 63}])
    subs, status = default_plan_returns(plan, period)
    return consolidate(plan, period, subs, status)


def test_default_plan_report(workspace, default_cons, tmp_path):
    path = wordreport.write_report(workspace, default_cons, tmp_path / "r.docx", pdf=False)[0]
    doc = Document(path)
    body = "\n".join(texts(doc))
    assert ("Thực hiện Kế hoạch số 239/KH-UBND ngày 30 tháng 6 năm 2022 của Ủy ban nhân dân "
            "tỉnh Lào Cai (UBND tỉnh) về cải thiện Chỉ số Hiệu quả quản trị và Hành chính công "
            "cấp tỉnh (PAPI)") in body
    assert sum(p.style.name == "BC Tiểu mục 2" and p.text.startswith("2.")
               for p in doc.paragraphs) == 8
    expected = len(default_cons.submissions)
    assert f"Đã nhận báo cáo của {fmt_int(expected)}/{fmt_int(expected)} cơ quan, đơn vị" in body
    # 1.2: every commune reports 2 meetings for CT1.2a (no ratio for task 1.2).
    communes = sum(1 for u in default_cons.plan.units.values()
                   if "CT1.2a" in {i.code for i in default_cons.plan.indicators_for(u.code)})
    assert (f"số hội nghị, buổi tuyên truyền về Chỉ số PAPI và Pháp lệnh thực hiện dân chủ: "
            f"{fmt_int(2 * communes)} hội nghị") in body
    assert "tỷ lệ thôn, tổ dân phố có sổ ghi chép các khoản đóng góp: 75,0%" in body
    # The published baseline, the plan's groups and target; 2022's index (published in 2023)
    # is not known to a report of 2022.
    assert ("Năm 2021, Chỉ số PAPI của tỉnh đạt 40,151 điểm, xếp thứ 49/60 tỉnh, thành phố, "
            "thuộc nhóm đạt điểm thấp nhất (năm 2020: 42,96 điểm, xếp thứ 27/63 tỉnh, thành phố;"
            " điểm từng nội dung tại Biểu đồ 3); 04/08 nội dung thuộc nhóm đạt điểm thấp nhất "
            "(Trách nhiệm giải trình, Kiểm soát tham nhũng, Cung ứng dịch vụ công và Quản trị "
            "môi trường); 03/08 nội dung thuộc nhóm đạt điểm trung bình thấp") in body
    assert ("Mục tiêu của Kế hoạch: Chỉ số PAPI năm 2022 tăng điểm và tăng hạng so với năm "
            "2021.") in body
    assert ("Năm 2021, nội dung Trách nhiệm giải trình thuộc nhóm đạt điểm thấp nhất; năm 2020 "
            "đạt 4,98 điểm.") in body
    assert ("Ở 4 nội dung thuộc nhóm đạt điểm thấp nhất năm 2021 (Trách nhiệm giải trình, Kiểm "
            "soát tham nhũng, Cung ứng dịch vụ công và Quản trị môi trường)") in body
    assert "42,5" not in body and "Năm 2022, Chỉ số" not in body
    assert len(doc.inline_shapes) == 4  # scores by dimension, then by year
    assert "Biểu đồ 3. Điểm Chỉ số PAPI của tỉnh theo nội dung năm 2020" in body
    # The overall score by year (2020, 2021: published by the report's date) with the plan's
    # target beside it.
    assert ("Biểu đồ 4. Điểm Chỉ số PAPI của tỉnh qua các năm; mục tiêu của Kế hoạch: Chỉ số "
            "PAPI năm 2022 tăng điểm và tăng hạng so với năm 2021") in body
    assert "- Các cơ quan, đơn vị gửi báo cáo đầy đủ, đúng hạn; không có nhiệm vụ quá thời " \
           "hạn." in body


def test_index_of_later_years_once_published(workspace, default_cons):
    config = {**workspace.section("report"), "date": "10/5/2023"}
    context = wordreport.build_context(default_cons, config)
    assert ("Năm 2022, Chỉ số PAPI của tỉnh đạt 42,5 điểm, xếp thứ 30/63 tỉnh, thành phố, tăng "
            "2,349 điểm so với năm 2021.") in context["ket_qua_chung"]
    assert context["chu_thich_diem"] == "Điểm Chỉ số PAPI của tỉnh theo nội dung năm 2020, 2022"


# --------------------------------------------------------------------------- LibreOffice


def pdf_text(pdf, first=None, last=None) -> str:
    cmd = ["pdftotext", "-layout"]
    if first:
        cmd += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*cmd, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@requires_soffice
def test_pdf_reads_back_and_renders(workspace, cons, tmp_path):
    docx, pdf = wordreport.write_report(workspace, cons, tmp_path / "BaoCao_2022-Q3.docx",
                                        pdf=True)
    assert pdf == tmp_path / "BaoCao_2022-Q3.pdf"
    text = pdf_text(pdf)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "Nơi nhận:",
                     "KT. GIÁM ĐỐC", "Phụ lục III", "<script>alert('x')</script> & ]]>"):
        assert expected in text
    first_page = pdf_text(pdf, 1).strip().splitlines()
    assert "UBND TỈNH LÀO CAI" in first_page[0]  # no number on page 1
    assert pdf_text(pdf, 2).strip().splitlines()[0].strip() == "2"
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    appendix = next(n for n in range(1, pages + 1) if "Phụ lục I\n" in pdf_text(pdf, n)
                    or "Phụ lục I " in pdf_text(pdf, n))
    for first in (1, appendix):
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(first), "-l", str(first + 1),
                        str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) >= 3 and all(p.stat().st_size > 5000 for p in images)


def test_district_scope_names_the_area(workspace, plan, cons):
    district = from_ledger(workspace, plan, sp.PERIOD, scope="H1")
    context = wordreport.build_context(district, workspace.section("report"))
    assert context["trich_yeu"].replace("\u00a0", " ") == (
        "Kết quả thực hiện Kế hoạch nhỏ để kiểm thử trên địa bàn huyện Một (quý III năm 2022)")
    # H1, X1, X2: all three sent a file.
    assert context["trien_khai"][2].startswith("Đã nhận báo cáo của 2/2 cơ quan, đơn vị")  # the district compiles


def test_property_elements_in_schema_order(report):
    """Word refuses ('unreadable content') properties out of the schema's sequence."""
    with zipfile.ZipFile(report) as package:
        parts = [package.read(n) for n in package.namelist()
                 if n.startswith("word/") and n.endswith(".xml")]
    for tag, order in (("pPr", template_builder.PPR_ORDER),
                       ("tblPr", template_builder.TBLPR_ORDER)):
        rank = {qn(f"w:{name}"): n for n, name in enumerate(order)}
        for part in parts:
            for parent in etree.fromstring(part).iter(qn(f"w:{tag}")):
                ranks = [rank[child.tag] for child in parent]
                assert ranks == sorted(ranks) and len(ranks) == len(set(ranks)), \
                    etree.tostring(parent)[:300]


def test_cli_report_writes_the_docx_and_explains_missing_libreoffice(workspace, run,
                                                                     monkeypatch):
    sp.write_plan(workspace.plan_path)
    sp.record(workspace, sp.submissions())
    monkeypatch.setattr(office, "soffice_path", lambda: None)
    result = run(["report", "-p", "2022-Q3", "--no-pdf"], workspace)
    assert result.exit_code == 0, result.output
    docx = workspace.output_dir("2022-Q3") / "BaoCao_2022-Q3.docx"
    assert f"đã ghi {docx}" in result.output
    assert Document(docx).tables[0].rows[0].cells[0].paragraphs[1].text == "SỞ NỘI VỤ"
    result = run(["report", "-p", "2022-Q3", "--pdf"], workspace)
    assert result.exit_code == 2
    assert "Đã ghi BaoCao_2022-Q3.docx nhưng chưa tạo được bản PDF. Chưa cài LibreOffice." \
        in " ".join(result.output.split())


# --------------------------------------------------------------------------- issue 13 units


def test_comments_grouped_whole_and_counted_by_unit():
    from generator.render.comments import group_sentences, whole_quote

    groups = group_sentences([
        ("X1", "Kinh phí còn hạn chế. Địa bàn rộng."),
        ("X2", "kinh phí còn hạn chế"),  # case and punctuation folded
        ("X3", "Kinh phí còn hạn chế lắm."),  # near-identical (rapidfuzz)
        ("X1", "Kinh phí còn hạn chế."),  # a unit counts once per point
        ("X4", "Đường truyền chưa ổn định.")])
    assert [(g.text, g.count) for g in groups] == [
        ("Kinh phí còn hạn chế.", 3), ("Địa bàn rộng.", 1), ("Đường truyền chưa ổn định.", 1)]
    assert whole_quote("Đã xong việc A. Tổ chức 3 hội nghị.") == "Đã xong việc A. Tổ chức 3 hội nghị."
    assert whole_quote("Đã triển khai xong: tổ chức thông tin ở xã, phường, thị…; 2 hội nghị") \
        is None  # a unit's own cut text is never quoted as if whole


def test_working_day_and_plan_cadence():
    # 1 and 2/9/2022 are the National Day holidays, 3 and 4/9 a weekend.
    assert wordreport.next_working_day(dt.date(2022, 8, 31)) == dt.date(2022, 9, 5)
    assert wordreport.next_working_day(dt.date(2022, 9, 16)) == dt.date(2022, 9, 19)
    cadence = [wordreport.next_report_period(parse_period(p)).id
               for p in ("2022-Q1", "2022-H1", "2022-Q3", "2022", "2022-07")]
    assert cadence == ["2022-H1", "2022-Q3", "2022", "2023-Q1", "2022-08"]


def test_rules_follow_the_agency_name(workspace, cons, tmp_path):
    """The line under the agency name is 1/3 to 1/2 of its width, whatever the name."""
    for name in ("SỞ NỘI VỤ", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"):
        config = {**workspace.section("report"), "issuing_body": name}
        data = wordreport.render(workspace.template("bao-cao.docx"),
                                 wordreport.build_context(cons, config))
        path = tmp_path / "r.docx"
        path.write_bytes(data)
        cell = Document(path).tables[0].rows[0].cells[0]
        _managing, agency, rule = cell.paragraphs
        room = (cell.width.twips - 2 * template_builder.CELL_MARGIN_TWIPS) / 20
        line = room - rule.paragraph_format.left_indent.pt - rule.paragraph_format.right_indent.pt
        text = template_builder.text_width(agency.text, 13, bold=True)
        assert agency.text == name and 1 / 3 <= line / min(text, room) <= 1 / 2


def test_report_warns_when_no_signer(workspace, run, monkeypatch):
    sp.write_plan(workspace.plan_path)
    sp.record(workspace, sp.submissions())
    monkeypatch.setattr(office, "soffice_path", lambda: None)
    result = run(["report", "-p", "2022-Q3", "--no-pdf", "--ngay", "20/9/2022"], workspace)
    assert result.exit_code == 0, result.output
    assert "Chưa khai báo người ký (signer_name trong mục [report] của baocao.toml)" \
        in " ".join(result.output.split())
    docx = workspace.output_dir("2022-Q3") / "BaoCao_2022-Q3.docx"
    place = Document(docx).tables[0].rows[1].cells[1].paragraphs[0].text
    assert place == "Lào Cai, ngày 20 tháng 9 năm 2022"
    result = run(["report", "-p", "2022-Q3", "--no-pdf", "--ngay", "15/9/2022"], workspace)
    assert result.exit_code == 2
    assert "trước ngày nhận báo cáo cuối cùng được tổng hợp (16/9/2022)" \
        in " ".join(result.output.split())


def test_older_config_placeholder_signer_and_addressee_listed(workspace, cons):
    """A baocao.toml written by an earlier version: its placeholder signer is never printed,
    and 'UBND tỉnh (b/c)' gives way to '- Như trên;'."""
    config = {**workspace.section("report"), "signer_name": "Nguyễn Văn A",
              "recipients": ["UBND tỉnh (b/c)", "Lãnh đạo Sở", "Lưu: VT, XDCQ"]}
    context = wordreport.build_context(cons, config)
    assert context["nguoi_ky"] == ""
    assert wordreport.config_warnings(config)
    assert context["noi_nhan"] == ["Như trên;", "Lãnh đạo Sở;", "Lưu: VT, XDCQ."]
    config["signer_name"] = "Trần Thị Bình"
    assert wordreport.build_context(cons, config)["nguoi_ky"] == "Trần Thị Bình"
    assert wordreport.config_warnings(config) == []


def _dims(rows):
    import pandas as pd

    return pd.DataFrame([{"dimension": d, "tasks": n, "not_applicable": na, "share_done": s}
                         for d, n, na, s in rows])


def test_completion_ranking_names_every_dimension_at_either_end(default_plan):
    """Six dimensions at 0% are named as six, not as the one that happened to sort last; a
    dimension where no task arose has no share to rank."""
    rows = [(1, 3, 0, 0.0), (2, 6, 0, 0.0), (3, 5, 1, 0.0), (4, 6, 0, 1 / 6),
            (5, 3, 0, 0.0), (6, 8, 0, 0.0), (7, 3, 0, 0.0), (8, 5, 0, 0.2)]
    assert wordreport._completion_ranking(_dims(rows), default_plan) == (
        "Tỷ lệ nhiệm vụ hoàn thành cao nhất ở nội dung Quản trị điện tử (20,0%), thấp nhất "
        "(0%) ở 6 nội dung: Tham gia của người dân, Công khai, minh bạch, Trách nhiệm giải "
        "trình, Thủ tục hành chính công, Cung ứng dịch vụ công và Quản trị môi trường.")
    rows = [(1, 2, 0, 0.5), (2, 4, 0, 0.5), (3, 2, 2, 0.0), (4, 4, 0, 0.25)]
    assert wordreport._completion_ranking(_dims(rows), default_plan) == (
        "Tỷ lệ nhiệm vụ hoàn thành cao nhất (50,0%) ở 2 nội dung: Tham gia của người dân và "
        "Công khai, minh bạch; thấp nhất ở nội dung Kiểm soát tham nhũng (25,0%).")
    # Every share equal once the dimension where nothing arose is left out: nothing to rank.
    rows = [(1, 2, 0, 0.5), (2, 4, 0, 0.5), (3, 2, 2, 0.0)]
    assert wordreport._completion_ranking(_dims(rows), default_plan) == ""


def test_next_tasks_ask_each_task_for_what_it_lacks(workspace, plan):
    """"Tiếp tục thực hiện … nhiệm vụ đang triển khai" counts only tasks a unit reported under
    way: a task nobody reported on is asked for its report, one not started to start."""
    subs = sp.submissions()
    for code in ("X1", "X2"):  # the communes leading 1.2 send their files without it
        subs[code].tasks.clear()
    sp.record(workspace, subs)
    cons = from_ledger(workspace, plan, sp.PERIOD)
    lines = wordreport._next_tasks(cons, sp.PERIOD, "Sở Nội vụ", {})
    assert "- Báo cáo kết quả 1 nhiệm vụ chưa có đơn vị báo cáo: nhiệm vụ 1.2." in lines
    assert not [line for line in lines if line.startswith("- Tiếp tục thực hiện")]
    tasks = cons.tasks.copy()
    tasks.loc[tasks["tt"] == "1.2", "status"] = STATUS_NOT_STARTED
    lines = wordreport._next_tasks(dataclasses.replace(cons, tasks=tasks), sp.PERIOD,
                                   "Sở Nội vụ", {})
    assert "- Triển khai 1 nhiệm vụ chưa thực hiện: nhiệm vụ 1.2." in lines
    assert not [line for line in lines if line.startswith("- Tiếp tục thực hiện")]
    tasks.loc[tasks["tt"] == "1.2", "status"] = STATUS_ONGOING
    lines = wordreport._next_tasks(dataclasses.replace(cons, tasks=tasks), sp.PERIOD,
                                   "Sở Nội vụ", {})
    assert ("- Tiếp tục thực hiện 1 nhiệm vụ đang triển khai và thường xuyên, định kỳ "
            "(Phụ lục I).") in lines
