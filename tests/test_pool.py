"""Work per file in worker processes: memory and time limits, a dying worker is one file's
finding, workers follow their parent, their output never reaches the terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from test_collect import fill

from generator.findings import message_for
from generator.forms import layout as formspec
from generator.forms import writer as forms
from generator.intake import pool
from generator.plan.periods import parse_period

PERIOD = parse_period("2022-Q3")
KEY = bytes(range(32))
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture(scope="module")
def good(tmp_path_factory, default_plan):
    folder = tmp_path_factory.mktemp("pool")
    path = folder / "STP.xlsx"
    forms.write_form(default_plan, "STP", PERIOD, KEY, path)
    return fill(path, {t.tt for t, _ in default_plan.tasks_for("STP")})


def big(source: Path, target: Path) -> Path:
    """A form with a value in GR20000 of its report sheet: inside the screen's limits, but
    reading it builds 4 million cells (about 150 MB)."""
    shutil.copyfile(source, target)
    book = openpyxl.load_workbook(target)
    book[formspec.SHEET_REPORT]["GR20000"] = "x"
    book.save(target)
    return target


def test_a_file_that_exhausts_its_worker_is_its_finding_and_the_rest_go_on(good, tmp_path,
                                                                           default_plan):
    paths = [shutil.copyfile(good, tmp_path / f"f{i}.xlsx") for i in range(4)]
    paths[1] = big(good, tmp_path / "f1.xlsx")
    limits = pool.Limits(memory_mb=64, seconds=120)
    results = pool.read_many(paths, default_plan, PERIOD, KEY, workers=2, limits=limits)
    assert [p for p, _s, _f in results] == paths  # input order
    assert [s is not None for _p, s, _f in results] == [True, False, True, True]
    (finding,) = results[1][2]
    assert finding.code == "F016" and finding.file == "f1.xlsx"
    assert finding.message == message_for(
        "F016", reason="vượt giới hạn bộ nhớ 64 MB dành cho một tệp")
    # Under the default limits the same file is read: the limit, not the file, stopped it.
    (_p, sub, _f), = pool.read_many([paths[1]], default_plan, PERIOD, KEY)
    assert sub is not None and sub.unit == "STP"


def test_a_task_that_outlasts_its_time_is_stopped_and_the_rest_go_on():
    begin = time.monotonic()
    results = list(pool.run_each(time.sleep, [0.01, 600, 0.01, 0.01], workers=2,
                                 limits=pool.Limits(seconds=3)))
    assert time.monotonic() - begin < 60
    assert [i for i, _r in results] == [0, 1, 2, 3]
    assert [r for _i, r in results if not isinstance(r, pool.Failed)] == [None, None, None]
    failed = results[1][1]
    assert isinstance(failed, pool.Failed) and failed.reason == \
        "quá thời gian 3 giây dành cho một tệp"


CHILD = textwrap.dedent("""
    import sys, time
    from generator.intake.pool import run_each
    for _ in run_each(time.sleep, [600, 600], workers=2):
        pass
""")


def children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stream:
                    if int(stream.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@LINUX
def test_workers_and_the_resource_tracker_exit_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", CHILD])
    try:
        deadline = time.monotonic() + 60
        while len(children(parent.pid)) < 3:  # two workers and the resource tracker
            assert time.monotonic() < deadline and parent.poll() is None
            time.sleep(0.1)
        time.sleep(1)  # the workers are now sleeping inside their task
        helpers = children(parent.pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in helpers if alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()


QUIET = textwrap.dedent("""
    import logging, sys, warnings
    from generator.intake.pool import run_each
    logging.basicConfig(filename=sys.argv[1], level=logging.DEBUG)
    words = ["Data Validation extension is not supported and will be removed"]
    print(list(run_each(print, ["thread '<unnamed>' panicked at xls.rs"])))
    print(list(run_each(warnings.warn, words)))
""")


def test_what_a_worker_prints_goes_to_the_log_not_the_terminal(tmp_path):
    log = tmp_path / "debug.log"
    done = subprocess.run([sys.executable, "-c", QUIET, str(log)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[(0, None)]", "[(0, None)]"]
    assert done.stderr == ""
    logged = log.read_text(encoding="utf-8")
    assert "panicked at xls.rs" in logged and "Data Validation extension" in logged
