"""One catalogue of finding codes and one message pattern.

A finding is a record (severity, code, file, sheet, cell, message), collected
into a list, never raised. Messages read "[Sheet!E12] what is wrong: rule. How
to fix." and are built only here, so tests can build expectations from CATALOGUE.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .text import nfc

# `code` is positional-only in the builders below so a rule may also use {code}.

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    severity: str
    text: str  # what is wrong; str.format fields filled from the finding's params
    fix: str  # how to fix it


# Codes: P = plan workbook, F = file (intake), R = report content, I = indicator.
CATALOGUE: dict[str, Rule] = {
    # --- plan workbook (baocao plan check) ---
    "P001": Rule(ERROR, "Thiếu trang tính '{name}' trong kế hoạch",
                 "Thêm trang tính với đúng tên và hàng tiêu đề như kế hoạch mẫu"),
    "P002": Rule(ERROR, "Thiếu cột '{name}' ở hàng tiêu đề",
                 "Thêm cột với đúng tên như kế hoạch mẫu"),
    "P003": Rule(ERROR, "Thiếu thông tin bắt buộc '{name}'",
                 "Điền giá trị vào ô này"),
    "P004": Rule(ERROR, "Số thứ tự nhiệm vụ '{tt}' bị trùng (đã có ở hàng {first})",
                 "Mỗi nhiệm vụ phải có một TT riêng"),
    "P005": Rule(ERROR, "Nhiệm vụ '{tt}' thuộc nội dung '{value}' không có trong trang NoiDung",
                 "Sửa số nội dung cho đúng hoặc thêm nội dung vào trang NoiDung"),
    "P006": Rule(ERROR, "Không nhận ra đơn vị hoặc nhóm đơn vị '{value}'",
                 "Ghi đúng tên đơn vị trong trang DonVi, tên nhóm trong trang NhomDonVi, "
                 "hoặc thêm tên này vào trang NhomDonVi nếu đó không phải đơn vị báo cáo"),
    "P007": Rule(ERROR, "Không hiểu thời hạn '{value}': {reason}",
                 "Ghi theo một trong các dạng: 'Trước 30/9/2022', 'Quý III/2022', "
                 "'Thường xuyên', 'Định kỳ hàng quý', 'Theo quy định'"),
    "P008": Rule(ERROR, "Chỉ tiêu tỷ lệ '{code}' trỏ tới mã '{value}' không có trong trang ChiTieu",
                 "Ghi đúng mã chỉ tiêu tử số và mẫu số"),
    "P009": Rule(ERROR, "Đơn vị '{code}' có đơn vị cấp trên '{value}' không có trong trang DonVi",
                 "Ghi đúng mã đơn vị cấp trên hoặc để trống nếu báo cáo thẳng về tỉnh"),
    "P010": Rule(ERROR, "Mã đơn vị '{code}' bị trùng (đã có ở hàng {first})",
                 "Mỗi đơn vị phải có một mã riêng"),
    "P011": Rule(ERROR, "Chỉ tiêu '{code}' gắn với nhiệm vụ '{value}' không có trong trang NhiemVu",
                 "Ghi đúng TT nhiệm vụ"),
    "P012": Rule(ERROR, "Cách tổng hợp '{value}' không hợp lệ",
                 "Ghi 'sum' (cộng dồn) hoặc 'ratio' (tỷ lệ, kèm mã tử số và mẫu số)"),
    "P013": Rule(ERROR, "Mã chỉ tiêu '{code}' bị trùng (đã có ở hàng {first})",
                 "Mỗi chỉ tiêu phải có một mã riêng"),
    "P014": Rule(ERROR, "Cấp đơn vị '{value}' không hợp lệ",
                 "Ghi một trong các cấp: tinh, huyen, xa"),
    "P015": Rule(ERROR, "Ngày '{value}' không hợp lệ",
                 "Ghi ngày theo dạng ngày/tháng/năm, ví dụ 30/6/2022"),
    "P016": Rule(ERROR, "Không đọc được tệp kế hoạch: {reason}",
                 "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi chạy lại"),
    "P017": Rule(WARNING, "Nhiệm vụ '{tt}' không có đơn vị chủ trì nào là đơn vị báo cáo",
                 "Kiểm tra lại cột Chủ trì"),
    "P018": Rule(WARNING, "Nhiệm vụ '{tt}' cần xác nhận: {value}",
                 "Cán bộ đầu mối đối chiếu với bản gốc của kế hoạch rồi xóa dấu cần xác nhận"),
    "P019": Rule(ERROR, "Mã đơn vị '{code}' có ký tự không hợp lệ",
                 "Mã đơn vị chỉ gồm chữ cái không dấu, chữ số, dấu gạch ngang"),
    "P020": Rule(ERROR, "Điểm chỉ số không hợp lệ: '{value}'",
                 "Ghi năm, số nội dung, điểm bằng số (ví dụ 2021, 1, 5,12); để trống cả hàng "
                 "nếu không dùng"),
}


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    file: str
    sheet: str
    cell: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def location(sheet: str = "", cell: str = "") -> str:
    if sheet and cell:
        return f"[{sheet}!{cell}] "
    if sheet:
        return f"[{sheet}] "
    return ""


def message_for(code: str, /, sheet: str = "", cell: str = "", **params) -> str:
    rule = CATALOGUE[code]
    return nfc(f"{location(sheet, cell)}{rule.text.format(**params)}. {rule.fix}.")


def finding(code: str, /, file: str = "", sheet: str = "", cell: str = "", **params) -> Finding:
    rule = CATALOGUE[code]
    return Finding(rule.severity, code, str(file), sheet, cell,
                   message_for(code, sheet, cell, **params))


def has_errors(findings) -> bool:
    return any(f.severity == ERROR for f in findings)
