"""`baocao demo`: the whole cycle on the embedded plan with simulated returns.

In a fresh workspace: forms for the period, ~180 units' returns simulated from a seed
along the plan's reporting line (see simulate.py: communes to their district, each
district's own `collect --scope`, the districts' returns and the departments' files to
the province), collect (intake, ledger, feedback, consolidated workbook, Word report and
its PDF when LibreOffice is there), email drafts for forms, reminders and the report. No
network is used: mail is written as .eml drafts only.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator import signoff
from generator.collect import collect
from generator.consolidate.build import from_ledger
from generator.demo import simulate
from generator.errors import UsageError
from generator.forms.writer import write_forms
from generator.ledger.status import status
from generator.mail import outgoing as mail
from generator.plan.periods import parse_period
from generator.plan.workbook import load_plan
from generator.text import fmt_int, fmt_pct
from generator.vocab import (
    FEEDBACK_DIR,
    FORMS_DIR,
    MAIL_DIR,
    SUBMISSION_STATES,
)
from generator.workspace import (
    CONFIG_NAME,
    DEFAULT_PLAN_NAME,
    find_workspace,
    init_workspace,
    shipped_plan,
)

DEFAULT_DIR = "demo"
DEFAULT_PERIOD = "2022-Q3"  # the default plan's; another plan: quarter III of its year
DEFAULT_SEED = 2022
STEPS = ("Tạo không gian làm việc", "Tạo biểu mẫu", "Mô phỏng đơn vị điền và gửi báo cáo",
         "Thu nhận, tổng hợp, báo cáo", "Viết thư nháp")


@dataclass
class DemoResult:
    root: Path
    period: object
    simulation: simulate.Simulation
    collected: object  # collect.CollectResult
    status: object  # ledger.status.StatusReport
    key: dict  # the consolidation's key figures
    drafts: dict[str, list[Path]] = field(default_factory=dict)
    forms: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    closed: list = field(default_factory=list)  # earlier periods simulated and closed

    @property
    def output_dir(self) -> Path:
        return self.root / "output" / self.period.id

    def counts(self) -> dict[str, int]:
        return {s.key: len(self.status.codes(s.key)) for s in SUBMISSION_STATES}

    def as_json(self) -> dict:
        return {"workspace": str(self.root), "period": self.period.id,
                "expected": len(self.status.expected), **self.counts(),
                "files_received": len(self.simulation.files),
                "key": {k: _plain(v) for k, v in self.key.items()},
                "outputs": [str(p) for p in self.collected.outputs],
                "feedback": len(self.collected.feedback),
                "drafts": {k: len(v) for k, v in self.drafts.items()},
                "seconds": {k: round(v, 1) for k, v in self.seconds.items()}}


def _plain(value):
    """numpy numbers as JSON numbers."""
    if isinstance(value, bool | numbers.Integral):
        return int(value) if not isinstance(value, bool) else value
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def default_dir(plan: str | None = None) -> str:
    """./demo for the default plan, ./demo-<plan> for another shipped plan."""
    return DEFAULT_DIR if (plan or DEFAULT_PLAN_NAME) == DEFAULT_PLAN_NAME else f"demo-{plan}"


def prepare(directory: Path, plan: str | None = None):
    """A fresh workspace in `directory` with a shipped plan, or the demo workspace already
    there (with the same plan)."""
    directory = Path(directory)
    source = shipped_plan(plan)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"'{directory}' là một tệp, không phải thư mục.")
    if directory.is_dir() and any(directory.iterdir()) and \
            not (directory / CONFIG_NAME).is_file():
        raise UsageError(f"Thư mục {directory.resolve()} đã có dữ liệu và không phải không gian "
                         "làm việc; chọn một thư mục mới hoặc trống, ví dụ: baocao demo demo-moi")
    init_workspace(directory, plan)
    _set_report_addressee(directory / CONFIG_NAME)
    workspace = find_workspace(explicit=directory)
    if workspace.plan_path.is_file() and \
            workspace.plan_path.read_bytes() != source.read_bytes() and \
            _identity(workspace.plan_path) != _identity(source):
        raise UsageError(f"Không gian làm việc {directory.resolve()} dùng một kế hoạch khác "
                         f"kế hoạch '{plan or DEFAULT_PLAN_NAME}'; chọn một thư mục mới, ví dụ: "
                         f"baocao demo {default_dir(plan)}-moi --plan {plan or DEFAULT_PLAN_NAME}")
    return workspace


DEMO_SIGNER = "mô phỏng"  # who closed the earlier periods of a several-period demo
DEMO_ADDRESSEE_EMAIL = "vanthu.ubnd@laocai.gov.vn"  # the demo's UBND tỉnh mailbox (drafts only)


def _set_report_addressee(config: Path) -> None:
    """The demo's report draft goes to UBND tỉnh: its address beside "Kính gửi"."""
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('addressee_email = ""',
                                   f'addressee_email = "{DEMO_ADDRESSEE_EMAIL}"', 1),
                      encoding="utf-8")


