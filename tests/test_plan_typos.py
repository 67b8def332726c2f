"""`plan check` on a plan with a typo: the finding names the sheet, the cell and the fix,
for a header of any column of any sheet, a sheet name, and the values that have a fixed
vocabulary or refer to another sheet (free text — names, task wording — cannot be told
from a typo, except where another sheet refers to it, tested in test_plan.py)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from generator import findings as F
from generator.plan.workbook import OPTIONAL_COLUMNS, SHEETS, check_plan
from generator.workspace import SHIPPED_PLANS

PLANS = {name: path for name, path in SHIPPED_PLANS.items()}


def typo(label: str) -> str:
    """The label with its middle letter dropped."""
    middle = len(label) // 2
    return label[:middle] + label[middle + 1:]


def broken(tmp_path, plan: str, change) -> Path:
    book = openpyxl.load_workbook(PLANS[plan])
    change(book)
    path = tmp_path / f"{plan}-loi.xlsx"
    book.save(path)
    return path


def header_cases():
    for plan, path in PLANS.items():
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.sheetnames:
            fields = {label: key for key, label in SHEETS[sheet].items()}
            header = next(book[sheet].iter_rows(values_only=True))
            for col, label in enumerate(header):
                yield plan, sheet, col, label, fields[label]


HEADERS = list(header_cases())


@pytest.mark.parametrize("plan,sheet,col,label,key", HEADERS,
                         ids=[f"{h[0]}-{h[1]}-{h[3]}" for h in HEADERS])
def test_a_header_typo_is_named_at_its_cell(tmp_path, plan, sheet, col, label, key):
    cell = xl_rowcol_to_cell(0, col)

    def change(book):
        book[sheet][cell] = typo(label)

    found = check_plan(broken(tmp_path, plan, change))[1]
    hits = [f for f in found if f.sheet == sheet and f.cell == cell]
    assert hits, [f.message for f in found]
    hit = hits[0]
    if key in OPTIONAL_COLUMNS:
        assert (hit.code, hit.severity) == ("P021", F.WARNING)
        assert hit.message == F.message_for("P021", sheet, cell, value=typo(label), name=label)
    else:
        assert (hit.code, hit.severity) == ("P002", F.ERROR)
        assert hit.message == F.message_for("P002", sheet, cell, name=label,
                                            seen=f" (ô này ghi '{typo(label)}')")
    assert f"[{sheet}!{cell}]" in hit.message and f"'{label}'" in hit.message


def test_a_sheet_name_typo_names_the_sheet(tmp_path):
    def change(book):
        book["NhiemVu"].title = "NhiemVuu"

    plan, found = check_plan(broken(tmp_path, "lao-cai-2022", change))
    assert plan is None
    [hit] = [f for f in found if f.code == "P001"]
    assert hit.sheet == "NhiemVuu"
    assert hit.message.startswith("[NhiemVuu] Thiếu trang tính 'NhiemVu' trong kế hoạch "
                                  "(trang 'NhiemVuu' có phải là trang này?)")


def row_of(sheet, col: str, value) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet[f"{col}{row}"].value == value:
            return row
    raise AssertionError(value)


def set_in_row(sheet, key_col, key, col, value):
    def change(book):
        ws = book[sheet]
        ws[f"{col}{row_of(ws, key_col, key)}"] = value
    return change


def cell_in_row(path, sheet, key_col, key, col) -> str:
    ws = openpyxl.load_workbook(path)[sheet]
    return f"{col}{row_of(ws, key_col, key)}"


# plan, sheet, key column, key, column changed, typed value, code, severity, params
VALUES = [
    ("lao-cai-2022", "KeHoach", "A", "Số kế hoạch", "A", "Số kế hoạc", "P026", F.ERROR,
     {"value": "Số kế hoạc", "name": "Số kế hoạch"}),
    ("lao-cai-2022", "KeHoach", "A", "Địa danh", "A", "Địa dan", "P021", F.WARNING,
     {"value": "Địa dan", "name": "Địa danh"}),
    ("lao-cai-2022", "KeHoach", "A", "Năm kế hoạch", "B", "2O22", "P027", F.ERROR,
     {"value": "2O22", "name": "Năm kế hoạch", "example": "2022"}),
    ("lao-cai-2022", "KeHoach", "A", "Mã đơn vị đầu mối", "B", "SNVV", "P009", F.ERROR,
     {"code": "đầu mối", "value": "SNVV"}),
    ("lao-cai-2022", "KeHoach", "A", "Email đầu mối", "B", "snv@laocai,gov.vn", "P023",
     F.WARNING, {"code": "đầu mối", "value": "snv@laocai,gov.vn"}),
    ("lao-cai-2022", "NoiDung", "C", "Quản trị điện tử", "A", "8a", "P027", F.ERROR,
     {"value": "8a", "name": "Số", "example": "1"}),
    ("lao-cai-2022", "NhiemVu", "A", "2.3", "B", 3, "P028", F.WARNING,
     {"tt": "2.3", "dimension": 3, "_at": "A"}),
    ("lao-cai-2022", "NhiemVu", "A", "2.3", "H", "có lẽ", "P029", F.WARNING,
     {"value": "có lẽ"}),
    ("lao-cai-2022", "DonVi", "A", "STP", "E", "so-ngnah", "P022", F.WARNING,
     {"value": "so-ngnah", "name": "so-nganh"}),
    ("lao-cai-2022", "DonVi", "A", "STP", "G", "stp@laocai", "P023", F.WARNING,
     {"code": "STP", "value": "stp@laocai"}),
    ("lao-cai-2022", "DonVi", "A", "STP", "B", None, "P003", F.ERROR, {"name": "Tên đơn vị"}),
    ("lao-cai-2022", "NhomDonVi", "A", "UBND cấp xã", "B", "xaa", "P014", F.ERROR,
     {"value": "xaa"}),
    ("lao-cai-2022", "NhomDonVi", "A", "Các sở, ban, ngành", "C", "so-ngnah", "P022",
     F.WARNING, {"value": "so-ngnah", "name": "so-nganh"}),
    ("lao-cai-2022", "DiemChiSo", "F", None, "B", 9, "P020", F.ERROR, {"value": "9"}),
    ("lao-cai-2025", "ChuyenDoi", "A", "02872", "C", "02893", "P024", F.ERROR,
     {"code": "02872", "value": "02893"}),
    ("lao-cai-2025", "ChuyenDoi", "A", "02875", "A", "02872", "P025", F.ERROR,
     {"code": "02872", "first": None}),
    ("lao-cai-2025", "ChuyenDoi", "A", "02872", "D", "Xã Bắc Hàa", "P030", F.WARNING,
     {"code": "02872", "value": "Xã Bắc Hàa", "name": "Xã Bắc Hà"}),
]


@pytest.mark.parametrize("plan,sheet,key_col,key,col,value,code,severity,params", VALUES,
                         ids=[f"{v[1]}-{v[6]}-{v[5]}" for v in VALUES])
def test_a_value_typo_is_named_at_its_cell(tmp_path, plan, sheet, key_col, key, col, value,
                                           code, severity, params):
    params = dict(params)  # the case's own copy: "_at" is taken out below
    if key is None:  # DiemChiSo: the first row
        def change(book):
            book[sheet][f"{col}2"] = value
        cell = f"{col}2"
    else:
        change = set_in_row(sheet, key_col, key, col, value)
        cell = cell_in_row(PLANS[plan], sheet, key_col, key, params.pop("_at", col))
    path = broken(tmp_path, plan, change)
    loaded, found = check_plan(path)
    hits = [f for f in found if f.code == code and f.sheet == sheet and f.cell == cell]
    assert hits, [(f.code, f.cell, f.message) for f in found]
    hit = hits[0]
    assert hit.severity == severity
    if params.get("first", "") is None:  # the row the duplicate was first seen on
        params = {**params, "first": int(cell_in_row(PLANS[plan], sheet, "A", "02872", "A")[1:])}
    assert hit.message == F.message_for(code, sheet, cell, **params)
    assert (loaded is None) == (severity == F.ERROR)
