"""Build the embedded default plan workbook (Lào Cai, 239/KH-UBND, 2022) from its sources.

Sources in input/sources/: the task table transcribed from the plan with the plan's own
wording beside it (TSV), the administrative units of Lào Cai in mid-2022 and Lào Cai's
PAPI scores with their sources (CSV). Departments, indicators (with their reporting levels
and aggregation), consistency rules and the reporting line are below. Every difference
between the plan's wording and the wording used is written into the task's note
(`edit_note`). `write_workbook` is the builder shared with the second shipped plan
(lao_cai_2025.py). Run `python -m generator.plan.shipped` to rewrite both shipped
workbooks in input/; a test checks the shipped files match this builder.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
from pathlib import Path

from generator.excel import new_workbook
from generator.plan.workbook import SHEETS
from generator.workspace import DEFAULT_PLAN, shipped

SOURCES = shipped("input") / "sources"
DOMAIN = "laocai.gov.vn"

DETAILS = [
    ("Số kế hoạch", "239/KH-UBND"),
    ("Ngày ban hành", dt.date(2022, 6, 30)),
    ("Cơ quan ban hành", "UBND tỉnh Lào Cai"),
    ("Tên kế hoạch", "Kế hoạch cải thiện Chỉ số Hiệu quả quản trị và Hành chính công cấp tỉnh "
                     "(PAPI) của tỉnh Lào Cai năm 2022"),
    ("Tên chỉ số", "PAPI"),
    ("Mục tiêu chỉ số", "tăng điểm và tăng hạng so với năm 2021"),
    ("Năm kế hoạch", 2022),
    ("Địa danh", "Lào Cai"),
    ("Mã đơn vị đầu mối", "SNV"),
    ("Email đầu mối", f"snv@{DOMAIN}"),
    ("Mã cơ quan tổng hợp", "SNV"),
    ("Kỳ báo cáo", "Quý I; 6 tháng; Quý III; Năm"),
    ("Ghi chú", "Địa chỉ thư điện tử của các đơn vị là dữ liệu mẫu, cơ quan đầu mối cập nhật "
                "địa chỉ chính thức trước khi gửi biểu mẫu."),
]

DIMENSIONS = [
    (1, "Tham gia của người dân ở cấp cơ sở", "Tham gia của người dân"),
    (2, "Công khai, minh bạch trong việc ra quyết định ở địa phương", "Công khai, minh bạch"),
    (3, "Trách nhiệm giải trình với người dân", "Trách nhiệm giải trình"),
    (4, "Kiểm soát tham nhũng trong khu vực công", "Kiểm soát tham nhũng"),
    (5, "Thủ tục hành chính công", "Thủ tục hành chính công"),
    (6, "Cung ứng dịch vụ công", "Cung ứng dịch vụ công"),
    (7, "Quản trị môi trường", "Quản trị môi trường"),
    (8, "Quản trị điện tử", "Quản trị điện tử"),
]

# code, full name, short name, group, aliases (names used in the plan's text)
DEPARTMENTS = [
    ("SNV", "Sở Nội vụ", "Sở Nội vụ", "so-nganh", ""),
    ("VPUBND", "Văn phòng UBND tỉnh", "VP UBND tỉnh", "so-nganh",
     "Văn phòng Ủy ban nhân dân tỉnh; Văn phòng UBND"),
    ("STP", "Sở Tư pháp", "Sở Tư pháp", "so-nganh", ""),
    ("STC", "Sở Tài chính", "Sở Tài chính", "so-nganh", ""),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "Sở KH&ĐT", "so-nganh", ""),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "Sở LĐ-TB&XH", "so-nganh",
     "Sở Lao động Thương binh XH; Sở Lao động - Thương binh và XH"),
    ("STNMT", "Sở Tài nguyên và Môi trường", "Sở TN&MT", "so-nganh",
     "Sở Tài nguyên Môi trường"),
    ("SYT", "Sở Y tế", "Sở Y tế", "so-nganh", ""),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Sở GD&ĐT", "so-nganh", "Sở Giáo dục Đào tạo"),
    ("SGTVTXD", "Sở Giao thông vận tải - Xây dựng", "Sở GTVT-XD", "so-nganh",
     "Sở Giao thông vận tải – Xây dựng"),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "Sở NN&PTNT", "so-nganh", ""),
    ("SCT", "Sở Công Thương", "Sở Công Thương", "so-nganh", ""),
    ("STTTT", "Sở Thông tin và Truyền thông", "Sở TT&TT", "so-nganh", ""),
    ("TTR", "Thanh tra tỉnh", "Thanh tra tỉnh", "so-nganh", ""),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh", "Trung tâm PVHCC", "so-nganh",
     "Trung tâm Phục vụ HCC"),
    ("DPTTH", "Đài Phát thanh - Truyền hình tỉnh", "Đài PT-TH tỉnh", "so-nganh",
     "Đài Phát thanh – Truyền hình tỉnh"),
    ("BLC", "Báo Lào Cai", "Báo Lào Cai", "so-nganh", ""),
    ("TAND", "Tòa án nhân dân tỉnh", "TAND tỉnh", "trung-uong", "Tòa án tỉnh"),
    ("CAT", "Công an tỉnh", "Công an tỉnh", "trung-uong", ""),
    ("BHXH", "Bảo hiểm xã hội tỉnh", "BHXH tỉnh", "trung-uong", ""),
    ("PCLC", "Công ty Điện lực Lào Cai", "Điện lực Lào Cai", "doanh-nghiep", "Điện lực Lào Cai"),
]

# Unit classes used in the task table; empty level and group: not a reporting unit.
CLASSES = [
    ("UBND cấp xã", "xa", "", "Mọi UBND xã, phường, thị trấn"),
    ("UBND cấp huyện", "huyen", "", "Mọi UBND huyện, thị xã, thành phố"),
    ("Chủ tịch UBND cấp huyện", "huyen", "", "Báo cáo qua UBND cấp huyện"),
    ("Các sở, ban, ngành", "", "so-nganh", "Các sở, ban, ngành thuộc UBND tỉnh"),
    ("Tổ trưởng tổ dân phố", "", "", "Không phải đơn vị báo cáo"),
    ("Trưởng thôn", "", "", "Không phải đơn vị báo cáo"),
    ("Đoàn thể cấp xã", "", "", "Không phải đơn vị báo cáo"),
    ("Các Tòa thuộc Tòa án nhân dân tỉnh", "", "", "Báo cáo qua Tòa án nhân dân tỉnh"),
    ("Tòa án nhân dân cấp huyện", "", "", "Báo cáo qua Tòa án nhân dân tỉnh"),
    ("Công an cấp huyện", "", "", "Báo cáo qua Công an tỉnh"),
    ("Công an cấp xã", "", "", "Báo cáo qua Công an tỉnh"),
    ("Các cơ quan liên quan", "", "", "Không phải đơn vị báo cáo"),
    ("Các đơn vị, địa phương liên quan", "", "", "Không phải đơn vị báo cáo"),
    ("Các cơ quan, đơn vị có cổng thông tin điện tử thành viên", "", "",
     "Không phải đơn vị báo cáo"),
    ("Các doanh nghiệp viễn thông", "", "", "Không phải đơn vị báo cáo"),
    ("Các đơn vị có liên quan", "", "", "Không phải đơn vị báo cáo"),
    ("Đài Truyền thanh – Truyền hình", "", "",
     "Các đài cấp huyện (không phải Đài Phát thanh - Truyền hình tỉnh): không phải đơn vị "
     "báo cáo, kết quả báo cáo qua UBND cấp huyện"),
]

# Indicators, like a DHIS2 data element: who reports each one and how an area's figure is
# made. "cộng dồn" (a flow: cases in the period) is summed over every unit that reports it;
# "thời điểm" (a stock: what exists) is taken at one level, the highest in the area that
# reports it (the province body that owns the figure, a district's own figure, or the sum
# of its communes when only communes report it), never added across levels; "tỷ lệ" is
# summed numerator / summed denominator. The levels ("Cấp báo cáo") narrow the units
# responsible for the task to those that hold the figure: a commune form never asks for a
# district chair's dialogues. The same stock is one indicator (villages, households), so
# the province has one count of villages, whichever ratio uses it.
XA, HUYEN = "UBND cấp xã", "UBND cấp huyện"
BOTH = f"{HUYEN}; {XA}"
FLOW, STOCK, RATIO = "cộng dồn", "thời điểm", "tỷ lệ"


def _ind(code, task, name, unit, agg=FLOW, levels="", num="", den="", kind=""):
    """A ChiTieu row in the sheet's column order (SHEETS['ChiTieu'])."""
    return (code, task, name, unit, agg, num, den, kind, levels)


