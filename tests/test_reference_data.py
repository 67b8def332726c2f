"""Reference data true to its sources (issue 14): the 2022 plan, today's Lào Cai, the
deadline of "trước ngày 15", and figures carried over the 2025 reorganisation."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from generator import findings as F
from generator.consolidate import crosswalk
from generator.consolidate.build import consolidate
from generator.ledger.status import StatusReport, UnitStatus
from generator.model import Receipt, Submission
from generator.plan.default import EDITED_FIELDS, SOURCES, _norm, _read_tsv
from generator.plan.lao_cai_2025 import build as build_2025
from generator.plan.periods import parse_period
from generator.plan.workbook import check_plan, load_plan
from generator.vocab import ON_TIME
from generator.workspace import (
    DEFAULT_CONFIG,
    DEFAULT_DEADLINE_DAYS,
    SHIPPED_PLANS,
    init_workspace,
    tomllib,
)

PLAN_2025 = SHIPPED_PLANS["lao-cai-2025"]


def table(name: str) -> list[dict]:
    lines = [ln for ln in (SOURCES / name).read_text(encoding="utf-8").splitlines()
             if not ln.startswith("#")]
    return list(csv.DictReader(lines))


@pytest.fixture(scope="module")
def plan_2025():
    return load_plan(PLAN_2025)


# --------------------------------------------------------------------------- the 2022 plan


def test_152_communes_in_mid_2022_with_ta_chai(default_plan):
    communes = [u for u in default_plan.units.values() if u.level == "xa"]
    districts = [u for u in default_plan.units.values() if u.level == "huyen"]
    assert len(communes) == 152 and len(districts) == 9
    kinds = [u.short.split(" ")[0] for u in communes]
    assert (kinds.count("Xã"), kinds.count("Phường"), kinds.count("Thị")) == (127, 16, 9)
    ta_chai = default_plan.units["02872"]
    assert (ta_chai.short, ta_chai.parent, ta_chai.level) == ("Xã Tà Chải", "085", "xa")
    assert ta_chai in default_plan.children("085")
    assert len(default_plan.units) == 182


def test_papi_scores_are_the_published_ones_with_their_sources(default_plan):
    overall = {s["year"]: s for s in default_plan.scores if s["dimension"] == 0}
    assert (overall[2020]["score"], overall[2020]["rank"], overall[2020]["of"]) == (42.96, 27, 63)
    assert (overall[2021]["score"], overall[2021]["rank"], overall[2021]["of"]) == \
        (40.151, 49, 60)
    assert overall[2022]["score"] is None  # not found: no figure worked back from the ranks
    assert "cần xác nhận" in overall[2022]["source"]
    assert all(s["source"] for s in default_plan.scores)
    assert not any(s["score"] == 42.951 for s in default_plan.scores)
    book = openpyxl.load_workbook(SHIPPED_PLANS["lao-cai-2022"], read_only=True)
    header = next(book["DiemChiSo"].iter_rows(values_only=True))
    assert header == ("Năm", "Nội dung", "Điểm", "Xếp hạng", "Số tỉnh", "Nguồn", "Nhóm")


def test_every_change_of_the_plans_wording_is_noted(default_plan):
    """The TSV keeps the plan's own wording (goc_*); each field used that differs from it
    (beyond spaces and a final full stop) is named in the task's note."""
    rows = {r["TT"]: r for r in _read_tsv(SOURCES / "phu-luc-nhiem-vu.tsv")}
    notes = {t.tt: t.note for t in default_plan.tasks}
    edited = 0
    for tt, row in rows.items():
        for original, used, label in EDITED_FIELDS:
            if _norm(row[original]) != _norm(row[used]):
                edited += 1
                assert f"{label}:" in notes[tt], (tt, label)
    assert edited > 40
    # The silent edits the issue found, each noted with the plan's own words.
    assert '"lệnh dân" → "lệnh thực hiện dân"' in notes["1.1"]
    assert '"Danh" → "Công khai danh"' in notes["2.2"]
    assert '"hoạch đất" → "hoạch sử dụng đất"' in notes["2.4"]
    task_84 = default_plan.task("8.4")
    assert "phúc đáp" in task_84.text and "phản hồi" not in task_84.text
    assert '"phục" → "phúc"' in task_84.note


def test_guessed_partners_are_to_confirm_and_plan_check_names_the_cells(default_plan):
    assert [t.tt for t in default_plan.tasks if t.confirm] == ["2.2", "2.5", "4.2"]
    _plan, found = check_plan(SHIPPED_PLANS["lao-cai-2022"])
    cells = {(f.sheet, f.cell): f for f in found}
    assert set(cells) == {("NhiemVu", "G6"), ("NhiemVu", "G9"), ("NhiemVu", "G17"),
                          ("DiemChiSo", "F12")}
    assert all(f.code == "P018" and f.severity == F.WARNING for f in found)
    assert cells["NhiemVu", "G9"].message.startswith(
        "[NhiemVu!G9] Nhiệm vụ '2.5' cần xác nhận: Đơn vị phối hợp cuối bị cắt")
    assert cells["DiemChiSo", "F12"].message.startswith(
        "[DiemChiSo!F12] Điểm chỉ số năm 2022 cần xác nhận: suy ra")


