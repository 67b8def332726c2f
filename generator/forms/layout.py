"""The layout contract of a unit's form, shared by forms (writer) and intake (reader).

Rows are found by their TT and indicator code, never by position; unit-level cells
by their label. The identity sheet is very hidden and signed with HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac

TEMPLATE_VERSION = "1"

SHEET_GUIDE = "Hướng dẫn"
SHEET_REPORT = "Báo cáo"
SHEET_INDICATORS = "Chỉ tiêu"
SHEET_IDENTITY = "_baocao"

# Report sheet columns (header labels; DESIGN.md names the first seven).
REPORT_COLUMNS = {
    "tt": "TT",
    "text": "Nội dung nhiệm vụ",
    "role": "Vai trò",
    "deadline": "Thời hạn",
    "status": "Tình trạng",
    "completed_on": "Ngày hoàn thành",
    "result": "Kết quả thực hiện",
    "difficulty": "Khó khăn, vướng mắc",
}
INDICATOR_COLUMNS = {
    "code": "Mã chỉ tiêu",
    "name": "Chỉ tiêu",
    "unit": "Đơn vị tính",
    "value": "Giá trị",
}
# Unit-level cells below the task table: the label cell, value in the cell to its right.
UNIT_FIELDS = {
    "difficulties": "Khó khăn, vướng mắc chung của đơn vị",
    "proposals": "Đề xuất, kiến nghị",
    "preparer": "Người lập biểu",
    "phone": "Số điện thoại",
    "prepared_on": "Ngày lập báo cáo",
    "head": "Thủ trưởng đơn vị",
}
REQUIRED_UNIT_FIELDS = ("preparer", "phone", "head")

# Identity sheet: key in column A, value in column B, in this order.
IDENTITY_FIELDS = ("form_id", "plan_number", "plan_version", "unit", "period",
                   "template_version")
SIGNATURE_FIELD = "signature"


def form_id(unit: str, period: str, plan_version: str) -> str:
    """Deterministic, so forms are byte-for-byte reproducible."""
    return f"{unit}-{period}-{plan_version[:8]}"


def signed_identity(plan, unit_code: str, period, key: bytes) -> dict:
    """The identity of a unit's form or return for a period, with its signature."""
    period = str(period)
    fields = {"form_id": form_id(unit_code, period, plan.version), "plan_number": plan.number,
              "plan_version": plan.version, "unit": unit_code, "period": period,
              "template_version": TEMPLATE_VERSION}
    fields[SIGNATURE_FIELD] = sign(key, fields)
    return fields


def sign(key: bytes, identity: dict) -> str:
    message = "|".join(str(identity.get(k, "")) for k in IDENTITY_FIELDS)
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(key: bytes, identity: dict) -> bool:
    expected = sign(key, identity)
    return hmac.compare_digest(expected, str(identity.get(SIGNATURE_FIELD, "")))


# A district's consolidated return (written by `collect --scope`) carries its communes'
# detail on this sheet, one row per item, so the province's intake can read it as the
# district's submission with children. Kinds name what a row holds.
SHEET_CHILDREN = "Chi tiết đơn vị"
CHILD_COLUMNS = {
    "unit": "Mã đơn vị",
    "kind": "Loại",
    "key": "Mã",  # task TT, indicator code, or the unit field name
    "status": "Tình trạng",
    "completed_on": "Ngày hoàn thành",
    "text": "Nội dung",  # result text, or the unit field's text
    "value": "Giá trị",  # indicator value
}
CHILD_KINDS = {"task": "Nhiệm vụ", "indicator": "Chỉ tiêu", "field": "Thông tin đơn vị"}