def _ratio(code, task, name, num, den):
    return _ind(code, task, name, "%", RATIO, num=num, den=den)


INDICATORS = [
    _ind("CT1.1a", "1.1", "Số kế hoạch, văn bản triển khai Pháp lệnh thực hiện dân chủ đã ban hành", "văn bản"),
    _ind("CT1.1b", "1.1", "Số hội nghị quán triệt Pháp lệnh thực hiện dân chủ", "hội nghị"),
    _ind("CT1.2a", "1.2", "Số hội nghị, buổi tuyên truyền về Chỉ số PAPI và Pháp lệnh thực hiện dân chủ", "hội nghị", levels=BOTH),
    _ind("CT1.2b", "1.2", "Số lượt người tham dự hội nghị, buổi tuyên truyền", "lượt người", levels=BOTH),
    _ind("CT1.2c", "1.2", "Số tin, bài, phóng sự tuyên truyền đã đăng, phát", "tin, bài"),
    _ind("CT1.3a", "1.3", "Số thôn, tổ dân phố có sổ ghi chép các khoản đóng góp tự nguyện", "thôn, tổ", STOCK, XA),
    _ind("CT1.3b", "1.3", "Tổng số thôn, tổ dân phố", "thôn, tổ", STOCK, XA),
    _ratio("CT1.3r", "1.3", "Tỷ lệ thôn, tổ dân phố có sổ ghi chép các khoản đóng góp", "CT1.3a", "CT1.3b"),
    _ind("CT2.1a", "2.1", "Số cuộc tuyên truyền, phổ biến chính sách pháp luật", "cuộc"),
    _ind("CT2.1b", "2.1", "Số lượt người được tuyên truyền, phổ biến", "lượt người"),
    _ind("CT2.2a", "2.2", "Số hộ nghèo, hộ cận nghèo có tên trong danh sách được công khai", "hộ", STOCK, XA),
    _ind("CT2.2b", "2.2", "Số lần niêm yết công khai danh sách và chế độ, chính sách", "lần", levels=XA),
    _ind("CT2.3a", "2.3", "Số lần công khai dự toán, quyết toán thu, chi ngân sách cấp xã", "lần", levels=XA),
    _ind("CT2.4a", "2.4", "Số quy hoạch, kế hoạch sử dụng đất được công khai", "văn bản", levels=BOTH),
    _ind("CT2.5a", "2.5", "Số phương án bồi thường, hỗ trợ, tái định cư được công khai", "phương án", levels=XA),
    _ind("CT2.6a", "2.6", "Số lần công khai bảng giá đất", "lần"),
    _ind("CT3.1a", "3.1", "Số cuộc gặp gỡ, tiếp xúc, đối thoại với người dân", "cuộc"),
    _ind("CT3.1b", "3.1", "Số lượt người dân tham dự gặp gỡ, đối thoại", "lượt người"),
    _ind("CT3.1c", "3.1", "Số ý kiến, kiến nghị của người dân được tiếp nhận", "ý kiến"),
    _ind("CT3.2a", "3.2", "Số lượt công dân được tiếp", "lượt người"),
    _ind("CT3.2b", "3.2", "Số đơn phản ánh, kiến nghị, khiếu nại, tố cáo đã tiếp nhận", "đơn"),
    _ind("CT3.2c", "3.2", "Số đơn phản ánh, kiến nghị, khiếu nại, tố cáo đã giải quyết", "đơn"),
    _ratio("CT3.2r", "3.2", "Tỷ lệ đơn đã giải quyết", "CT3.2c", "CT3.2b"),
    _ind("CT3.3a", "3.3", "Số cuộc đối thoại trực tiếp của Chủ tịch UBND cấp huyện với người dân", "cuộc", levels=HUYEN),
    _ind("CT3.3b", "3.3", "Số lượt người dân tham dự đối thoại", "lượt người", levels=HUYEN),
    _ind("CT3.4a", "3.4", "Số vụ, việc đã thụ lý", "vụ, việc", levels="Tòa án nhân dân tỉnh"),
    _ind("CT3.4b", "3.4", "Số vụ, việc đã giải quyết, xét xử", "vụ, việc", levels="Tòa án nhân dân tỉnh"),
    _ratio("CT3.4r", "3.4", "Tỷ lệ vụ, việc đã giải quyết, xét xử", "CT3.4b", "CT3.4a"),
    _ind("CT3.5a", "3.5", "Số lớp bồi dưỡng Ban Thanh tra nhân dân, Ban Giám sát đầu tư cộng đồng", "lớp", levels=HUYEN),
    _ind("CT3.5b", "3.5", "Số lượt người được bồi dưỡng", "lượt người", levels=HUYEN),
    # Procedures in force: the province's figure is the service centre's, a district's its own.
    _ind("CT4.1a", "4.1", "Số thủ tục hành chính đang áp dụng", "thủ tục", STOCK,
         f"Trung tâm Phục vụ hành chính công tỉnh; {BOTH}"),
    _ind("CT4.1b", "4.1", "Số thủ tục hành chính đã công khai đầy đủ quy trình, thời gian, phí, lệ phí", "thủ tục", STOCK,
         f"Trung tâm Phục vụ hành chính công tỉnh; {BOTH}"),
    _ratio("CT4.1r", "4.1", "Tỷ lệ thủ tục hành chính được công khai đầy đủ", "CT4.1b", "CT4.1a"),
    _ind("CT4.2a", "4.2", "Số phiếu khảo sát mức độ hài lòng về dịch vụ y tế đã thu về", "phiếu", levels="Sở Y tế"),
    _ind("CT4.2b", "4.2", "Số phiếu hài lòng về dịch vụ y tế", "phiếu", levels="Sở Y tế"),
    _ratio("CT4.2r", "4.2", "Tỷ lệ hài lòng về dịch vụ y tế", "CT4.2b", "CT4.2a"),
    _ind("CT4.3a", "4.3", "Số phiếu khảo sát mức độ hài lòng về dịch vụ giáo dục đã thu về", "phiếu", levels="Sở Giáo dục và Đào tạo"),
    _ind("CT4.3b", "4.3", "Số phiếu hài lòng về dịch vụ giáo dục", "phiếu", levels="Sở Giáo dục và Đào tạo"),
    _ratio("CT4.3r", "4.3", "Tỷ lệ hài lòng về dịch vụ giáo dục", "CT4.3b", "CT4.3a"),
    _ind("CT4.4a", "4.4", "Số cuộc kiểm tra công vụ", "cuộc"),
    _ind("CT4.4b", "4.4", "Số cán bộ, công chức bị nhắc nhở, xử lý qua kiểm tra", "người"),
    _ind("CT4.5a", "4.5", "Số cuộc thanh tra, kiểm tra việc sử dụng ngân sách nhà nước", "cuộc",
         levels=f"Sở Tài chính; Thanh tra tỉnh; {HUYEN}"),
    _ind("CT4.5b", "4.5", "Số tiền kiến nghị thu hồi", "triệu đồng",
         levels=f"Sở Tài chính; Thanh tra tỉnh; {HUYEN}", kind="đo"),
    _ind("CT4.6a", "4.6", "Số cuộc tuyên truyền Luật Phòng, chống tham nhũng", "cuộc"),
    _ind("CT4.6b", "4.6", "Số lượt người dự tuyên truyền Luật Phòng, chống tham nhũng", "lượt người"),
    _ind("CT4.6c", "4.6", "Số vụ việc tham nhũng được phát hiện, xử lý", "vụ việc", levels=f"Thanh tra tỉnh; {HUYEN}"),
]
for _tt, _what in (("5.1", "chứng thực, xác nhận"), ("5.2", "cấp phép xây dựng"),
                   ("5.3", "giấy chứng nhận quyền sử dụng đất")):
    _c = "CT" + _tt
    INDICATORS += [
        _ind(_c + "a", _tt, f"Số hồ sơ {_what} đã tiếp nhận", "hồ sơ", levels=BOTH),
        _ind(_c + "b", _tt, f"Số hồ sơ {_what} giải quyết đúng hạn", "hồ sơ", levels=BOTH),
        _ind(_c + "c", _tt, f"Số hồ sơ {_what} giải quyết quá hạn", "hồ sơ", levels=BOTH),
        _ind(_c + "d", _tt, f"Số thư xin lỗi đã gửi do giải quyết hồ sơ {_what} quá hạn", "thư", levels=BOTH),
        _ratio(_c + "r", _tt, f"Tỷ lệ hồ sơ {_what} giải quyết đúng hạn", _c + "b", _c + "a"),
    ]
