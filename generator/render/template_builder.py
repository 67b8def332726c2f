"""Build the Word template templates/bao-cao.docx (Nghị định 30/2020/NĐ-CP, Phụ lục I).

The template is an ordinary .docx an officer can open in Word and restyle: every
block has its own named paragraph style, and the docxtpl tags are short and
readable ({{ so_hieu }}, {%p for p in ton_tai %} ...). Run

    python -m generator.render.template_builder [TARGET]

to rebuild it; the output is byte-identical for the same code.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import sys
import zipfile
from pathlib import Path

import matplotlib
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.textpath import TextToPath

from generator.workspace import PACKAGE_TEMPLATES

TEMPLATE_NAME = "bao-cao.docx"
TARGET = PACKAGE_TEMPLATES / TEMPLATE_NAME
FONT = "Times New Roman"
# Metric-compatible faces, in order: what LibreOffice draws the PDF with (fonts-liberation)
# when Times New Roman is absent, and what the charts and line lengths are measured in.
SERIF_FACES = ("Liberation Serif", "Times New Roman", "DejaVu Serif")
# Liberation Serif 1.x (Debian's fonts-liberation) lacks most Vietnamese letters; 2.x
# (fonts-liberation2) has them. A face is used only if it has these.
VIETNAMESE_PROBE = "ĐđƠơƯưựỹẫệ"
FIXED_TIME = dt.datetime(2022, 1, 1, 0, 0, 0)
ZIP_TIME = (2022, 1, 1, 0, 0, 0)

# Page geometry (NĐ 30: top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm).
MARGINS = {"top": Cm(2.0), "bottom": Cm(2.0), "left": Cm(3.0), "right": Cm(1.5)}
TEXT_WIDTH = Cm(21.0 - 3.0 - 1.5)
HEADER_COLUMNS = (Cm(6.3), Cm(10.2))
SIGN_COLUMNS = (Cm(8.0), Cm(8.5))

# Style name -> (size pt, bold, italic, alignment, first-line indent cm, space before, after).
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
STYLES = {
    "BC Tiêu đề bảng": (13, False, False, CENTER, 0, 0, 0),
    "BC Loại văn bản": (14, True, False, CENTER, 0, 12, 0),
    "BC Trích yếu": (14, True, False, CENTER, 0, 0, 0),
    "BC Kính gửi": (14, False, False, CENTER, 0, 6, 6),
    "BC Đoạn": (14, False, False, JUSTIFY, 1.27, 0, 6),
    "BC Mục": (14, True, False, JUSTIFY, 1.27, 6, 6),
    "BC Tiểu mục": (14, True, False, JUSTIFY, 1.27, 6, 6),
    "BC Tiểu mục 2": (14, True, True, JUSTIFY, 1.27, 6, 6),
    "BC Hình": (14, False, False, CENTER, 0, 6, 0),
    "BC Chú thích": (12, False, True, CENTER, 0, 0, 6),
    "BC Nơi nhận": (12, True, True, LEFT, 0, 0, 0),
    "BC Danh sách nơi nhận": (11, False, False, LEFT, 0, 0, 0),
    "BC Chức vụ": (14, True, False, CENTER, 0, 0, 0),
    "BC Người ký": (14, True, False, CENTER, 0, 0, 0),
    "BC Phụ lục": (14, True, False, CENTER, 0, 0, 0),
    "BC Phụ lục ghi chú": (13, False, True, CENTER, 0, 0, 12),
    "BC Bảng": (12, False, False, LEFT, 0, 2, 2),
    "BC Bảng giữa": (12, False, False, CENTER, 0, 2, 2),
    "BC Bảng tiêu đề": (12, True, False, CENTER, 0, 2, 2),
    "BC Số trang": (14, False, False, CENTER, 0, 0, 0),
}
LINE_SPACING = 1.15  # NĐ 30: single to 1,5 lines
# The horizontal lines under the agency name, the motto and the subject: empty paragraphs
# with a top border. Their length is set when the report is rendered, from the width of
# the text above them (wordreport.fit_rules): NĐ 30 wants 1/3 to 1/2 of the agency name and
# of the subject, the motto's full length.
RULE_AGENCY, RULE_MOTTO, RULE_SUBJECT = "BC Gạch cơ quan", "BC Gạch tiêu ngữ", "BC Gạch trích yếu"
RULE_SHARE = {RULE_AGENCY: 0.4, RULE_MOTTO: 1.0, RULE_SUBJECT: 0.4}
# Word's default cell margins (Normal Table: 108 twips each side), for the text width of a cell.
CELL_MARGIN_TWIPS = 108

# Word rejects a file whose property children are out of schema order (ECMA-376 sequences).
PPR_ORDER = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku",
    "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
    "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
    "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap",
    "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"
)
TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription", "tblPrChange"
)


def _set_fonts(rpr_parent, size: float | None = None) -> None:
    """Times New Roman for every script slot, so Word never falls back for diacritics."""
    if hasattr(rpr_parent, "get_or_add_rPr"):
        rpr = rpr_parent.get_or_add_rPr()
    else:  # docDefaults/rPrDefault is a plain element
        rpr = rpr_parent.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            rpr_parent.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    if size:
        for tag in ("w:sz", "w:szCs"):
            element = rpr.find(qn(tag))
            if element is None:
                element = OxmlElement(tag)
                rpr.append(element)
            element.set(qn("w:val"), str(int(size * 2)))


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _set_fonts(normal.element, 14)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for name, (size, bold, italic, align, indent, before, after) in STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = italic
        _set_fonts(style.element, size)
        fmt = style.paragraph_format
        fmt.alignment = align
        fmt.first_line_indent = Cm(indent) if indent else None
        fmt.space_before = Pt(before)
        fmt.space_after = Pt(after)
        fmt.line_spacing = LINE_SPACING if name.startswith(("BC Đoạn", "BC Mục", "BC Tiểu")) \
            else 1.0
    doc.styles["BC Mục"].paragraph_format.keep_with_next = True
    doc.styles["BC Tiểu mục"].paragraph_format.keep_with_next = True
    doc.styles["BC Tiểu mục 2"].paragraph_format.keep_with_next = True
    doc.styles["BC Hình"].paragraph_format.keep_with_next = True
    for name in RULE_SHARE:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(2)
        fmt = style.paragraph_format
        fmt.alignment = CENTER
        fmt.left_indent = fmt.right_indent = Cm(2.0)
        fmt.space_before, fmt.space_after = Pt(3), Pt(0)
        fmt.line_spacing = Pt(2)
    # docDefaults too: text typed in a new paragraph in Word stays Times New Roman.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None:
            _set_fonts(rpr_default, 14)


def _border(paragraph, side: str = "bottom", size: int = 6) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), "000000")
    borders.append(line)
    ppr.append(borders)


def _rule(container, style: str) -> None:
    """A centred horizontal line: an empty tiny paragraph with a top border. Its indents
    here are a fallback; the renderer sets them from the text above (fit_rules)."""
    para = container.add_paragraph(style=style)
    _border(para, "top")
    para.add_run("")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of one line of `text` in the serif face (Times New Roman metrics)."""
    prop = font_manager.FontProperties(fname=serif_font(bold), size=size)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0]