def _identity(path: Path) -> tuple:
    """What makes two plan workbooks the same plan (a re-saved or older copy still is)."""
    details = load_plan(path).details
    return details.get("number"), details.get("title")


def run_demo(directory=None, period=None, seed: int = DEFAULT_SEED,
             progress=None, plan: str | None = None, periods=(), units=None,
             pdf=None) -> DemoResult:
    """Run the cycle on a shipped plan (default: the 2022 plan) in quarter III of the plan's
    year unless a period is given; progress(step_index, step_label) is called as each step
    starts. `periods`: several periods simulated in order (by their end), each closed before
    the next; the last one is the demo's period, left open, and its report compares it with
    the closed ones. `units`: only these units send returns (a quick run); pdf as collect's."""
    directory = directory or default_dir(plan)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(index: int) -> None:
        nonlocal clock
        now = time.perf_counter()
        if index > 0:
            seconds[STEPS[index - 1]] = now - clock
        clock = now
        if progress is not None and index < len(STEPS):
            progress(index, STEPS[index])

    step(0)
    workspace = prepare(directory, plan)
    plan = load_plan(workspace.plan_path)
    periods = sorted(periods, key=lambda p: (p.end, p.start))
    for earlier in periods[:-1]:
        simulate_closed(workspace, plan, earlier, seed, units, pdf)
    period = (periods[-1] if periods else period) or \
        parse_period(f"{plan.details.get('year') or plan.date.year}-Q3")
    step(1)
    written = write_forms(workspace, plan, period, units=units)
    step(2)
    sim = simulate.fill_returns(workspace, plan, period, workspace.input_dir(period), seed=seed,
                                units=units)
    step(3)
    collected = collect(workspace, plan, period, pdf=pdf)
    report = status(workspace, plan, period)
    key = key_figures(workspace, plan, period)
    step(4)
    drafts = {kind: mail.run(kind, workspace, plan, period, units=units).drafts
              for kind in ("forms", "remind", "report") if kind != "report" or
              mail.report_files(workspace, period)}
    step(5)
    return DemoResult(workspace.root, period, sim, collected, report, key, drafts, written,
                      seconds, periods[:-1])


def simulate_closed(workspace, plan, period, seed: int, units=None, pdf=None) -> None:
    """One earlier period of a several-period demo: returns simulated, collected, closed
    as if its report had been signed (a period already closed is left as it is)."""
    if signoff.state(workspace, period)[0] is not None:
        return
    simulate.fill_returns(workspace, plan, period, workspace.input_dir(period), seed=seed,
                          units=units)
    collect(workspace, plan, period, pdf=pdf)
    signoff.close(workspace, period, who=DEMO_SIGNER, plan=plan)


def key_figures(workspace, plan, period) -> dict:
    return dict(from_ledger(workspace, plan, period).key)


