"""Long actions of the page (intake, forms, mail, fetch, report) run in a thread each, so
the page can show their progress while they run.

A job is only what the page shows about a run in progress: its outcome is in the
workspace (ledger, input/, output/) like that of the command it stands for, so a job lost
with a restart of the server loses nothing.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import BaocaoError

LOG_NAME = "baocao-loi.log"  # the same log as the command line's internal errors


@dataclass
class Job:
    id: str
    title: str  # "Thu nhận báo cáo kỳ quý III năm 2022"
    period: str | None
    step: str = "Đang bắt đầu…"  # what is being done now, in Vietnamese
    done: int = 0
    total: int | None = None  # None: no count to show (a spinner, not a bar)
    lines: list[str] = field(default_factory=list)  # the outcome, line by line
    files: list[Path] = field(default_factory=list)  # what it wrote, offered for download
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, address): go on
    error: str | None = None
    finished: bool = False
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def progress(self, step: str, done: int = 0, total: int | None = None) -> None:
        self.step, self.done, self.total = step, done, total

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class Jobs:
    """The jobs started by this server, by id."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._guard = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._guard:
            return self._jobs.get(job_id)

    def start(self, title: str, period: str | None, work, links=()) -> Job:
        """Run work(job) in a thread; its errors end the job with a Vietnamese message."""
        job = Job(secrets.token_urlsafe(9), title, period, links=list(links))
        with self._guard:
            self._jobs[job.id] = job
        threading.Thread(target=_run, args=(job, work), daemon=True,
                         name=f"baocao-{job.id}").start()
        return job


def _run(job: Job, work) -> None:
    try:
        work(job)
    except BaocaoError as exc:
        job.error = str(exc)
    except Exception:  # noqa: BLE001 - the page shows it instead of a traceback
        log = Path(tempfile.gettempdir()) / LOG_NAME
        log.write_text(traceback.format_exc(), encoding="utf-8")
        job.error = (f"Lỗi nội bộ. Chi tiết đã ghi vào {log}; gửi tệp này cho nhóm phát "
                     "triển.")
    finally:
        job.ended = time.monotonic()
        job.finished = True