INDICATORS += [
    # Health insurance: the province's figures are the insurer's own, not sums of units.
    _ind("CT6.1a", "6.1", "Số người tham gia bảo hiểm y tế", "người", STOCK, "Bảo hiểm xã hội tỉnh"),
    _ind("CT6.1b", "6.1", "Dân số trên địa bàn", "người", STOCK, "Bảo hiểm xã hội tỉnh"),
    _ind("CT6.1c", "6.1", "Số thẻ bảo hiểm y tế cấp cho người thuộc hộ nghèo", "thẻ", STOCK, "Bảo hiểm xã hội tỉnh"),
    _ratio("CT6.1r", "6.1", "Tỷ lệ người dân tham gia bảo hiểm y tế", "CT6.1a", "CT6.1b"),
    _ind("CT6.2a", "6.2", "Số cơ sở y tế được kiểm tra", "cơ sở", levels="Sở Y tế"),
    _ind("CT6.2b", "6.2", "Số trường hợp vi phạm tinh thần, thái độ phục vụ được xử lý", "trường hợp", levels="Sở Y tế"),
    _ind("CT6.3a", "6.3", "Tổng số trường học", "trường", STOCK, "Sở Giáo dục và Đào tạo"),
    _ind("CT6.3b", "6.3", "Số trường đạt chuẩn quốc gia", "trường", STOCK, "Sở Giáo dục và Đào tạo"),
    _ratio("CT6.3r", "6.3", "Tỷ lệ trường đạt chuẩn quốc gia", "CT6.3b", "CT6.3a"),
    _ind("CT6.4a", "6.4", "Số trường tiểu học được kiểm tra", "trường", levels=HUYEN),
    _ind("CT6.4b", "6.4", "Số trường hợp dạy thêm, thu sai quy định được chấn chỉnh", "trường hợp", levels=HUYEN),
    # Households: one count, reported by the communes, for both the water and the power
    # ratio; the households on the grid are the power company's own count.
    _ind("CT6.5a", "6.5", "Số hộ được sử dụng nước sạch", "hộ", STOCK, XA),
    _ind("CT6.5b", "6.5", "Tổng số hộ trên địa bàn", "hộ", STOCK, XA),
    _ratio("CT6.5r", "6.5", "Tỷ lệ hộ được sử dụng nước sạch", "CT6.5a", "CT6.5b"),
    _ind("CT6.6a", "6.6", "Số hộ được sử dụng điện lưới quốc gia", "hộ", STOCK, "Công ty Điện lực Lào Cai"),
    _ratio("CT6.6r", "6.6", "Tỷ lệ hộ được sử dụng điện lưới quốc gia", "CT6.6a", "CT6.5b"),
    _ind("CT6.7a", "6.7", "Khối lượng rác thải sinh hoạt được thu gom", "tấn", levels=BOTH, kind="đo"),
    _ind("CT6.7b", "6.7", "Số thôn, tổ dân phố có tổ thu gom rác thải", "thôn, tổ", STOCK, XA),
    _ind("CT6.8a", "6.8", "Số mô hình bảo vệ an ninh, trật tự ở khu dân cư đang hoạt động", "mô hình", STOCK, "Công an tỉnh"),
    _ind("CT6.8b", "6.8", "Số vụ phạm pháp hình sự xảy ra", "vụ", levels="Công an tỉnh"),
    _ind("CT7.1a", "7.1", "Số cuộc tuyên truyền bảo vệ môi trường", "cuộc"),
    _ind("CT7.1b", "7.1", "Số lượt người tham gia tuyên truyền bảo vệ môi trường", "lượt người"),
    _ind("CT7.2a", "7.2", "Số vấn đề môi trường được rà soát, xác định", "vấn đề"),
    _ind("CT7.2b", "7.2", "Số vấn đề môi trường đã giải quyết", "vấn đề"),
    _ratio("CT7.2r", "7.2", "Tỷ lệ vấn đề môi trường đã giải quyết", "CT7.2b", "CT7.2a"),
    _ind("CT7.3a", "7.3", "Số cuộc thanh tra, kiểm tra xả thải", "cuộc"),
    _ind("CT7.3b", "7.3", "Số vụ vi phạm về xả thải bị xử lý", "vụ"),
    _ind("CT8.1a", "8.1", "Tổng số văn bản đi", "văn bản"),
    _ind("CT8.1b", "8.1", "Số văn bản đi được ký số, gửi trên môi trường điện tử", "văn bản"),
    _ratio("CT8.1r", "8.1", "Tỷ lệ văn bản điện tử", "CT8.1b", "CT8.1a"),
    _ind("CT8.2a", "8.2", "Tổng số hồ sơ thủ tục hành chính đã tiếp nhận", "hồ sơ"),
    _ind("CT8.2b", "8.2", "Số hồ sơ trực tuyến mức độ 3, 4 đã tiếp nhận", "hồ sơ"),
    _ratio("CT8.2r", "8.2", "Tỷ lệ hồ sơ trực tuyến mức độ 3, 4", "CT8.2b", "CT8.2a"),
    _ind("CT8.3a", "8.3", "Số thủ tục hành chính đã tích hợp lên Cổng Dịch vụ công", "thủ tục", STOCK, "Văn phòng UBND tỉnh"),
    _ind("CT8.4a", "8.4", "Số tin, bài đăng trên cổng, trang thông tin điện tử", "tin, bài"),
    _ind("CT8.4b", "8.4", "Số ý kiến của người dân được phản hồi qua cổng thông tin điện tử", "ý kiến"),
    # Broadband: the department's count of villages over the communes' count of villages.
    _ind("CT8.5a", "8.5", "Số thôn, tổ dân phố có internet băng rộng", "thôn, tổ", STOCK, "Sở Thông tin và Truyền thông"),
    _ratio("CT8.5r", "8.5", "Tỷ lệ thôn, tổ dân phố có internet băng rộng", "CT8.5a", "CT1.3b"),
]