def test_district_broadcasters_are_not_the_provincial_one(default_plan):
    task = default_plan.task("1.2")
    assert "DPTTH" not in task.partners
    assert "Đài Truyền thanh – Truyền hình" in task.other_partners
    assert "đài cấp huyện" in task.note


def test_before_the_15th_means_the_14th_is_the_last_day_on_time():
    q3 = parse_period("2022-Q3")
    assert q3.deadline("tinh") == q3.deadline("huyen") == dt.date(2022, 9, 14)
    assert q3.deadline("xa") == dt.date(2022, 9, 10)  # communes keep their own day
    config = tomllib.loads(DEFAULT_CONFIG)["deadlines"]
    assert config == DEFAULT_DEADLINE_DAYS == {"xa": 10, "huyen": 14, "tinh": 14}


# --------------------------------------------------------------------------- the 2025 plan


def test_2025_plan_has_the_99_communes_of_the_resolution(plan_2025):
    plan, found = check_plan(PLAN_2025)
    assert plan is not None and not F.has_errors(found)
    listed = table("lao-cai-2025-xa.csv")
    communes = {c: u for c, u in plan_2025.units.items() if u.level == "xa"}
    assert len(communes) == 99
    assert set(communes) == {r["ma"] for r in listed}
    assert {c: communes[c].short for c in communes} == {r["ma"]: r["ten"] for r in listed}
    kinds = [u.short.split(" ")[0] for u in communes.values()]
    assert (kinds.count("Xã"), kinds.count("Phường")) == (89, 10)
    # Two levels: no district, every commune reports straight to the province.
    assert not any(u.level == "huyen" for u in plan_2025.units.values())
    assert all(not u.parent for u in communes.values())
    assert plan_2025.recipient_email(communes["04465"]) == "snv@laocai.gov.vn"


def test_2025_tasks_are_re_addressed_and_each_change_noted(plan_2025, default_plan):
    assert [t.tt for t in plan_2025.tasks] == [t.tt for t in default_plan.tasks]
    for before, task in zip(default_plan.tasks, plan_2025.tasks, strict=True):
        assert "huyện" not in f"{task.lead_text} {task.partner_text}", task.tt
        assert task.leads, task.tt  # every task has a reporting lead
        if (before.lead_text, before.partner_text) != (task.lead_text, task.partner_text):
            assert "năm 2022" in task.note, task.tt
    communes = {c for c, u in plan_2025.units.items() if u.level == "xa"}
    assert set(plan_2025.task("3.5").leads) == communes  # a district task, now the communes'
    assert plan_2025.task("6.5").leads == ("SNNMT",)  # NN&PTNT merged into NN&MT
    assert plan_2025.task("8.1").leads == ("SKHCN",)  # TT&TT merged into KH&CN
    assert "Luật Thực hiện dân chủ ở cơ sở" in plan_2025.task("1.1").text


def test_2025_bodies_not_confirmed_are_warnings(plan_2025):
    _plan, found = check_plan(PLAN_2025)
    to_confirm = {f.message.split("'")[1] for f in found
                  if f.code == "P018" and f.sheet == "DonVi"}
    assert to_confirm == {"SVHTTDL", "SDTTG", "SNGV", "TTPVHCC", "BPTTH", "BHXH", "PCLC"}
    merged = {"SNV", "STC", "SNNMT", "SXD", "SKHCN"}
    assert merged <= set(plan_2025.units)
    assert not {"SKHDT", "SLDTBXH", "STNMT", "SNNPTNT", "STTTT", "SGTVTXD"} & set(plan_2025.units)


def test_2025_mapping_covers_every_2022_commune(plan_2025, default_plan):
    links = {link.old: link for link in plan_2025.links}
    old_communes = {c for c, u in default_plan.units.items() if u.level == "xa"}
    assert set(links) == old_communes  # 151 of the mapping file + Tà Chải
    assert links["02872"].new == "02839"  # through thị trấn Bắc Hà (1/11/2024)
    assert len({link.new for link in links.values()}) == 48
    for row in table("lao-cai-2025-tu-cu-sang-moi.csv"):
        assert (links[row["ma_cu"]].new, links[row["ma_cu"]].new_name) == \
            (row["ma_moi"], row["ten_moi"])


def test_shipped_2025_workbook_matches_its_builder(tmp_path, plan_2025):
    rebuilt = load_plan(build_2025(tmp_path / "a.xlsx"))
    assert rebuilt.version == plan_2025.version and rebuilt.links == plan_2025.links
    assert build_2025(tmp_path / "b.xlsx").read_bytes() == (tmp_path / "a.xlsx").read_bytes()


