"""The shared vocabulary, defined once: task statuses, submission states, severities and
the names of output folders and files.

Every writer and reader takes these from here: the form's dropdown and help, intake's
matching, the consolidation's counts, the workbook's matrix colours, the report's phrases,
the charts' legends, the mails. Adding a task status is one more TaskStatus in
TASK_STATUSES (and its tests); nothing that merely lists statuses needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.text import slug

# --------------------------------------------------------------------------- task statuses


@dataclass(frozen=True)
class TaskStatus:
    value: str  # the word on the form, in the ledger and in every output
    key: str  # English key: frame column names, JSON
    code: str  # short code of the unit x task matrix
    phrase: str  # how the report says it of a task ("nhiệm vụ … {phrase}")
    help: str  # the form's help for the value
    colour: str  # matrix fill and chart colour (#RRGGBB)


DONE = TaskStatus("Đã hoàn thành", "done", "HT", "đã hoàn thành",
                  "nhiệm vụ đã làm xong trong kỳ hoặc trước đó; ghi ngày hoàn thành.",
                  "#C6EFCE")
ONGOING = TaskStatus("Đang thực hiện", "ongoing", "ĐTH", "đang triển khai thực hiện",
                     "đang triển khai, chưa xong; ghi kết quả đạt được đến hết kỳ.",
                     "#FFEB9C")
NOT_STARTED = TaskStatus("Chưa thực hiện", "not_started", "CTH", "chưa triển khai thực hiện",
                         "chưa triển khai; ghi lý do vào cột Khó khăn, vướng mắc.",
                         "#FFC7CE")
NOT_APPLICABLE = TaskStatus("Không phát sinh", "not_applicable", "KPS",
                            "không phát sinh trong kỳ",
                            "trong kỳ không phát sinh việc phải làm (ví dụ không có hồ sơ, "
                            "vụ việc).", "#E7E6E6")
TASK_STATUSES = (DONE, ONGOING, NOT_STARTED, NOT_APPLICABLE)
STATUS_BY_VALUE = {s.value: s for s in TASK_STATUSES}

# A responsible unit that sent nothing for a task: not a status anyone chose, and never
# "not started" (nobody said so). Of a task, when none of its units reported.
NOT_REPORTED = TaskStatus("", "missing", "Chưa BC", "chưa có đơn vị báo cáo", "", "#F4B084")
NOT_REPORTED_LABEL = "Chưa báo cáo"  # where a status is shown as a word (tables, legends)

# The values as plain strings, for code that compares what a unit reported.
STATUS_DONE = DONE.value
STATUS_ONGOING = ONGOING.value
STATUS_NOT_STARTED = NOT_STARTED.value
STATUS_NA = NOT_APPLICABLE.value
STATUSES = tuple(s.value for s in TASK_STATUSES)


def status_of(value: str) -> TaskStatus:
    """The status of a reported value; NOT_REPORTED for "" or anything not in the list."""
    return STATUS_BY_VALUE.get(value, NOT_REPORTED)


def status_label(value: str) -> str:
    """The word shown for a reported value: the value itself, or "Chưa báo cáo"."""
    return value if value in STATUS_BY_VALUE else NOT_REPORTED_LABEL


def status_list() -> str:
    """"Đã hoàn thành, Đang thực hiện, …" for messages and help."""
    return ", ".join(STATUSES)


# --------------------------------------------------------------------------- submission states


@dataclass(frozen=True)
class SubmissionState:
    key: str  # English key: JSON, frames
    label: str  # in tables, the workbook and the report's appendix
    wording: str  # in a sentence of a mail or the report ("đơn vị … {wording}")
    colour: str


ON_TIME = SubmissionState("on_time", "Đúng hạn", "gửi báo cáo đúng hạn", "#70AD47")
LATE = SubmissionState("late", "Trễ hạn", "gửi báo cáo trễ hạn", "#FFC000")
MISSING = SubmissionState("missing", "Chưa gửi", "chưa gửi báo cáo", "#C00000")
REJECTED = SubmissionState("rejected", "Không hợp lệ", "gửi báo cáo chưa hợp lệ", "#7F7F7F")
# A file whose identity disagrees with its name, sender or visible sheet, or was lost: neither
# accepted nor rejected until the officer settles it (`baocao confirm`).
HELD = SubmissionState("held", "Chờ xác nhận", "gửi tệp đang chờ xác nhận", "#8EA9DB")
SUBMISSION_STATES = (ON_TIME, LATE, MISSING, REJECTED, HELD)
STATE_BY_KEY = {s.key: s for s in SUBMISSION_STATES}

# --------------------------------------------------------------------------- severities


@dataclass(frozen=True)
class Severity:
    key: str
    label: str
    colour: str  # cell fill of a marked cell (Excel's own "bad" and "neutral")


ERROR = Severity("error", "Lỗi", "#FFC7CE")
WARNING = Severity("warning", "Lưu ý", "#FFEB9C")
SEVERITIES = (ERROR, WARNING)
SEVERITY_BY_KEY = {s.key: s for s in SEVERITIES}

# --------------------------------------------------------------------------- output names

FORMS_DIR = "bieu-mau"  # output/<period>/bieu-mau/<UNIT>_<slug>_<period>.xlsx
FEEDBACK_DIR = "phan-hoi"  # output/<period>/phan-hoi/<UNIT>_<slug>_<period>.xlsx
MAIL_DIR = "thu"  # output/<period>/thu/*.eml


def workbook_name(period, scope: str | None = None) -> str:
    return f"TongHop_{period}_{scope}.xlsx" if scope else f"TongHop_{period}.xlsx"


def report_name(period, scope: str | None = None) -> str:
    return f"BaoCao_{period}_{scope}.docx" if scope else f"BaoCao_{period}.docx"


def unit_file_name(unit, period) -> str:
    """ASCII name of a unit's form or feedback file: <UNITCODE>_<slug>_<period>.xlsx."""
    return f"{unit.code}_{slug(unit.short)}_{period}.xlsx"