# Consistency rules (sheet QuyTac), like DHIS2 validation rules: checked in each returned
# form and again on the consolidated figures. Every ratio's numerator ≤ its denominator,
# and what the figures obviously need besides.
RULES = [(f"QT-{i[0]}", i[5], "<=", i[6], f"Tử số không lớn hơn mẫu số của {i[2][0].lower()}{i[2][1:]}")
         for i in INDICATORS if i[4] == RATIO]
for _tt, _what in (("5.1", "chứng thực, xác nhận"), ("5.2", "cấp phép xây dựng"),
                   ("5.3", "giấy chứng nhận quyền sử dụng đất")):
    _c = "CT" + _tt
    RULES += [
        (f"QT-{_c}c", _c + "c", "<=", _c + "a", f"Hồ sơ {_what} quá hạn không vượt số đã tiếp nhận"),
        (f"QT-{_c}bc", f"{_c}b + {_c}c", "<=", _c + "a",
         f"Hồ sơ {_what} đúng hạn và quá hạn không vượt số đã tiếp nhận"),
        (f"QT-{_c}d", _c + "d", "<=", _c + "c", "Thư xin lỗi không nhiều hơn hồ sơ quá hạn"),
    ]
RULES += [
    ("QT-CT6.1c", "CT6.1c", "<=", "CT6.1a", "Thẻ bảo hiểm y tế cấp cho người nghèo không vượt số người tham gia"),
    ("QT-CT2.2a", "CT2.2a", "<=", "CT6.5b", "Hộ nghèo, cận nghèo không vượt tổng số hộ"),
    ("QT-CT6.7b", "CT6.7b", "<=", "CT1.3b", "Thôn, tổ có tổ thu gom rác không vượt tổng số thôn, tổ"),
]