@functools.lru_cache(maxsize=2)
def serif_font(bold: bool = False) -> str:
    """The file of the first face of SERIF_FACES installed with every Vietnamese letter,
    regular or bold; matplotlib's own DejaVu Serif when none is."""
    style = "Bold" if bold else "Regular"
    found: dict[str, str] = {}
    for path in sorted(font_manager.findSystemFonts(fontext="ttf")):
        name = Path(path).name.lower()
        if "serif" not in name and "times" not in name:
            continue
        try:
            font = FT2Font(path)
        except (OSError, RuntimeError):
            continue
        if font.family_name in SERIF_FACES and font.style_name == style and _covers(font):
            found.setdefault(font.family_name, path)
    fallback = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / (
        "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf")
    return next((found[face] for face in SERIF_FACES if face in found), str(fallback))


def _covers(font) -> bool:
    charmap = font.get_charmap()
    return all(ord(c) in charmap for c in VIETNAMESE_PROBE)


def _para(container, text: str, style: str, **run_format):
    para = container.add_paragraph(style=style)
    if text:
        run = para.add_run(text)
        for key, value in run_format.items():
            setattr(run.font, key, value)
    return para


def _first_paragraph(cell, text: str, style: str):
    para = cell.paragraphs[0]
    para.style = style
    if text:
        para.add_run(text)
    return para


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _fixed_widths(table, widths) -> None:
    table.autofit = False  # python-docx writes <w:tblLayout w:type="fixed"/>
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(int(width.twips)))


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _header_block(doc) -> None:
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    _fixed_widths(table, HEADER_COLUMNS)
    left, right = table.rows[0].cells
    _first_paragraph(left, "{{ co_quan_chu_quan }}", "BC Tiêu đề bảng")
    _para(left, "{{ co_quan_ban_hanh }}", "BC Tiêu đề bảng", bold=True)
    _rule(left, RULE_AGENCY)
    _first_paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BC Tiêu đề bảng")
    right.paragraphs[0].runs[0].font.bold = True
    right.paragraphs[0].runs[0].font.size = Pt(12)
    _para(right, "Độc lập - Tự do - Hạnh phúc", "BC Tiêu đề bảng", bold=True, size=Pt(13))
    _rule(right, RULE_MOTTO)
    number, place = table.rows[1].cells
    para = _first_paragraph(number, "Số: {{ so_hieu }}", "BC Tiêu đề bảng")
    para.paragraph_format.space_before = Pt(6)
    para = _first_paragraph(place, "{{ dia_danh_ngay }}", "BC Tiêu đề bảng")
    para.runs[0].font.italic = True
    para.runs[0].font.size = Pt(14)
    para.paragraph_format.space_before = Pt(6)