def summary_lines(result: DemoResult) -> list[str]:
    """What the demo prints: where each output is and the key figures (Vietnamese)."""
    root, out = result.root, result.output_dir
    counts = result.counts()

    def rel(path: Path) -> str:
        path = Path(path)
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    lines = [f"Không gian làm việc: {root}", ""]
    if result.closed:
        lines += [f"Các kỳ đã mô phỏng và chốt trước: "
                  f"{', '.join(f'{p.label} ({p.id})' for p in result.closed)}; báo cáo và bảng "
                  "tổng hợp kỳ dưới đây so sánh với các kỳ này.", ""]
    lines += [f"Kỳ báo cáo: {result.period.label} ({result.period.id})",
             f"  Mô phỏng: {simulate.describe(result.simulation)}.",
             f"  Đơn vị phải báo cáo: {fmt_int(len(result.status.expected))}; "
             + ", ".join(f"{s.label.lower()} {fmt_int(counts[s.key])}"
                         for s in SUBMISSION_STATES) + "."]
    key = result.key
    if key.get("units_through"):
        lines.append(f"  Đơn vị báo cáo qua đơn vị cấp trên: "
                     f"{fmt_int(key['units_through_reported'])}/"
                     f"{fmt_int(key['units_through'])} có trong báo cáo tổng hợp của cấp trên.")
    if key:
        lines.append(f"  Nhiệm vụ: {fmt_int(key['tasks'])}; đã hoàn thành "
                     f"{fmt_int(key['tasks_done'])}, đang thực hiện "
                     f"{fmt_int(key['tasks_ongoing'])}, chưa thực hiện "
                     f"{fmt_int(key['tasks_not_started'])}, không phát sinh "
                     f"{fmt_int(key['tasks_not_applicable'])}, chưa có đơn vị báo cáo "
                     f"{fmt_int(key['tasks_missing'])}, quá hạn "
                     f"{fmt_int(key['tasks_overdue'])}; tỷ lệ hoàn thành "
                     f"{fmt_pct(key['share_done'])} (trên số nhiệm vụ có phát sinh).")
    lines += ["", "Tệp kết quả:",
              f"  Biểu mẫu gửi đơn vị ({fmt_int(len(result.forms))} tệp): "
              f"{rel(out / FORMS_DIR)}/",
              f"  Tệp đơn vị gửi về ({fmt_int(len(result.simulation.files))} tệp): "
              f"{rel(root / 'input' / result.period.id)}/",
              f"  Sổ theo dõi (SQLite) và kho lưu trữ: {rel(root / '.baocao')}/"]
    labels = {".xlsx": "Bảng tổng hợp", ".docx": "Báo cáo Word", ".pdf": "Báo cáo PDF"}
    for path in result.collected.outputs:
        lines.append(f"  {labels.get(Path(path).suffix, 'Tệp')}: {rel(path)}")
    if result.collected.feedback:
        lines.append(f"  Phiếu phản hồi cho đơn vị có sai sót "
                     f"({fmt_int(len(result.collected.feedback))} tệp): "
                     f"{rel(out / FEEDBACK_DIR)}/")
    names = {"forms": "gửi biểu mẫu", "remind": "nhắc báo cáo", "report": "gửi báo cáo"}
    parts = [f"{fmt_int(len(paths))} thư {names[kind]}" for kind, paths in result.drafts.items()]
    lines.append(f"  Thư nháp (.eml: {', '.join(parts)}): {rel(out / MAIL_DIR)}/")
    district = sorted((root / ".baocao" / "mo-phong").glob("huyen-*"))
    if district:
        lines.append(f"  Không gian làm việc của {fmt_int(len(district))} huyện mô phỏng "
                     f"(chạy collect --scope): {rel(district[0].parent)}/")
    if "report" in result.drafts and not mail.report_recipients(find_workspace(
            explicit=root)):
        lines.append("  (Thư gửi báo cáo chưa có người nhận: điền addressee_email trong mục "
                     "report của baocao.toml.)")
    total = sum(result.seconds.values())
    lines += ["", f"Xong sau {fmt_int(total)} giây. Xem tình hình nộp: "
                  f"baocao -w {root} status -p {result.period.id}"]
    return lines