# The reporting line of plan 239 (IV.2): "UBND cấp xã báo cáo kết quả thực hiện về UBND cấp
# huyện (qua Phòng Nội vụ) để tổng hợp; các sở, ban, ngành, UBND các huyện, thị xã, thành
# phố báo cáo kết quả thực hiện về UBND tỉnh (qua Sở Nội vụ) trước ngày 15 của tháng cuối
# kỳ báo cáo": the 14th is the last day on time.
_TO_PROVINCE = "Báo cáo UBND tỉnh (qua Sở Nội vụ) trước ngày 15 của tháng cuối kỳ (Kế hoạch, mục IV.2)"
LINES = [
    (XA, "Cấp trên trực tiếp", "",
     "Báo cáo UBND cấp huyện (qua Phòng Nội vụ) để tổng hợp (Kế hoạch, mục IV.2); hạn nộp do "
     "UBND cấp huyện quy định"),
    (HUYEN, "Sở Nội vụ", 14, _TO_PROVINCE),
    ("Các sở, ban, ngành", "Sở Nội vụ", 14, _TO_PROVINCE),
    ("Tòa án nhân dân tỉnh; Công an tỉnh; Bảo hiểm xã hội tỉnh; Công ty Điện lực Lào Cai",
     "Sở Nội vụ", 14, "Cơ quan, doanh nghiệp được giao nhiệm vụ: báo cáo như các sở, ban, ngành"),
]