def _loop(doc, items: str, var: str, style: str, text: str | None = None) -> None:
    """{%p for var in items %} / a paragraph of that style / {%p endfor %}."""
    _para(doc, f"{{%p for {var} in {items} %}}", style)
    _para(doc, text or f"{{{{ {var} }}}}", style)
    _para(doc, "{%p endfor %}", style)


def _chart(doc, tag: str, caption: str) -> None:
    """A chart and its caption, both left out when the chart is not drawn."""
    _para(doc, f"{{%p if {tag} %}}", "BC Hình")
    _para(doc, f"{{{{ {tag} }}}}", "BC Hình")
    _para(doc, caption, "BC Chú thích")
    _para(doc, "{%p endif %}", "BC Chú thích")


def _titled_groups(doc, items: str) -> None:
    """{%p for g in items %} a sub-heading (when it has one) and its paragraphs {%p endfor %}."""
    _para(doc, f"{{%p for g in {items} %}}", "BC Tiểu mục 2")
    _para(doc, "{%p if g.tieu_de %}", "BC Tiểu mục 2")
    _para(doc, "{{ g.tieu_de }}", "BC Tiểu mục 2")
    _para(doc, "{%p endif %}", "BC Tiểu mục 2")
    _loop(doc, "g.doan", "p", "BC Đoạn")
    _para(doc, "{%p endfor %}", "BC Tiểu mục 2")


