"""Outputs from the ledger: `baocao report`, `collect --scope`, and the district's return
read back by the province's intake."""

from __future__ import annotations

import json
import shutil

import pytest
import smallplan as sp
from python_calamine import CalamineWorkbook

from generator.consolidate.build import from_ledger
from generator.ledger.store import Ledger
from generator.plan.workbook import load_plan
from generator.render.outputs import build_outputs, rebuild
from generator.render.workbook import SHEETS
from generator.workspace import find_workspace, init_workspace


@pytest.fixture
def plan(workspace):
    """The small plan as the workspace's own plan workbook."""
    return sp.write_plan(workspace.plan_path)


@pytest.fixture
def filled(workspace, plan):
    sp.record(workspace, sp.submissions())
    return workspace


def sheet_values(path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_build_outputs_writes_the_workbook(filled, plan):
    paths = build_outputs(filled, plan, sp.PERIOD, pdf=False)
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3.xlsx"
    assert paths[0] == target and target.is_file()
    overview = sheet_values(target)[SHEETS["overview"]]
    assert ["Đơn vị phải báo cáo", 5] in [r[:2] for r in overview]  # not SNV: it compiles


def test_same_ledger_same_workbook(filled, plan):
    first = build_outputs(filled, plan, sp.PERIOD, pdf=False)[0].read_bytes()
    again = build_outputs(filled, plan, sp.PERIOD, pdf=False)[0].read_bytes()
    assert first == again


def test_report_command(filled, plan, run):
    result = run(["report", "-p", "2022-Q3", "--no-pdf"], filled)
    assert result.exit_code == 0, result.output
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3.xlsx"
    assert f"  đã ghi {target}" in result.output
    assert result.output.rstrip().endswith("tệp kết quả.")
    assert target.is_file()


def test_report_json(filled, plan, run):
    result = run(["--json", "report", "-p", "2022-Q3", "--no-pdf"], filled)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"period", "outputs"} and document["period"] == "2022-Q3"
    assert document["outputs"][0].endswith("TongHop_2022-Q3.xlsx")


def test_report_with_an_empty_ledger(workspace, plan, run):
    result = run(["report", "-p", "2022-Q3"], workspace)
    assert result.exit_code == 2
    assert result.stderr.startswith("Lỗi: Sổ theo dõi chưa có báo cáo nào của kỳ quý III năm "
                                    "2022 (2022-Q3). Chạy 'baocao collect -p 2022-Q3'")
    with pytest.raises(Exception, match="chưa có báo cáo nào"):
        rebuild(workspace, plan, sp.PERIOD)


def test_report_scope(filled, plan, run):
    result = run(["report", "-p", "2022-Q3", "--no-pdf", "--scope", "H1"], filled)
    assert result.exit_code == 0, result.output
    target = filled.root / "output" / "2022-Q3" / "TongHop_2022-Q3_H1.xlsx"
    assert target.is_file()
    register = sheet_values(target)[SHEETS["submissions"]]
    assert [r[0] for r in register[5:]] == ["X1", "X2"]  # H1's Phòng Nội vụ compiles
    bad = run(["report", "-p", "2022-Q3", "--scope", "SA"], filled)
    assert bad.exit_code == 2
    assert "Mã 'SA' không phải đơn vị cấp huyện có đơn vị cấp xã trực thuộc" in bad.stderr


def test_collect_scope(filled, plan, run):
    """`collect --scope` with nothing new to read still rebuilds the district's return."""
    (filled.root / "input" / "2022-Q3").mkdir(parents=True)
    result = run(["--json", "collect", "-p", "2022-Q3", "--scope", "H1"], filled)
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.output)["outputs"]
    assert any(p.endswith("TongHop_2022-Q3_H1.xlsx") for p in outputs)
    bad = run(["collect", "-p", "2022-Q3", "--scope", "ZZ"], filled)
    assert bad.exit_code == 2 and "Mã 'ZZ'" in bad.stderr


def test_province_accepts_the_district_return(tmp_path, filled, plan):
    """Phòng Nội vụ of H1 builds its return; the province's intake reads it as H1's
    submission with X1 and X2 inside; X1 also reported directly with another CT1."""
    from generator.intake import read as intake
    district_return = build_outputs(filled, plan, sp.PERIOD, scope="H1", pdf=False)[0]
    # The province: its own workspace, same plan and signing key (communes' forms are
    # signed by the province, so the district works with the province's key).
    root = tmp_path / "tinh"
    init_workspace(root)
    shutil.copyfile(filled.state_dir / "secret.key", root / ".baocao" / "secret.key")
    province = find_workspace(explicit=root)
    shutil.copyfile(filled.plan_path, province.plan_path)
    province_plan = load_plan(province.plan_path)
    sub, found = intake.read_form(district_return, province_plan, sp.PERIOD,
                                  province.secret_key())
    assert sub is not None, [f.message for f in found]
    assert [f for f in found if f.severity == "error"] == []
    assert sub.unit == "H1" and sorted(c.unit for c in sub.children) == ["X1", "X2"]
    assert sub.tasks["2.1"].status == "Đã hoàn thành" and sub.indicators["CT3"] == 2
    x2 = next(c for c in sub.children if c.unit == "X2")
    assert x2.indicators == {"CT1": 1, "CT2a": 1, "CT2b": 5}
    others = sp.submissions()
    x1_own = others["X1"]
    x1_own.indicators = {"CT1": 6.0, "CT2a": 8.0, "CT2b": 10.0}  # disagrees with H1's 3
    with Ledger(province) as ledger:
        ledger.record(sp.PERIOD.id, "a" * 64, district_return.name, sp.at(14), sub, found)
        ledger.record(sp.PERIOD.id, "b" * 64, "X1.xlsx", sp.at(9), x1_own, [])
        ledger.record(sp.PERIOD.id, "c" * 64, "SA.xlsx", sp.at(14), others["SA"], [])
    cons = from_ledger(province, province_plan, sp.PERIOD)
    # Province CT1 = X1's own 6 + X2 (from H1's return) 1 = 7; CT3 = SA 5 + H1 2 = 7.
    values = cons.indicators[cons.indicators["area"] == ""].set_index("code")["value"]
    assert values["CT1"] == 7 and values["CT3"] == 7
    # H1's return has no CT1 of its own (not its task): nothing to reconcile for it; its
    # CT3 matches. Differences are only where the district reported a figure.
    assert cons.reconciliation.empty
    register = cons.submissions.set_index("unit")
    assert register.loc["X2", "state"] == "on_time" and register.loc["SB", "state"] == "missing"


def test_report_help_is_vietnamese(run):
    result = run(["report", "--help"])
    assert result.exit_code == 0
    assert "Viết lại bảng tổng hợp Excel và báo cáo Word" in result.output
    assert "Ví dụ:" in result.output and "baocao report -p 2022-Q3 --scope 080" in result.output
    assert "Cách dùng:" in result.output