def read_table(path: Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
               ) -> list[dict]:
    """A CSV/TSV source without its '#' header comments (which name its sources)."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter=delimiter, quoting=quoting))


PLAN_SOURCE = "Kế hoạch 239/KH-UBND ngày 30/6/2022 (phần I)"
# Official names the GSO list abbreviates ("Thị trấn N.T Phong Hải": nông trường).
NAME_EXPANSIONS = {"N.T ": "Nông trường "}
# The plan's groups of 2021 (part I): the whole index and each dimension's group.
LOWEST, LOW_MID, HIGH_MID = ("nhóm đạt điểm thấp nhất", "nhóm đạt điểm trung bình thấp",
                             "nhóm đạt điểm trung bình cao")
# In the plan's order: the lowest group first (04/08), then 03/08, then 01/08.
GROUPS_2021 = {3: LOWEST, 4: LOWEST, 6: LOWEST, 7: LOWEST, 1: LOW_MID, 5: LOW_MID, 8: LOW_MID,
               2: HIGH_MID}


def _read_tsv(path: Path) -> list[dict]:
    return read_table(path, "\t", csv.QUOTE_NONE)  # quotes in the plan's text are text


# --------------------------------------------------------------------------- edits noted

EDITED_FIELDS = (("goc_tt", "TT", "TT"), ("goc_nhiem_vu", "nhiem_vu", "nhiệm vụ"),
                 ("goc_chu_tri", "chu_tri", "chủ trì"), ("goc_phoi_hop", "phoi_hop", "phối hợp"),
                 ("goc_thoi_han", "thoi_han", "thời hạn"))


def _norm(text: str) -> str:
    """Wording compared: spaces collapsed, a final full stop dropped."""
    text = " ".join(text.split())
    return text[:-1].rstrip() if text.endswith(".") else text


def changes(original: str, edited: str) -> list[tuple[str, str]]:
    """(original words, edited words) for each place the wording differs; added or dropped
    words are shown with the word on each side, so the note reads as a phrase."""
    a, b = _norm(original).split(), _norm(edited).split()
    out = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op != "replace" and a and b:
            if i1 > 0 and j1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            if i2 < len(a) and j2 < len(b):
                i2, j2 = i2 + 1, j2 + 1
        out.append((" ".join(a[i1:i2]), " ".join(b[j1:j2])))
    return out


def edit_note(rec: dict) -> str:
    """'Sửa so với bản gốc — nhiệm vụ: "…" → "…"; …' for every field whose wording differs
    from the plan's own (goc_* columns of the TSV); '' when none does."""
    parts = []
    for original_key, key, label in EDITED_FIELDS:
        original, edited = rec[original_key], rec[key]
        if _norm(original) == _norm(edited):
            continue
        if not _norm(original):
            parts.append(f'{label}: bản gốc để trống, ghi "{edited}"')
            continue
        shown = "; ".join(f'"{old}" → "{new}"' if old and new else
                          (f'bỏ "{old}"' if old else f'thêm "{new}"')
                          for old, new in changes(original, edited))
        parts.append(f"{label}: {shown}")
    return ("Sửa so với bản gốc — " + "; ".join(parts) + ".") if parts else ""


