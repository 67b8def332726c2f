"""What the page reads often, read again only when its file changed: the plan (0,2 s to
read the default plan) and a period's decoded submissions (most of `status`'s time), so
the status page of 181 units answers in well under 300 ms.

A value is kept with the stamp (modification time, size) of the file it came from; a new
stamp, after a command or the page wrote the file, means a new read. Nothing is kept that
the workspace does not hold.
"""

from __future__ import annotations

import threading
from pathlib import Path

from generator.ledger.store import DB_NAME, Ledger
from generator.plan.workbook import load_plan


def stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = Path(path).stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class Memo:
    def __init__(self):
        self._held: dict = {}
        self._guard = threading.Lock()

    def get(self, name, key, compute):
        """compute() once for this key (a tuple of stamps)."""
        with self._guard:
            held = self._held.get(name)
        if held is not None and held[0] == key:
            return held[1]
        value = compute()
        with self._guard:
            self._held[name] = (key, value)
        return value

    def plan(self, workspace):
        path = workspace.plan_path
        return self.get(("plan", str(path)), stamp(path), lambda: load_plan(path))

    def ledger_stamp(self, workspace):
        """The SQLite file's stamp and its header's change counter (bytes 24-27, bumped by
        every commit): exact even where file times are coarse."""
        path = workspace.state_dir / DB_NAME
        try:
            with open(path, "rb") as stream:
                stream.seek(24)
                counter = stream.read(4)
        except OSError:
            counter = b""
        return stamp(path), counter

    def submissions(self, workspace, period) -> list:
        """The period's current submissions (what `status` decodes for district files)."""
        def read():
            with Ledger(workspace) as ledger:
                return ledger.current_submissions(period.id)
        return self.get(("submissions", str(workspace.root), period.id),
                        self.ledger_stamp(workspace), read)