def _body(doc) -> None:
    _para(doc, "BÁO CÁO", "BC Loại văn bản")
    _para(doc, "{{ trich_yeu }}", "BC Trích yếu")
    _rule(doc, RULE_SUBJECT)
    _para(doc, "Kính gửi: {{ kinh_gui }}", "BC Kính gửi")
    _loop(doc, "mo_dau", "p", "BC Đoạn")
    _para(doc, "I. KẾT QUẢ THỰC HIỆN", "BC Mục")
    _para(doc, "1. Công tác triển khai", "BC Tiểu mục")
    _loop(doc, "trien_khai", "p", "BC Đoạn")
    _chart(doc, "bieu_do_nop_bao_cao", "Biểu đồ 1. Tỷ lệ đơn vị gửi báo cáo theo cấp")
    _para(doc, "2. Kết quả thực hiện theo từng nội dung của Chỉ số {{ chi_so }}",
          "BC Tiểu mục")
    _loop(doc, "ket_qua_chung", "p", "BC Đoạn")
    _chart(doc, "bieu_do_hoan_thanh", "Biểu đồ 2. Tình hình thực hiện nhiệm vụ theo nội dung")
    _chart(doc, "bieu_do_diem", "Biểu đồ 3. {{ chu_thich_diem }}")
    _chart(doc, "bieu_do_diem_nam", "{{ chu_thich_diem_nam }}")
    _titled_groups(doc, "noi_dung")
    _para(doc, "3. Đánh giá chung", "BC Tiểu mục")
    _loop(doc, "danh_gia", "p", "BC Đoạn")
    # This period beside the earlier closed ones: paragraphs, then one chart per comparison.
    _loop(doc, "so_sanh_ky", "p", "BC Đoạn")
    _para(doc, "{%p for h in bieu_do_ky %}", "BC Hình")
    _para(doc, "{{ h.hinh }}", "BC Hình")
    _para(doc, "{{ h.chu_thich }}", "BC Chú thích")
    _para(doc, "{%p endfor %}", "BC Chú thích")
    _para(doc, "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "BC Mục")
    _para(doc, "1. Tồn tại, hạn chế", "BC Tiểu mục")
    _loop(doc, "ton_tai", "p", "BC Đoạn")
    _para(doc, "2. Nguyên nhân", "BC Tiểu mục")
    _loop(doc, "nguyen_nhan", "p", "BC Đoạn")
    _para(doc, "III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI", "BC Mục")
    _loop(doc, "nhiem_vu_toi", "p", "BC Đoạn")
    _para(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ", "BC Mục")
    _titled_groups(doc, "de_xuat")
    _para(doc, "{{ ket_luan }}", "BC Đoạn")


def _signature(doc) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _fixed_widths(table, SIGN_COLUMNS)
    _cant_split(table.rows[0])
    left, right = table.rows[0].cells
    para = _first_paragraph(left, "Nơi nhận:", "BC Nơi nhận")
    para.paragraph_format.space_before = Pt(12)
    _para(left, "{%p for r in noi_nhan %}", "BC Danh sách nơi nhận")
    _para(left, "- {{ r }}", "BC Danh sách nơi nhận")
    _para(left, "{%p endfor %}", "BC Danh sách nơi nhận")
    para = _first_paragraph(right, "{{ tham_quyen }}", "BC Chức vụ")
    para.paragraph_format.space_before = Pt(12)
    _para(right, "{{ chuc_vu }}", "BC Chức vụ")
    for _ in range(4):  # room for the signature and the seal
        _para(right, "", "BC Người ký")
    _para(right, "{{ nguoi_ky }}", "BC Người ký")


def _appendix_title(doc, number: str, title: str) -> None:
    _para(doc, f"Phụ lục {number}", "BC Phụ lục")
    _para(doc, title, "BC Phụ lục")
    _para(doc, "(Kèm theo Báo cáo số {{ so_hieu }} {{ ngay_dai }} của {{ ten_co_quan }})",
          "BC Phụ lục ghi chú")


def _grouped_table(doc, headers, widths, group: str, cells, aligns) -> None:
    """A table with a repeated header row and, per group, a heading row across the table,
    its rows and an optional closing row (a subtotal).

    Tags: {%tr for g in GROUP %} / heading / {%tr for t in g.dong %} / row / {%tr endfor %}
    / {%tr if g.cong %} / closing row / {%tr endif %} / {%tr endfor %}.
    """
    table = doc.add_table(rows=10, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    _fixed_widths(table, widths)
    header = table.rows[0]
    _repeat_header(header)
    _cant_split(header)
    for cell, text in zip(header.cells, headers, strict=True):
        _first_paragraph(cell, text, "BC Bảng tiêu đề")
    tags = {1: f"{{%tr for g in {group} %}}", 3: "{%tr for t in g.dong %}",
            5: "{%tr endfor %}", 6: "{%tr if g.cong %}", 8: "{%tr endif %}",
            9: "{%tr endfor %}"}
    for index, tag in tags.items():
        _first_paragraph(table.rows[index].cells[0], tag, "BC Bảng")
    for index, tag in ((2, "{{ g.ten }}"), (7, "{{ g.cong }}")):
        row = table.rows[index]
        _cant_split(row)
        merged = row.cells[0].merge(row.cells[-1])
        para = _first_paragraph(merged, tag, "BC Bảng")
        para.runs[0].font.bold = True
        if index == 2:  # a group's heading never ends a page alone
            para.paragraph_format.keep_with_next = True
    data = table.rows[4]
    _cant_split(data)
    for cell, tag, align in zip(data.cells, cells, aligns, strict=True):
        _first_paragraph(cell, f"{{{{ t.{tag} }}}}", align)


MID, TXT = "BC Bảng giữa", "BC Bảng"
APPENDICES = (
    ("I", "TÌNH HÌNH THỰC HIỆN CÁC NHIỆM VỤ CỦA KẾ HOẠCH", "phu_luc_nhiem_vu",
     (("TT", Cm(1.1), "tt", MID), ("Nhiệm vụ", Cm(5.6), "noi_dung", TXT),
      ("Chủ trì", Cm(2.9), "chu_tri", TXT), ("Thời hạn", Cm(2.3), "thoi_han", MID),
      ("Đơn vị hoàn thành", Cm(2.0), "hoan_thanh", MID),
      ("Tình trạng", Cm(2.6), "tinh_trang", MID))),
    ("II", "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ", "phu_luc_nop",
     (("TT", Cm(1.2), "tt", MID), ("Cơ quan, đơn vị", Cm(6.9), "don_vi", TXT),
      ("Hạn gửi", Cm(2.6), "han", MID), ("Ngày nhận", Cm(2.6), "ngay_nhan", MID),
      ("Tình trạng", Cm(3.2), "tinh_trang", MID))),
    ("III", "KẾT QUẢ CÁC CHỈ TIÊU", "phu_luc_chi_tieu",
     (("TT", Cm(1.2), "tt", MID), ("Chỉ tiêu", Cm(9.3), "ten", TXT),
      ("Đơn vị tính", Cm(2.8), "don_vi_tinh", MID), ("Kết quả", Cm(3.2), "gia_tri", MID))),
    ("IV", "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC CƠ QUAN, ĐƠN VỊ",
     "phu_luc_y_kien",
     (("TT", Cm(1.1), "tt", MID), ("Nội dung", Cm(8.6), "noi_dung", TXT),
      ("Số đơn vị nêu", Cm(2.0), "so_don_vi", MID), ("Đơn vị nêu", Cm(4.8), "don_vi", TXT))),
)


def _appendices(doc) -> None:
    """Each appendix in a section of its own: a new page, page numbers from 1 again."""
    for number, title, group, columns in APPENDICES:
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        _restart_numbering(section)
        _appendix_title(doc, number, title)
        headers, widths, cells, aligns = zip(*columns, strict=True)
        _grouped_table(doc, headers, widths, group, cells, aligns)


def _restart_numbering(section) -> None:
    """<w:pgNumType w:start="1"/>, in its place in the sectPr sequence (before cols)."""
    sect_pr = section._sectPr
    element = OxmlElement("w:pgNumType")
    element.set(qn("w:start"), "1")
    cols = sect_pr.find(qn("w:cols"))
    if cols is not None:
        cols.addprevious(element)
    else:
        sect_pr.append(element)
    section.different_first_page_header_footer = True


def _page_number_header(section) -> None:
    """PAGE field centred at the top; 'different first page' keeps page 1 unnumbered."""
    section.different_first_page_header_footer = True
    para = section.header.paragraphs[0]
    para.style = "BC Số trang"
    run = para.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(begin)
    run._r.append(instr)
    run._r.append(separate)
    para.add_run("2")  # shown until the field is updated
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    para.add_run()._r.append(end)
    section.first_page_header.paragraphs[0].text = ""


def _schema_order(root) -> None:
    """Sort pPr and tblPr children into the order the schema requires."""
    for tag, order in (("w:pPr", PPR_ORDER), ("w:tblPr", TBLPR_ORDER)):
        rank = {qn(f"w:{name}"): n for n, name in enumerate(order)}
        for parent in root.iter(qn(tag)):
            children = sorted(parent, key=lambda child: rank.get(child.tag, len(rank)))
            for child in children:
                parent.append(child)  # re-appending in sorted order moves each one


def build_document():
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = section.footer_distance = Cm(1.0)
    _styles(doc)
    # The default document starts with one empty paragraph; drop it.
    body = doc.element.body
    for para in list(body.iterchildren(qn("w:p"))):
        body.remove(para)
    _header_block(doc)
    _body(doc)
    _signature(doc)
    # Before the appendices: a new section copies this one's header (the page number).
    _page_number_header(section)
    _appendices(doc)
    first = doc.sections[0]  # the appendices' sections link to its headers
    for root in (doc.element, first.header._element, first.first_page_header._element,
                 doc.styles.element):
        _schema_order(root)
    props = doc.core_properties
    props.author = props.last_modified_by = "baocao"
    props.title = "Báo cáo kết quả thực hiện kế hoạch"
    props.comments = ""  # python-docx's own "generated by python-docx"
    props.created = props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    return doc


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a .docx zip with fixed member times so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def build(target: Path = TARGET) -> Path:
    buffer = io.BytesIO()
    build_document().save(buffer)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(normalise_zip(buffer.getvalue()))
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET))