def ubnd_name(name: str) -> str:
    """'UBND huyện Bát Xát' for 'Huyện Bát Xát', 'UBND xã Tà Chải' for 'Xã Tà Chải'."""
    return "UBND " + name[0].lower() + name[1:]


def _full_name(name: str) -> str:
    for short, full in NAME_EXPANSIONS.items():
        name = name.replace(short, full)
    return name


def units_rows() -> list[list]:
    rows = [[c, n, s, "tinh", g, "", f"{c.lower()}@{DOMAIN}", a, ""]
            for c, n, s, g, a in DEPARTMENTS]
    for rec in read_table(SOURCES / "don-vi-hanh-chinh-lao-cai-2022.csv"):
        name = ubnd_name(_full_name(rec["ten"]))
        email = f"ubnd.{rec['ma']}@{DOMAIN}"
        group = "huyen" if rec["cap"] == "huyen" else "xa"
        # The GSO's own spelling stays a known alias (units and forms may use it).
        alias = ubnd_name(rec["ten"]) if _full_name(rec["ten"]) != rec["ten"] else ""
        rows.append([rec["ma"], name, _full_name(rec["ten"]), rec["cap"], group,
                     rec["ma_cap_tren"], email, alias, ""])
    return rows


def task_rows() -> list[list]:
    rows = []
    for rec in _read_tsv(SOURCES / "phu-luc-nhiem-vu.tsv"):
        confirm = "x" if "cần xác nhận" in rec["ghi_chu"] else ""
        note = " ".join(p for p in (edit_note(rec), rec["ghi_chu"]) if p)
        rows.append([rec["TT"], int(rec["noi_dung"]), rec["nhiem_vu"], rec["chu_tri"],
                     rec["phoi_hop"], rec["thoi_han"], note, confirm])
    return rows


