"""Build the embedded default plan workbook (Lào Cai, 239/KH-UBND, 2022) from its sources.

Sources in input/sources/: the task table transcribed from the plan (TSV) and the
administrative units of Lào Cai before 1/7/2025 (CSV). Departments, indicators and
the PAPI baseline are below. Run `python -m generator.plan.default` to rewrite
input/ke-hoach.xlsx; a test checks the shipped file matches this builder.
"""

from __future__ import annotations

import csv
import datetime as dt
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
     "Đài Truyền thanh – Truyền hình; Đài Phát thanh – Truyền hình tỉnh"),
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
]

# code, task, name, unit of measure, aggregation, numerator, denominator
INDICATORS = [
    ("CT1.1a", "1.1", "Số kế hoạch, văn bản triển khai Pháp lệnh thực hiện dân chủ đã ban hành", "văn bản"),
    ("CT1.1b", "1.1", "Số hội nghị quán triệt Pháp lệnh thực hiện dân chủ", "hội nghị"),
    ("CT1.2a", "1.2", "Số hội nghị, buổi tuyên truyền về Chỉ số PAPI và Pháp lệnh thực hiện dân chủ", "hội nghị"),
    ("CT1.2b", "1.2", "Số lượt người tham dự hội nghị, buổi tuyên truyền", "lượt người"),
    ("CT1.2c", "1.2", "Số tin, bài, phóng sự tuyên truyền đã đăng, phát", "tin, bài"),
    ("CT1.3a", "1.3", "Số thôn, tổ dân phố có sổ ghi chép các khoản đóng góp tự nguyện", "thôn, tổ"),
    ("CT1.3b", "1.3", "Tổng số thôn, tổ dân phố", "thôn, tổ"),
    ("CT1.3r", "1.3", "Tỷ lệ thôn, tổ dân phố có sổ ghi chép các khoản đóng góp", "%", "ratio", "CT1.3a", "CT1.3b"),
    ("CT2.1a", "2.1", "Số cuộc tuyên truyền, phổ biến chính sách pháp luật", "cuộc"),
    ("CT2.1b", "2.1", "Số lượt người được tuyên truyền, phổ biến", "lượt người"),
    ("CT2.2a", "2.2", "Số hộ nghèo, hộ cận nghèo có tên trong danh sách được công khai", "hộ"),
    ("CT2.2b", "2.2", "Số lần niêm yết công khai danh sách và chế độ, chính sách", "lần"),
    ("CT2.3a", "2.3", "Số lần công khai dự toán, quyết toán thu, chi ngân sách cấp xã", "lần"),
    ("CT2.4a", "2.4", "Số quy hoạch, kế hoạch sử dụng đất được công khai", "văn bản"),
    ("CT2.5a", "2.5", "Số phương án bồi thường, hỗ trợ, tái định cư được công khai", "phương án"),
    ("CT2.6a", "2.6", "Số lần công khai bảng giá đất", "lần"),
    ("CT3.1a", "3.1", "Số cuộc gặp gỡ, tiếp xúc, đối thoại với người dân", "cuộc"),
    ("CT3.1b", "3.1", "Số lượt người dân tham dự gặp gỡ, đối thoại", "lượt người"),
    ("CT3.1c", "3.1", "Số ý kiến, kiến nghị của người dân được tiếp nhận", "ý kiến"),
    ("CT3.2a", "3.2", "Số lượt công dân được tiếp", "lượt người"),
    ("CT3.2b", "3.2", "Số đơn phản ánh, kiến nghị, khiếu nại, tố cáo đã tiếp nhận", "đơn"),
    ("CT3.2c", "3.2", "Số đơn phản ánh, kiến nghị, khiếu nại, tố cáo đã giải quyết", "đơn"),
    ("CT3.2r", "3.2", "Tỷ lệ đơn đã giải quyết", "%", "ratio", "CT3.2c", "CT3.2b"),
    ("CT3.3a", "3.3", "Số cuộc đối thoại trực tiếp của Chủ tịch UBND cấp huyện với người dân", "cuộc"),
    ("CT3.3b", "3.3", "Số lượt người dân tham dự đối thoại", "lượt người"),
    ("CT3.4a", "3.4", "Số vụ, việc đã thụ lý", "vụ, việc"),
    ("CT3.4b", "3.4", "Số vụ, việc đã giải quyết, xét xử", "vụ, việc"),
    ("CT3.4r", "3.4", "Tỷ lệ vụ, việc đã giải quyết, xét xử", "%", "ratio", "CT3.4b", "CT3.4a"),
    ("CT3.5a", "3.5", "Số lớp bồi dưỡng Ban Thanh tra nhân dân, Ban Giám sát đầu tư cộng đồng", "lớp"),
    ("CT3.5b", "3.5", "Số lượt người được bồi dưỡng", "lượt người"),
    ("CT4.1a", "4.1", "Số thủ tục hành chính đang áp dụng", "thủ tục"),
    ("CT4.1b", "4.1", "Số thủ tục hành chính đã công khai đầy đủ quy trình, thời gian, phí, lệ phí", "thủ tục"),
    ("CT4.1r", "4.1", "Tỷ lệ thủ tục hành chính được công khai đầy đủ", "%", "ratio", "CT4.1b", "CT4.1a"),
    ("CT4.2a", "4.2", "Số phiếu khảo sát mức độ hài lòng về dịch vụ y tế đã thu về", "phiếu"),
    ("CT4.2b", "4.2", "Số phiếu hài lòng về dịch vụ y tế", "phiếu"),
    ("CT4.2r", "4.2", "Tỷ lệ hài lòng về dịch vụ y tế", "%", "ratio", "CT4.2b", "CT4.2a"),
    ("CT4.3a", "4.3", "Số phiếu khảo sát mức độ hài lòng về dịch vụ giáo dục đã thu về", "phiếu"),
    ("CT4.3b", "4.3", "Số phiếu hài lòng về dịch vụ giáo dục", "phiếu"),
    ("CT4.3r", "4.3", "Tỷ lệ hài lòng về dịch vụ giáo dục", "%", "ratio", "CT4.3b", "CT4.3a"),
    ("CT4.4a", "4.4", "Số cuộc kiểm tra công vụ", "cuộc"),
    ("CT4.4b", "4.4", "Số cán bộ, công chức bị nhắc nhở, xử lý qua kiểm tra", "người"),
    ("CT4.5a", "4.5", "Số cuộc thanh tra, kiểm tra việc sử dụng ngân sách nhà nước", "cuộc"),
    ("CT4.5b", "4.5", "Số tiền kiến nghị thu hồi", "triệu đồng"),
    ("CT4.6a", "4.6", "Số cuộc tuyên truyền Luật Phòng, chống tham nhũng", "cuộc"),
    ("CT4.6b", "4.6", "Số lượt người dự tuyên truyền Luật Phòng, chống tham nhũng", "lượt người"),
    ("CT4.6c", "4.6", "Số vụ việc tham nhũng được phát hiện, xử lý", "vụ việc"),
]
for _tt, _what in (("5.1", "chứng thực, xác nhận"), ("5.2", "cấp phép xây dựng"),
                   ("5.3", "giấy chứng nhận quyền sử dụng đất")):
    _c = "CT" + _tt
    INDICATORS += [
        (_c + "a", _tt, f"Số hồ sơ {_what} đã tiếp nhận", "hồ sơ"),
        (_c + "b", _tt, f"Số hồ sơ {_what} giải quyết đúng hạn", "hồ sơ"),
        (_c + "c", _tt, f"Số hồ sơ {_what} giải quyết quá hạn", "hồ sơ"),
        (_c + "d", _tt, f"Số thư xin lỗi đã gửi do giải quyết hồ sơ {_what} quá hạn", "thư"),
        (_c + "r", _tt, f"Tỷ lệ hồ sơ {_what} giải quyết đúng hạn", "%", "ratio", _c + "b", _c + "a"),
    ]