def test_init_copies_the_chosen_plan(tmp_path, run):
    init_workspace(tmp_path / "a", "lao-cai-2025")
    assert (tmp_path / "a" / "input" / "ke-hoach.xlsx").read_bytes() == PLAN_2025.read_bytes()
    result = run(["init", str(tmp_path / "b"), "--plan", "lao-cai-2025"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "input" / "ke-hoach.xlsx").read_bytes() == PLAN_2025.read_bytes()
    result = run(["init", str(tmp_path / "c"), "--plan", "ha-noi"])
    assert result.exit_code == 2
    assert "không có kế hoạch đi kèm tên 'ha-noi'" in result.output
    assert not (tmp_path / "c").exists()


# --------------------------------------------------------------------------- carry-over

# Three new units made of several old ones, read by hand from
# sources/lao-cai-2025-tu-cu-sang-moi.csv (and Tà Chải, which joined thị trấn Bắc Hà in 2024).
BY_HAND = {
    "02647": ["02635", "02641", "02644", "02647", "02665", "02911"],  # Phường Lào Cai
    "02671": ["02650", "02653", "02656", "02658", "02668", "02671", "02674"],  # P. Cam Đường
    "02839": ["02839", "02857", "02863", "02866", "02872", "02875", "02881"],  # Xã Bắc Hà
}


def returns_2022_q3(plan):
    """Each 2022 commune's Q3 return: CT3.2b (applications received) = its code's last three
    digits, CT3.2c (settled) = the last two; 02866 (Bản Phố) sent nothing."""
    period = parse_period("2022-Q3")
    subs, statuses = [], []
    for code, unit in plan.units.items():
        if unit.level != "xa" or code == "02866":
            continue
        at = dt.datetime(2022, 9, 9, 8)
        statuses.append(UnitStatus(code, ON_TIME.key, period.deadline("xa"),
                                   Receipt(f"{code}.xlsx", code.ljust(64, "0"), period.id, at,
                                           code, True)))
        subs.append(Submission(code, period.id, indicators={
            "CT3.2b": float(int(code) % 1000), "CT3.2c": float(int(code) % 100)}))
    return consolidate(plan, period, subs, StatusReport(period.id, statuses))


def test_a_2022_q3_total_carried_over_to_the_new_units(default_plan, plan_2025):
    mapping = table("lao-cai-2025-tu-cu-sang-moi.csv")
    for new, olds in BY_HAND.items():
        assert sorted(olds) == sorted([r["ma_cu"] for r in mapping if r["ma_moi"] == new]
                                      + (["02872"] if new == "02839" else []))
    old = crosswalk.from_consolidation(returns_2022_q3(default_plan))
    moved = crosswalk.carry_over(plan_2025.links, old, plan_2025.indicators)
    # Phường Lào Cai: 635 + 641 + 644 + 647 + 665 + 911 received, 35 + 41 + 44 + 47 + 65 + 11
    # settled; the ratio from the sums, not an average of the six ratios.
    lao_cai = moved.values["02647"]
    assert lao_cai["CT3.2b"] == 4143 and lao_cai["CT3.2c"] == 243
    assert lao_cai["CT3.2r"] == pytest.approx(243 / 4143)
    # Phường Cam Đường: 650 + 653 + 656 + 658 + 668 + 671 + 674; 50 + 53 + 56 + 58 + 68 + 71 + 74.
    cam_duong = moved.values["02671"]
    assert (cam_duong["CT3.2b"], cam_duong["CT3.2c"]) == (4630, 430)
    assert cam_duong["CT3.2r"] == pytest.approx(430 / 4630)
    # Xã Bắc Hà: Bản Phố (866) sent nothing; Tà Chải (872) counts through the added link.
    # 839 + 857 + 863 + 872 + 875 + 881; 39 + 57 + 63 + 72 + 75 + 81.
    bac_ha = moved.values["02839"]
    assert (bac_ha["CT3.2b"], bac_ha["CT3.2c"]) == (5187, 387)
    assert bac_ha["CT3.2r"] == pytest.approx(387 / 5187)
    assert moved.reported["02839"] == ["02839", "02857", "02863", "02872", "02875", "02881"]
    assert len(moved.parts["02839"]) == 7
    # The output says which old units make up each new one.
    assert moved.composition("02647") == (
        "Phường Duyên Hải (02635), Phường Lào Cai (02641), Phường Cốc Lếu (02644), "
        "Phường Kim Tân (02647), Xã Vạn Hoà (02665), Xã Bản Phiệt (02911)")
    rows = crosswalk.frame(moved, plan_2025, [plan_2025.indicator("CT3.2b")])
    row = rows[rows["unit"] == "02839"].iloc[0]
    assert (row["unit_name"], row["value"], row["reported"]) == ("Xã Bắc Hà", 5187, "6/7")
    assert "Xã Tà Chải (02872)" in row["old_units"]
    # Nothing is lost or counted twice: the province's total is the same under both maps.
    total_old = sum(v.get("CT3.2b", 0) for v in old.values())
    assert sum(v.get("CT3.2b", 0) for v in moved.values.values()) == total_old
    assert moved.unmapped == []
    # A new unit from the former Yên Bái has no old unit in the 2022 plan: no value, not 0.
    assert "04465" not in moved.values