def score_rows(path: Path = SOURCES / "papi-lao-cai.csv") -> list[list]:
    """Sheet DiemChiSo from the scores file: overall (dimension 0) and by dimension, each
    row with its source; a figure not published (empty) stays empty, never computed."""
    rows = []
    for rec in read_table(path):
        year = int(rec["nam"])
        score = float(rec["diem"]) if rec["diem"] else ""
        rank = int(rec["hang"]) if rec["hang"] else ""
        of = int(rec["so_tinh"]) if rec["so_tinh"] else ""
        rows.append([year, 0, score, rank, of, rec["nguon"], LOWEST if year == 2021 else ""])
        for dim in range(1, 9):
            if rec.get(f"d{dim}"):
                rows.append([year, dim, float(rec[f"d{dim}"]), "", "", rec["nguon"], ""])
    # The plan's own grouping of the 2021 dimensions (part I), without their scores.
    rows += [[2021, dim, "", "", "", PLAN_SOURCE, group] for dim, group in GROUPS_2021.items()]
    return rows


def indicator_rows(indicators=None) -> list[list]:
    width = len(SHEETS["ChiTieu"])
    rows = [list(i) + [""] * (width - len(i)) for i in (indicators or INDICATORS)]
    for row in rows:
        row[4] = row[4] or "sum"
    return rows


def content() -> dict[str, list[list]]:
    """The 2022 plan's sheets, row by row (no header)."""
    return {
        "KeHoach": [[k, v] for k, v in DETAILS],
        "NoiDung": [list(d) for d in DIMENSIONS],
        "NhiemVu": task_rows(),
        "DonVi": units_rows(),
        "NhomDonVi": [list(c) for c in CLASSES],
        "ChiTieu": indicator_rows(),
        "DiemChiSo": score_rows(),
        "QuyTac": [list(r) for r in RULES],
        "TuyenBaoCao": [list(line) for line in LINES],
    }


WIDTHS = {"KeHoach": [24, 90], "NhiemVu": [6, 8, 70, 36, 36, 24, 60, 10],
          "DonVi": [10, 40, 24, 8, 14, 12, 30, 40, 50], "ChiTieu": [10, 9, 70, 12, 12, 10, 10, 10, 40],
          "NoiDung": [6, 55, 28], "NhomDonVi": [50, 8, 12, 40],
          "DiemChiSo": [8, 10, 10, 10, 10, 80, 28], "ChuyenDoi": [10, 30, 10, 30, 60],
          "QuyTac": [16, 24, 8, 16, 70], "TuyenBaoCao": [50, 22, 10, 80]}


def build(path: Path = DEFAULT_PLAN) -> Path:
    """Write the default plan workbook (deterministic: fixed document properties)."""
    return write_workbook(path, content())


def write_workbook(path: Path, content: dict[str, list[list]]) -> Path:
    """A plan workbook from its sheets' rows, headers from plan.SHEETS, in that order."""
    content = {name: content[name] for name in SHEETS if name in content}
    book = new_workbook(path)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy", "align": "left"})
    for name, rows in content.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(SHEETS[name].values()), bold)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value, wrap)
                else:
                    sheet.write_number(r, c, value)
        for c, width in enumerate(WIDTHS[name]):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(rows), len(SHEETS[name]) - 1)
    book.close()
    return path
