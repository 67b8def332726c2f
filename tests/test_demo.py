"""`baocao demo`: the whole cycle in a fresh folder, with no network."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from click.testing import CliRunner
from conftest import requires_soffice

from generator.cli.app import cli
from generator.consolidate.build import from_ledger
from generator.ledger.status import status
from generator.office import soffice_path
from generator.plan.periods import parse_period
from generator.plan.workbook import ROLE_LEAD, load_plan
from generator.text import fmt_int, fmt_pct
from generator.vocab import SUBMISSION_STATES
from generator.workspace import find_workspace

PERIOD = parse_period("2022-Q3")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One demo run for the module (it is the slow part); sockets refuse to connect."""
    root = tmp_path_factory.mktemp("demo") / "demo"

    def no_network(*_args, **_kwargs):
        raise AssertionError("the demo must not use the network")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", no_network)
        patch.setattr(socket, "create_connection", no_network)
        result = CliRunner().invoke(cli, ["demo", str(root)], catch_exceptions=False)
    return root, result


def test_demo_runs_and_writes_every_output(demo_run):
    root, result = demo_run
    assert result.exit_code == 0, result.output
    out = root / "output" / "2022-Q3"
    assert len(list((out / "bieu-mau").glob("*.xlsx"))) == 182
    assert (out / "TongHop_2022-Q3.xlsx").is_file()
    assert (out / "BaoCao_2022-Q3.docx").is_file()
    assert (out / "BaoCao_2022-Q3.pdf").is_file() == (soffice_path() is not None)
    assert list((out / "phan-hoi").glob("*.xlsx"))
    drafts = sorted(p.name for p in (out / "thu").glob("*.eml"))
    assert len([n for n in drafts if n.startswith("bieu-mau_")]) == 182
    assert "bao-cao_2022-Q3.eml" in drafts
    inputs = sorted(p.name for p in (root / "input" / "2022-Q3").iterdir())
    # The plan's line: each of the 9 districts sends one consolidated return, no commune
    # sends to the province.
    assert [n for n in inputs if n.startswith("TongHop_")] == [
        f"TongHop_2022-Q3_{code}.xlsx" for code in ("080", "082", "083", "084", "085", "086",
                                                     "087", "088", "089")]
    assert not any(n[:2] == "02" for n in inputs)
    assert any(n.endswith(".xls") for n in inputs) == (soffice_path() is not None)
    assert "Bảng tổng hợp: output/2022-Q3/TongHop_2022-Q3.xlsx" in result.output
    assert "Thư nháp (.eml: 182 thư gửi biểu mẫu" in result.output


def test_printed_figures_match_the_ledger(demo_run):
    root, result = demo_run
    ws = find_workspace(explicit=root)
    plan = load_plan(ws.plan_path)
    report = status(ws, plan, PERIOD)
    n = {s.key: len(report.codes(s.key)) for s in SUBMISSION_STATES}
    counts = ", ".join(f"{s.label.lower()} {n[s.key]}" for s in SUBMISSION_STATES)
    assert f"Đơn vị phải báo cáo: {len(report.expected)}; {counts}." in result.output
    assert len(report.expected) == 29  # 20 departments and 9 districts report to Sở Nội vụ
    assert n["missing"] >= 1 and n["late"] >= 2 and n["rejected"] >= 1
    assert n["on_time"] > 0.6 * len(report.expected)

    key = from_ledger(ws, plan, PERIOD).key
    assert (f"Nhiệm vụ: {fmt_int(key['tasks'])}; đã hoàn thành {fmt_int(key['tasks_done'])}"
            in result.output)
    applicable = key["tasks"] - key["tasks_not_applicable"]
    assert key["share_done"] == key["tasks_done"] / applicable
    assert (f"không phát sinh {fmt_int(key['tasks_not_applicable'])}, chưa có đơn vị báo cáo "
            f"{fmt_int(key['tasks_missing'])}, quá hạn "
            f"{fmt_int(key['tasks_overdue'])}; tỷ lệ hoàn thành {fmt_pct(key['share_done'])} "
            "(trên số nhiệm vụ có phát sinh).") in result.output
    reminders = list((root / "output" / "2022-Q3" / "thu").glob("nhac_*.eml"))
    # Late, missing and rejected units are reminded; units accepted on time with findings
    # are sent those findings (the report says they are sent their feedback).
    flagged = [u for u in report.units if u.state == "on_time" and u.receipt.findings]
    assert flagged, "the demo has a unit accepted with findings"
    assert len(reminders) == n["late"] + n["missing"] + n["rejected"] + len(flagged)