INDICATORS += [
    ("CT6.1a", "6.1", "Số người tham gia bảo hiểm y tế", "người"),
    ("CT6.1b", "6.1", "Dân số trên địa bàn", "người"),
    ("CT6.1c", "6.1", "Số thẻ bảo hiểm y tế cấp cho người thuộc hộ nghèo", "thẻ"),
    ("CT6.1r", "6.1", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", "ratio", "CT6.1a", "CT6.1b"),
    ("CT6.2a", "6.2", "Số cơ sở y tế được kiểm tra", "cơ sở"),
    ("CT6.2b", "6.2", "Số trường hợp vi phạm tinh thần, thái độ phục vụ được xử lý", "trường hợp"),
    ("CT6.3a", "6.3", "Tổng số trường học", "trường"),
    ("CT6.3b", "6.3", "Số trường đạt chuẩn quốc gia", "trường"),
    ("CT6.3r", "6.3", "Tỷ lệ trường đạt chuẩn quốc gia", "%", "ratio", "CT6.3b", "CT6.3a"),
    ("CT6.4a", "6.4", "Số trường tiểu học được kiểm tra", "trường"),
    ("CT6.4b", "6.4", "Số trường hợp dạy thêm, thu sai quy định được chấn chỉnh", "trường hợp"),
    ("CT6.5a", "6.5", "Số hộ được sử dụng nước sạch", "hộ"),
    ("CT6.5b", "6.5", "Tổng số hộ trên địa bàn (nước sạch)", "hộ"),
    ("CT6.5r", "6.5", "Tỷ lệ hộ được sử dụng nước sạch", "%", "ratio", "CT6.5a", "CT6.5b"),
    ("CT6.6a", "6.6", "Số hộ được sử dụng điện lưới quốc gia", "hộ"),
    ("CT6.6b", "6.6", "Tổng số hộ trên địa bàn (điện)", "hộ"),
    ("CT6.6r", "6.6", "Tỷ lệ hộ được sử dụng điện lưới quốc gia", "%", "ratio", "CT6.6a", "CT6.6b"),
    ("CT6.7a", "6.7", "Khối lượng rác thải sinh hoạt được thu gom", "tấn"),
    ("CT6.7b", "6.7", "Số thôn, tổ dân phố có tổ thu gom rác thải", "thôn, tổ"),
    ("CT6.8a", "6.8", "Số mô hình bảo vệ an ninh, trật tự ở khu dân cư đang hoạt động", "mô hình"),
    ("CT6.8b", "6.8", "Số vụ phạm pháp hình sự xảy ra", "vụ"),
    ("CT7.1a", "7.1", "Số cuộc tuyên truyền bảo vệ môi trường", "cuộc"),
    ("CT7.1b", "7.1", "Số lượt người tham gia tuyên truyền bảo vệ môi trường", "lượt người"),
    ("CT7.2a", "7.2", "Số vấn đề môi trường được rà soát, xác định", "vấn đề"),
    ("CT7.2b", "7.2", "Số vấn đề môi trường đã giải quyết", "vấn đề"),
    ("CT7.2r", "7.2", "Tỷ lệ vấn đề môi trường đã giải quyết", "%", "ratio", "CT7.2b", "CT7.2a"),
    ("CT7.3a", "7.3", "Số cuộc thanh tra, kiểm tra xả thải", "cuộc"),
    ("CT7.3b", "7.3", "Số vụ vi phạm về xả thải bị xử lý", "vụ"),
    ("CT8.1a", "8.1", "Tổng số văn bản đi", "văn bản"),
    ("CT8.1b", "8.1", "Số văn bản đi được ký số, gửi trên môi trường điện tử", "văn bản"),
    ("CT8.1r", "8.1", "Tỷ lệ văn bản điện tử", "%", "ratio", "CT8.1b", "CT8.1a"),
    ("CT8.2a", "8.2", "Tổng số hồ sơ thủ tục hành chính đã tiếp nhận", "hồ sơ"),
    ("CT8.2b", "8.2", "Số hồ sơ trực tuyến mức độ 3, 4 đã tiếp nhận", "hồ sơ"),
    ("CT8.2r", "8.2", "Tỷ lệ hồ sơ trực tuyến mức độ 3, 4", "%", "ratio", "CT8.2b", "CT8.2a"),
    ("CT8.3a", "8.3", "Số thủ tục hành chính đã tích hợp lên Cổng Dịch vụ công", "thủ tục"),
    ("CT8.4a", "8.4", "Số tin, bài đăng trên cổng, trang thông tin điện tử", "tin, bài"),
    ("CT8.4b", "8.4", "Số ý kiến của người dân được phản hồi qua cổng thông tin điện tử", "ý kiến"),
    ("CT8.5a", "8.5", "Số thôn, tổ dân phố có internet băng rộng", "thôn, tổ"),
    ("CT8.5b", "8.5", "Tổng số thôn, tổ dân phố (internet)", "thôn, tổ"),
    ("CT8.5r", "8.5", "Tỷ lệ thôn, tổ dân phố có internet băng rộng", "%", "ratio", "CT8.5a", "CT8.5b"),
]

# PAPI scores (dimension 0 = the whole index): year, dimension, score, rank, of, group.
# 2021 and its groups from the plan's text (part I); 2020 as published (42,96 points, 27/63,
# by dimension), not worked back from the plan's "giảm 2,8 điểm, 21 bậc". Source of both:
# shared data papi-lao-cai.csv.
LOWEST, LOW_MID, HIGH_MID = ("nhóm đạt điểm thấp nhất", "nhóm đạt điểm trung bình thấp",
                             "nhóm đạt điểm trung bình cao")
# In the plan's order: the lowest group first (04/08), then 03/08, then 01/08.
GROUPS_2021 = {3: LOWEST, 4: LOWEST, 6: LOWEST, 7: LOWEST, 1: LOW_MID, 5: LOW_MID, 8: LOW_MID,
               2: HIGH_MID}
SCORES_2020 = (5.15, 5.61, 4.98, 6.72, 7.57, 6.74, 3.36, 2.83)
SCORES = [(2021, 0, 40.151, 49, 60, LOWEST),
          *((2021, d, "", "", "", group) for d, group in GROUPS_2021.items()),
          (2020, 0, 42.96, 27, 63, ""),
          *((2020, d, score, "", "", "") for d, score in enumerate(SCORES_2020, start=1))]
# Official names the GSO list abbreviates ("Thị trấn N.T Phong Hải": nông trường).
NAME_EXPANSIONS = {"N.T ": "Nông trường "}


def _read_tsv(path: Path) -> list[dict]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


# The TSV's notes on the scan, in Vietnamese for the officers who read the plan.
NOTES_VI = {
    "2.2": "Bản quét ghi \"UBND cấp xã\" ở cả cột chủ trì và phối hợp; đơn vị phối hợp được "
           "hiểu là UBND cấp huyện (chưa xác nhận)",
    "2.5": "Bản quét ghi \"phương án, đền bù\"; đơn vị phối hợp cuối bị cắt (\"UBND cấp\")",
    "4.1": "Bị ngắt qua trang trong bản quét; chủ trì đọc là \"Trung tâm Phục vụ HCC; UBND cấp "
           "huyện; UBND cấp xã\"",
    "4.2": "Chủ trì, phối hợp và thời hạn bị mất trong bản quét; điền theo nhiệm vụ 4.3, "
           "cần xác nhận cho đến khi cán bộ đầu mối đối chiếu bản gốc",
    "6.8": "Bị ngắt qua trang trong bản quét",
    "8.1": "Bản quét đánh số nội dung 8 (Quản trị điện tử) là \"7.4\" và các nhiệm vụ là "
           "7.1-7.5, trùng với nội dung 7; đã đánh số lại thành 8.1-8.5",
}


def _note_vi(tt: str, note: str) -> str:
    if tt in NOTES_VI:
        return NOTES_VI[tt]
    if note.startswith("scan:"):
        return "Bản quét ghi: " + note[len("scan:"):].strip()
    return note


def _district_name(name: str) -> str:
    return "UBND " + name[0].lower() + name[1:]


def _full_name(name: str) -> str:
    for short, full in NAME_EXPANSIONS.items():
        name = name.replace(short, full)
    return name


def units_rows() -> list[list]:
    rows = [[c, n, s, "tinh", g, "", f"{c.lower()}@{DOMAIN}", a] for c, n, s, g, a in DEPARTMENTS]
    lines = (SOURCES / "don-vi-hanh-chinh-lao-cai-2022.csv").read_text(encoding="utf-8")
    data = [ln for ln in lines.splitlines() if not ln.startswith("#")]
    for rec in csv.DictReader(data):
        name = _district_name(_full_name(rec["ten"]))
        email = f"ubnd.{rec['ma']}@{DOMAIN}"
        group = "huyen" if rec["cap"] == "huyen" else "xa"
        # The GSO's own spelling stays a known alias (units and forms may use it).
        alias = _district_name(rec["ten"]) if _full_name(rec["ten"]) != rec["ten"] else ""
        rows.append([rec["ma"], name, _full_name(rec["ten"]), rec["cap"], group,
                     rec["ma_cap_tren"], email, alias])
    return rows


def task_rows() -> list[list]:
    rows = []
    for rec in _read_tsv(SOURCES / "phu-luc-nhiem-vu.tsv"):
        confirm = "x" if "cần xác nhận" in rec["ghi_chu"] else ""
        note = _note_vi(rec["TT"], rec["ghi_chu"])
        rows.append([rec["TT"], int(rec["noi_dung"]), rec["nhiem_vu"], rec["chu_tri"],
                     rec["phoi_hop"], rec["thoi_han"], note, confirm])
    return rows


def build(path: Path = DEFAULT_PLAN) -> Path:
    """Write the default plan workbook (deterministic: fixed document properties)."""
    indicator_rows = [list(i) + [""] * (7 - len(i)) for i in INDICATORS]
    for row in indicator_rows:
        row[4] = row[4] or "sum"
    content = {
        "KeHoach": [[k, v] for k, v in DETAILS],
        "NoiDung": [list(d) for d in DIMENSIONS],
        "NhiemVu": task_rows(),
        "DonVi": units_rows(),
        "NhomDonVi": [list(c) for c in CLASSES],
        "ChiTieu": indicator_rows,
        "DiemChiSo": [list(s) for s in SCORES],
    }
    widths = {"KeHoach": [24, 90], "NhiemVu": [6, 8, 70, 36, 36, 24, 40, 10],
              "DonVi": [10, 40, 24, 8, 14, 12, 30, 40], "ChiTieu": [10, 9, 70, 12, 12, 10, 10],
              "NoiDung": [6, 55, 28], "NhomDonVi": [50, 8, 12, 40], "DiemChiSo": [8, 10, 10, 10, 10, 28]}
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
        for c, width in enumerate(widths[name]):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(rows), len(SHEETS[name]) - 1)
    book.close()
    return path


if __name__ == "__main__":
    print(build())
