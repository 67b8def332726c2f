"""Build the second shipped plan: today's Lào Cai (two-level government since 1/7/2025).

Lào Cai and Yên Bái merged into the new Lào Cai province (code 15); districts were
abolished, the 99 commune-level units report straight to the province. The plan keeps
the 39 tasks, 8 dimensions and indicators of plan 239/KH-UBND (2022), re-addressed to
today's bodies (sources/nhiem-vu-lao-cai-2025.tsv, each change noted in the task's
note), with the provincial bodies after the 2025 mergers (sources/co-quan-lao-cai-2025.tsv,
"cần xác nhận" where not confirmed) and the communes of Nghị quyết 1673/NQ-UBTVQH15
(sources/lao-cai-2025-xa.csv). Sheet ChuyenDoi maps each pre-2025 commune to the new
one it became part of, for comparisons across the reform (crosswalk.py).
Written by the shared builder: `python -m generator.default_plan` rewrites both plans.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from generator.plan import default as base
from generator.workspace import SHIPPED_PLANS

PLAN = SHIPPED_PLANS["lao-cai-2025"]
SOURCES = base.SOURCES

DETAILS = [
    ("Số kế hoạch", "…/KH-UBND"),
    ("Ngày ban hành", dt.date(2025, 7, 1)),
    ("Cơ quan ban hành", "UBND tỉnh Lào Cai"),
    ("Tên kế hoạch", "Kế hoạch cải thiện Chỉ số Hiệu quả quản trị và Hành chính công cấp tỉnh "
                     "(PAPI) của tỉnh Lào Cai năm 2025"),
    ("Tên chỉ số", "PAPI"),
    ("Năm kế hoạch", 2025),
    ("Địa danh", "Lào Cai"),
    ("Mã đơn vị đầu mối", "SNV"),
    ("Email đầu mối", f"snv@{base.DOMAIN}"),
    ("Ghi chú", "Kế hoạch mẫu cho tỉnh Lào Cai sau sắp xếp (hợp nhất Lào Cai và Yên Bái, "
                "chính quyền hai cấp từ 01/7/2025): 39 nhiệm vụ của Kế hoạch 239/KH-UBND ngày "
                "30/6/2022 giao lại cho các cơ quan, đơn vị hiện nay. Số, ngày ban hành và các "
                "thời hạn (năm 2022 đổi thành năm 2025) là giả định: cần xác nhận khi UBND tỉnh "
                "ban hành kế hoạch. Địa chỉ thư điện tử của các đơn vị là dữ liệu mẫu. Tỉnh mới "
                "chưa có điểm Chỉ số PAPI công bố; điểm của tỉnh Lào Cai cũ ở kế hoạch năm 2022."),
]

CLASSES = [
    ("UBND cấp xã", "xa", "", "Mọi UBND xã, phường"),
    ("Chủ tịch UBND cấp xã", "xa", "", "Báo cáo qua UBND cấp xã"),
    ("Các sở, ban, ngành", "", "so-nganh", "Các sở, ban, ngành thuộc UBND tỉnh"),
    ("Tổ trưởng tổ dân phố", "", "", "Không phải đơn vị báo cáo"),
    ("Trưởng thôn", "", "", "Không phải đơn vị báo cáo"),
    ("Đoàn thể cấp xã", "", "", "Không phải đơn vị báo cáo"),
    ("Các Tòa thuộc Tòa án nhân dân tỉnh", "", "", "Báo cáo qua Tòa án nhân dân tỉnh"),
    ("Tòa án nhân dân khu vực", "", "", "Báo cáo qua Tòa án nhân dân tỉnh"),
    ("Công an cấp xã", "", "", "Báo cáo qua Công an tỉnh"),
    ("Các cơ quan liên quan", "", "", "Không phải đơn vị báo cáo"),
    ("Các đơn vị, địa phương liên quan", "", "", "Không phải đơn vị báo cáo"),
    ("Các cơ quan, đơn vị có cổng thông tin điện tử thành viên", "", "",
     "Không phải đơn vị báo cáo"),
    ("Các doanh nghiệp viễn thông", "", "", "Không phải đơn vị báo cáo"),
    ("Các đơn vị có liên quan", "", "", "Không phải đơn vị báo cáo"),
]

# Indicator names that name a body or law of 2022 that no longer exists.
RENAMED = (("Pháp lệnh thực hiện dân chủ", "Luật Thực hiện dân chủ ở cơ sở"),
           ("Chủ tịch UBND cấp huyện", "Chủ tịch UBND cấp xã"))

# The mapping file lists the communes of 30/6/2025; Tà Chải had left them on 1/11/2024.
EXTRA_LINKS = [
    ("02872", "Xã Tà Chải", "02839", "Xã Bắc Hà",
     "Xã Tà Chải nhập vào thị trấn Bắc Hà từ 01/11/2024 (Nghị quyết 1197/NQ-UBTVQH15); thị "
     "trấn Bắc Hà là một phần của xã Bắc Hà từ 01/7/2025 (Nghị quyết 1673/NQ-UBTVQH15)."),
]


def departments() -> list[dict]:
    return base.read_table(SOURCES / "co-quan-lao-cai-2025.tsv", "\t", csv.QUOTE_NONE)


def units_rows() -> list[list]:
    rows = [[d["ma"], d["ten"], d["ten_ngan"], "tinh", d["khoi"], "",
             f"{d['ma'].lower()}@{base.DOMAIN}", d["ten_goi_khac"], d["ghi_chu"]]
            for d in departments()]
    communes = sorted(base.read_table(SOURCES / "lao-cai-2025-xa.csv"), key=lambda r: r["ma"])
    for rec in communes:
        rows.append([rec["ma"], base.ubnd_name(rec["ten"]), rec["ten"], "xa", "xa", "",
                     f"ubnd.{rec['ma']}@{base.DOMAIN}", "", ""])
    return rows


def _was(label: str, before: str, after: str) -> str:
    return f'{label} năm 2022 "{before}"' if before != after else ""


def task_rows() -> list[list]:
    """The 2022 tasks, re-addressed; the note says what changed from 2022 and why."""
    old = {r["TT"]: r for r in base._read_tsv(SOURCES / "phu-luc-nhiem-vu.tsv")}
    rows = []
    for rec in base._read_tsv(SOURCES / "nhiem-vu-lao-cai-2025.tsv"):
        before = old[rec["TT"]]
        text = rec["nhiem_vu"] or before["nhiem_vu"]
        changed = [p for p in (_was("chủ trì", before["chu_tri"], rec["chu_tri"]),
                               _was("phối hợp", before["phoi_hop"], rec["phoi_hop"])) if p]
        if text != before["nhiem_vu"]:
            shown = "; ".join(f'"{a}" → "{b}"' for a, b in base.changes(before["nhiem_vu"], text))
            changed.append(f"nội dung: {shown}")
        note = ("Đổi so với Kế hoạch 239/KH-UBND năm 2022 — " + "; ".join(changed) + ". "
                if changed else "") + rec["ghi_chu"]
        confirm = "x" if "cần xác nhận" in rec["ghi_chu"] else ""
        rows.append([rec["TT"], int(before["noi_dung"]), text, rec["chu_tri"], rec["phoi_hop"],
                     rec["thoi_han"], note.strip(), confirm])
    return rows


# Who reports an indicator in 2025: the district level's figures are the communes'; a
# merged department's are its successor's.
LEVEL_BODIES = {base.HUYEN: base.XA, "Sở Thông tin và Truyền thông": "Sở Khoa học và Công nghệ"}


def indicators() -> list[tuple]:
    """The 2022 indicators, renamed; a figure districts reported is the communes' now (the
    district level was abolished on 1/7/2025 and its functions went to the communes)."""
    out = []
    for item in base.INDICATORS:
        name = item[2]
        for before, after in RENAMED:
            name = name.replace(before, after)
        levels = [LEVEL_BODIES.get(part.strip(), part.strip()) for part in item[8].split(";")]
        levels = "; ".join(dict.fromkeys(p for p in levels if p))
        out.append((*item[:2], name, *item[3:8], levels, *item[9:]))
    return out


def link_rows() -> list[list]:
    rows = [[r["ma_cu"], r["ten_cu"], r["ma_moi"], r["ten_moi"], ""]
            for r in base.read_table(SOURCES / "lao-cai-2025-tu-cu-sang-moi.csv")]
    rows += [list(extra) for extra in EXTRA_LINKS]
    return sorted(rows, key=lambda r: r[0])


def content() -> dict[str, list[list]]:
    return {
        "KeHoach": [[k, v] for k, v in DETAILS],
        "NoiDung": [list(d) for d in base.DIMENSIONS],
        "NhiemVu": task_rows(),
        "DonVi": units_rows(),
        "NhomDonVi": [list(c) for c in CLASSES],
        "ChiTieu": base.indicator_rows(indicators()),
        "ChuyenDoi": link_rows(),
    }


def build(path: Path = PLAN) -> Path:
    return base.write_workbook(path, content())


if __name__ == "__main__":
    print(build())