def test_reminder_of_a_rejected_unit_carries_its_feedback(demo_run):
    root, _ = demo_run
    ws = find_workspace(explicit=root)
    report = status(ws, load_plan(ws.plan_path), PERIOD)
    code = report.codes("rejected")[0]
    msg = email.message_from_bytes(
        (root / "output" / "2022-Q3" / "thu" / f"nhac_{code}_2022-Q3.eml").read_bytes(),
        policy=email.policy.default)
    assert msg["Subject"].endswith("gửi báo cáo chưa hợp lệ")
    [attached] = list(msg.iter_attachments())
    feedback = root / "output" / "2022-Q3" / "phan-hoi" / attached.get_filename()
    assert attached.get_content() == feedback.read_bytes()


@requires_soffice
def test_report_pdf_opens_with_the_period_and_the_count(demo_run):
    import subprocess

    root, _ = demo_run
    ws = find_workspace(explicit=root)
    report = status(ws, load_plan(ws.plan_path), PERIOD)
    received = len(report.codes("on_time")) + len(report.codes("late"))
    text = subprocess.run(["pdftotext", str(root / "output" / "2022-Q3" / "BaoCao_2022-Q3.pdf"),
                           "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "quý III năm 2022" in text
    assert f"{received}/{len(report.expected)}" in text


def _report_text(root) -> tuple[list[str], list[list[str]]]:
    """The report's paragraphs and its tables' rows, as a reader sees them."""
    from docx import Document

    document = Document(root / "output" / "2022-Q3" / "BaoCao_2022-Q3.docx")
    paragraphs = [" ".join(p.text.split()) for p in document.paragraphs if p.text.strip()]
    rows = [[" ".join(c.text.split()) for c in row.cells]
            for table in document.tables for row in table.rows]
    return paragraphs, rows


def test_demo_report_says_only_what_the_data_supports(demo_run):
    """Read again, the demo's report has none of the faults issue 12 quoted: figures added
    across levels, impossible figures, units that sent nothing said not to have done the
    work, status words against their counts, the compiling body late to itself, communes
    listed as the province's reporting units, "before the 15th" read as the 15th."""
    import math
    import re

    from generator.render.charts import share_text
    from generator.text import fmt_num

    root, _ = demo_run
    ws = find_workspace(explicit=root)
    plan = load_plan(ws.plan_path)
    cons = from_ledger(ws, plan, PERIOD)
    text, rows = _report_text(root)
    body = "\n".join(text)
    whole = cons.indicators[cons.indicators["area"] == ""].set_index("code")
    own = cons.unit_indicators.set_index(["unit", "code"])["value"]
    level = {c: u.level for c, u in plan.units.items()}

    # Counts are never added across levels: a district chair's dialogues are the districts'
    # figures (no commune form asks for them); the procedures in force are the service
    # centre's; the procedures on the portal the provincial office's.
    dialogues = {u: v for (u, c), v in own.items() if c == "CT3.3a"}
    assert dialogues and {level[u] for u in dialogues} == {"huyen"}
    assert whole.loc["CT3.3a", "value"] == sum(dialogues.values())
    assert whole.loc["CT4.1a", "value"] == own[("TTPVHCC", "CT4.1a")]
    portal = whole.loc["CT8.3a", "value"]
    assert (math.isnan(portal) and ("VPUBND", "CT8.3a") not in own) or \
        portal == own[("VPUBND", "CT8.3a")]

    # Every key figure the report states is the province's figure of that indicator, with
    # "(x/y đơn vị báo cáo)" exactly when fewer units reported it than should have.
    by_name = {row.name[:1].lower() + row.name[1:]: row for row in whole.itertuples()}
    stated = [figure for paragraph in text
              for part in re.findall(r"Kết quả chính: (.+?)\.(?: |$)", paragraph)
              for figure in part.split("; ")]
    assert len(stated) >= 16
    for figure in stated:
        name, said = figure.rsplit(": ", 1)
        row = by_name[name]
        value = share_text(row.value) if row.agg == "ratio" else fmt_num(row.value)
        assert said.startswith(value), figure
        partly = f"({fmt_int(row.reported)}/{fmt_int(row.expected)} đơn vị báo cáo)"
        assert (partly in said) == (row.reported < row.expected), figure

    # No impossible figure: overdue files within files received, the insured within the
    # population, the poor's cards within the insured; no rule broken by the province's sums.
    for tt in ("5.1", "5.2", "5.3"):
        assert whole.loc[f"CT{tt}c", "value"] <= whole.loc[f"CT{tt}a", "value"]
    assert whole.loc["CT6.1c", "value"] <= whole.loc["CT6.1a", "value"] <= \
        whole.loc["CT6.1b", "value"]
    checked = cons.findings[cons.findings["code"] == "C001"]
    assert not (checked["unit"] == "").any()

    # Each dimension's task counts add up to its tasks, each task under its own status; a
    # task said overdue or not started has reporting units that said so.
    tasks = cons.tasks.set_index("tt")
    said = cons.task_units.groupby("tt")["status"].apply(set)
    counted = []
    for paragraph in (t for t in text if re.match(r"Nội dung .+ có \d+ nhiệm vụ:", t)):
        total = int(re.search(r" có (\d+) nhiệm vụ:", paragraph).group(1))
        parts = re.findall(r"(\d+) nhiệm vụ (đã hoàn thành|đang thực hiện|chưa thực hiện|"
                           r"không phát sinh) \(([\d., ]+)\)", paragraph)
        assert sum(int(n) for n, _, _ in parts) == total, paragraph
        for n, word, tts in parts:
            listed = tts.split(", ")
            assert len(listed) == int(n)
            assert {tasks.loc[tt, "status"].lower() for tt in listed} == {word}, paragraph
            counted += listed
        late = re.search(r"nhiệm vụ ([\d., ]+) đã quá thời hạn", paragraph)
        for tt in late.group(1).split(", ") if late else []:
            assert tasks.loc[tt, "overdue"] and said[tt] & {"Đang thực hiện", "Chưa thực hiện"}
    assert sorted(counted) == sorted(tasks.index)
    unstarted = re.search(r"chưa được đơn vị chủ trì triển khai: nhiệm vụ ([\d., ]+)\.", body)
    for tt in unstarted.group(1).split(", ") if unstarted else []:
        leads = cons.task_units[(cons.task_units["tt"] == tt)
                                & (cons.task_units["role"] == ROLE_LEAD)]
        assert "Chưa thực hiện" in set(leads["status"]), tt

    # Phụ lục I: each task's status is the one rule's; a task nobody reported on is "Chưa
    # có đơn vị báo cáo", never "chưa thực hiện" and never overdue.
    appendix = {r[0]: r for r in rows if r[0] in tasks.index}
    assert set(appendix) == set(tasks.index)
    for tt, row in appendix.items():
        assert row[-1].startswith(tasks.loc[tt, "status"]), row
        assert ("quá thời hạn" in row[-1]) == bool(tasks.loc[tt, "overdue"]), row
        if said[tt] <= {""}:
            assert row[-1].startswith("Chưa có đơn vị báo cáo") and "quá" not in row[-1]

    # The compiling body reports to no one: never late, never missing.
    states = next(t for t in text if t.startswith("- Về chế độ báo cáo:"))
    assert "Sở Nội vụ" not in states
    assert not any(r[1:2] == ["Sở Nội vụ"] for r in rows)  # no register row of its own

    # The plan's line: the register holds departments and districts; communes are seen
    # through their districts; one district is late, districts' returns lacking communes
    # are named with their counts; "trước ngày 15" is the 14th; after Quý III the year.
    assert not re.search(r"UBND (xã|phường|thị trấn) ", states)
    assert "cấp huyện: UBND huyện Mường Khương" in states
    lacking = re.findall(r"(UBND (?:huyện|thành phố|thị xã) [^,.\d]+) (\d+)/(\d+)", body)
    coverage = cons.coverage.set_index("unit_name")
    short = coverage[coverage["reported"] < coverage["expected"]]
    assert sorted(lacking) == sorted((name, str(r.reported), str(r.expected))
                                     for name, r in short.iterrows())
    assert "Gửi báo cáo năm 2022 đúng thời hạn: cấp tỉnh, cấp huyện chậm nhất ngày 14 " \
           "tháng 12 năm 2022" in body


def test_demo_refuses_a_folder_with_other_files(tmp_path, run):
    (tmp_path / "ghi-chu.txt").write_text("của tôi", encoding="utf-8")
    result = run(["demo", str(tmp_path)])
    assert result.exit_code == 2
    assert "đã có dữ liệu và không phải không gian làm việc" in result.output
    assert (tmp_path / "ghi-chu.txt").read_text(encoding="utf-8") == "của tôi"
    assert not (tmp_path / "baocao.toml").exists()


def test_running_the_demo_again_changes_nothing(demo_run):
    """Last in the module: it runs the demo a second time in the same folder."""
    from generator.ledger.store import Ledger

    root, first = demo_run
    ws = find_workspace(explicit=root)
    with Ledger(ws) as ledger:
        before = ledger.dump()
    again = CliRunner().invoke(cli, ["demo", str(root)], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    with Ledger(ws) as ledger:
        assert ledger.dump() == before  # the same files: no new receipt
    strip = [line for line in first.output.splitlines() if not line.startswith("Xong sau")]
    assert [line for line in again.output.splitlines() if not line.startswith("Xong sau")] == strip


def test_demo_on_todays_lao_cai_two_levels(tmp_path_factory):
    """`baocao demo --plan lao-cai-2025`: the whole cycle with no district level."""
    root = tmp_path_factory.mktemp("demo-2025") / "demo"
    result = CliRunner().invoke(cli, ["demo", str(root), "--plan", "lao-cai-2025"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Kỳ báo cáo: quý III năm 2025 (2025-Q3)" in result.output
    out = root / "output" / "2025-Q3"
    assert len(list((out / "bieu-mau").glob("*.xlsx"))) == 119  # 20 provincial bodies, 99 xã
    assert (out / "TongHop_2025-Q3.xlsx").is_file() and (out / "BaoCao_2025-Q3.docx").is_file()
    inputs = [p.name for p in (root / "input" / "2025-Q3").iterdir()]
    assert not any(n.startswith("TongHop_") for n in inputs)  # no district to consolidate
    ws = find_workspace(explicit=root)
    plan = load_plan(ws.plan_path)
    report = status(ws, plan, parse_period("2025-Q3"))
    assert len(report.expected) == 118  # the compiling body is not in its own register
    assert len(report.codes("on_time")) > 0.8 * 119
    # A commune's form goes to the commune and comes back straight to the province.
    msg = email.message_from_bytes((out / "thu" / "bieu-mau_04465_2025-Q3.eml").read_bytes(),
                                   policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "ubnd.04465@laocai.gov.vn"
    assert "snv@laocai.gov.vn" in msg.get_body(("plain",)).get_content()
    # The same folder with the other plan is refused, not mixed.
    again = CliRunner().invoke(cli, ["demo", str(root)])
    assert again.exit_code == 2
    assert "dùng một kế hoạch khác" in again.output
