"""The ledger: SQLite receipts and submissions, the archive, supersede, the lock."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import fill_disk

from generator import findings as F
from generator.errors import UsageError
from generator.ledger.rebuild import collect_arrivals
from generator.ledger.store import (
    ARRIVALS_LOG,
    Ledger,
    submission_from_dict,
    submission_to_dict,
)
from generator.model import Packed, Submission, TaskReport
from generator.vocab import STATUS_DONE, STATUS_ONGOING

PERIOD = "2022-Q3"
VN = dt.timezone(dt.timedelta(hours=7))


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2022, 9, day, hour, 0, tzinfo=VN)


def submission(unit: str, result: str = "Đã tổ chức 3 hội nghị") -> Submission:
    return Submission(
        unit=unit, period=PERIOD, form_id=f"{unit}-{PERIOD}-abc", plan_version="abc",
        tasks={"1": TaskReport("1", "Chủ trì", STATUS_DONE, dt.date(2022, 8, 30), result, "", 9),
               "2": TaskReport("2", "Phối hợp", STATUS_ONGOING, None, "", "Thiếu kinh phí", 10)},
        indicators={"CT01": 1250.0, "CT02": None, "CT03": 0.5},
        difficulties="Thiếu cán bộ", proposals="", preparer="Nguyễn Thị Hoa",
        phone="0912 345 678", prepared_on=dt.date(2022, 9, 12), head="Lò Văn Sáng",
        extra_tasks=[TaskReport("1a", "", STATUS_DONE, None, "Việc thêm", "", 30)],
    )


def send(ledger: Ledger, tmp_path, name: str, content: bytes, when: dt.datetime,
         sub: Submission | None, found=(), unit=None):
    """Archive and record one file the way collect does."""
    path = tmp_path / name
    path.write_bytes(content)
    sha, archived = ledger.archive(path, name)
    receipt, new = ledger.record(PERIOD, sha, name, when, sub, list(found), unit=unit)
    return receipt, new, archived


def test_submission_json_round_trip_keeps_dates_and_none():
    sub = submission("STP")
    sub.children = [submission("02635"), Submission("02638", PERIOD)]
    data = json.loads(json.dumps(submission_to_dict(sub), ensure_ascii=False))
    back = submission_from_dict(data)
    assert back == sub
    assert back.tasks["1"].completed_on == dt.date(2022, 8, 30)
    assert back.tasks["2"].completed_on is None
    assert back.indicators["CT02"] is None
    assert back.prepared_on == dt.date(2022, 9, 12)
    assert back.children[1].prepared_on is None
    assert data["prepared_on"] == "2022-09-12"


def test_task_stored_by_another_version_keeps_this_versions_fields():
    stored = submission_to_dict(submission("STP"))
    old = stored["tasks"]["1"]
    del old["text"]  # an older ledger: no "text" yet
    stored["tasks"]["2"]["added_later"] = "x"  # a newer one: a field this version lacks
    back = submission_from_dict(stored)
    assert back.tasks["1"] == TaskReport("1", "Chủ trì", STATUS_DONE, dt.date(2022, 8, 30),
                                         "Đã tổ chức 3 hội nghị", "", 9)
    assert back.tasks["2"].difficulty == "Thiếu kinh phí"
    assert old["completed_on"] == "2022-08-30"  # the stored dict is read, not changed
    assert stored["tasks"]["1"] is old


def test_later_file_supersedes_earlier_and_both_stay(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        send(ledger, tmp_path, "STP_v1.xlsx", b"first", at(10), submission("STP", "lần 1"))
        send(ledger, tmp_path, "STP_v2.xlsx", b"second", at(12), submission("STP", "lần 2"))
        current = ledger.current_submissions(PERIOD)
        receipts = ledger.receipts(PERIOD)
    assert [s.tasks["1"].result for s in current] == ["lần 2"]
    assert [(r.file_name, r.superseded) for r in receipts] == [
        ("STP_v1.xlsx", True), ("STP_v2.xlsx", False)]


def test_a_submission_packed_by_the_reader_is_stored_as_the_submission_itself(workspace,
                                                                              tmp_path):
    """collect's workers hand the ledger each report already in its stored form (Packed):
    what the ledger keeps and gives back is the same as for the Submission object."""
    sub = submission("STP")
    sub.children = [submission("02635", "Xã đã tiếp 12 lượt công dân\n• kết quả")]
    assert Packed(sub).unpack() == sub
    with Ledger(workspace) as ledger:
        receipt, new, _path = send(ledger, tmp_path, "STP.xlsx", b"packed", at(10),
                                   Packed(sub))
        send(ledger, tmp_path, "TC.xlsx", b"plain", at(11), submission("STC"))
        stored = {s.unit: s for s in ledger.current_submissions(PERIOD)}
    assert new and receipt.accepted and receipt.unit == "STP"
    assert stored["STP"] == sub
    assert stored["STP"].children[0].tasks["1"].result == "Xã đã tiếp 12 lượt công dân\n• kết quả"
    assert stored["STC"] == submission("STC")


def test_supersede_follows_time_of_receipt_not_order_of_recording(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        send(ledger, tmp_path, "late.xlsx", b"late", at(14), submission("STP", "mới"))
        send(ledger, tmp_path, "early.xlsx", b"early", at(5), submission("STP", "cũ"))
        assert [s.tasks["1"].result for s in ledger.current_submissions(PERIOD)] == ["mới"]
        assert ledger.latest_receipt_by_unit(PERIOD)["STP"].file_name == "late.xlsx"


def test_same_file_twice_is_one_submission(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        first, new1, _ = send(ledger, tmp_path, "STP.xlsx", b"same", at(10), submission("STP"))
        again, new2, _ = send(ledger, tmp_path, "STP copy.xlsx", b"same", at(13),
                              submission("STP"))
        assert (new1, new2) == (True, False)
        assert again == first  # the first receipt stands: name and time unchanged
        assert len(ledger.receipts(PERIOD)) == 1
        assert len(ledger.current_submissions(PERIOD)) == 1
        rows = [line for line in ledger.dump() if line.startswith('INSERT INTO "submissions"')]
    assert len(rows) == 1


def test_archive_keeps_rejected_files_with_their_findings(workspace, tmp_path):
    bad = F.finding("P016", file="Bao cao.xlsx", reason="tệp hỏng")
    with Ledger(workspace) as ledger:
        receipt, _, archived = send(ledger, tmp_path, "Bao cao.XLSX", b"not a workbook",
                                    at(11), None, [bad], unit="STP")
        stored = ledger.receipts(PERIOD)
    assert archived.read_bytes() == b"not a workbook"
    sha = receipt.sha256
    assert archived == workspace.state_dir / "archive" / sha[:2] / f"{sha}.xlsx"
    assert [(r.accepted, r.unit, r.findings) for r in stored] == [(False, "STP", [bad])]
    assert stored[0].received_at == at(11)


def test_standing_receipt_prefers_accepted_over_later_rejected(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        send(ledger, tmp_path, "a.xlsx", b"good", at(9), submission("STP"))
        send(ledger, tmp_path, "b.xlsx", b"bad", at(12), None, unit="STP")
        send(ledger, tmp_path, "c.xlsx", b"bad1", at(9), None, unit="SYT")
        send(ledger, tmp_path, "d.xlsx", b"bad2", at(11), None, unit="SYT")
        standing = ledger.latest_receipt_by_unit(PERIOD)
        last = ledger.last_file_by_unit(PERIOD)
        flags = {r.file_name: r.superseded for r in ledger.receipts(PERIOD)}
    assert {u: r.file_name for u, r in standing.items()} == {"STP": "a.xlsx", "SYT": "d.xlsx"}
    assert last["STP"].file_name == "b.xlsx"
    assert flags == {"a.xlsx": False, "c.xlsx": True, "b.xlsx": False, "d.xlsx": False}


def test_periods_are_separate(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        send(ledger, tmp_path, "a.xlsx", b"x", at(9), submission("STP"))
        assert ledger.current_submissions("2022-Q4") == []
        assert ledger.receipts("2022-Q4") == []


def test_sent_mail_is_remembered(workspace):
    with Ledger(workspace) as ledger:
        assert not ledger.mail_sent("remind/2022-Q3/STP")
        ledger.record_mail("remind/2022-Q3/STP", PERIOD, "remind", "STP",
                           ["stp@laocai.gov.vn"], at(16))
        ledger.record_mail("remind/2022-Q3/STP", PERIOD, "remind", "STP", ["other@x.vn"])
    with Ledger(workspace) as ledger:  # survives reopening: it is in the file
        assert ledger.mail_sent("remind/2022-Q3/STP")
        rows = [line for line in ledger.dump() if "sent_mail" in line and "INSERT" in line]
    assert len(rows) == 1 and "stp@laocai.gov.vn" in rows[0]


def test_corrupt_ledger_is_a_clear_error(workspace):
    workspace.state_dir.mkdir(exist_ok=True)
    (workspace.state_dir / "ledger.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError, match="Không mở được sổ theo dõi"):
        Ledger(workspace)


HOLDER = textwrap.dedent("""
    import sys, time
    from generator.workspace import find_workspace
    from generator.ledger.store import Ledger
    ws = find_workspace(explicit=sys.argv[1])
    with Ledger(ws) as ledger, ledger.lock():
        with open(sys.argv[2], "a") as log:
            log.write(f"start {time.time()}\\n")
        time.sleep(float(sys.argv[3]))
        with open(sys.argv[2], "a") as log:
            log.write(f"end {time.time()}\\n")
""")


def test_lock_serialises_two_processes(workspace, tmp_path):
    log = tmp_path / "log.txt"
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(workspace.root), str(log),
                               "0.6"]) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    events = log.read_text().split()
    # Two whole critical sections, one after the other: start, end, start, end.
    assert events[0::2] == ["start", "end", "start", "end"]
    times = [float(t) for t in events[1::2]]
    assert times[2] >= times[1]


def test_lock_timeout_names_the_other_run(workspace, tmp_path):
    log = tmp_path / "log.txt"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(workspace.root), str(log), "1.5"])
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and "start" in log.read_text()):
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.05)
        with Ledger(workspace) as ledger, pytest.raises(UsageError, match="đang được một lần"):
            ledger.lock(timeout=0.3).acquire()
    finally:
        holder.wait(timeout=60)
    with Ledger(workspace) as ledger, ledger.lock(timeout=5):
        pass  # released when the holder exits


def test_archive_names_keep_only_a_plain_extension(workspace, tmp_path):
    with Ledger(workspace) as ledger:
        _, _, odd = send(ledger, tmp_path, "bao cao.xlsx ", b"x", at(9), None)
        _, _, none = send(ledger, tmp_path, "baocao", b"y", at(9), None)
    assert odd.suffix == "" and none.suffix == "" and odd.read_bytes() == b"x"



OPEN_AT = """
import sys, time
from pathlib import Path
from generator.ledger.store import Ledger
class Workspace:
    state_dir = Path(sys.argv[1])
while time.time() < float(sys.argv[2]):
    pass
Ledger(Workspace()).close()
"""


def test_new_ledger_opened_by_many_runs_at_once(tmp_path):
    """Runs that create the ledger at the same instant each find it whole: none takes the
    other's freshly added column for a broken file (CI saw "duplicate column name")."""
    for round_ in range(4):
        state = tmp_path / str(round_)
        start = time.time() + 1.0
        runs = [subprocess.Popen([sys.executable, "-c", OPEN_AT, str(state), str(start)],
                                 stderr=subprocess.PIPE, text=True) for _ in range(8)]
        errors = [run.communicate(timeout=60)[1] for run in runs]
        assert [run.returncode for run in runs] == [0] * 8, errors
# --------------------------------------------------------------------------- the archive as record

def test_each_archived_file_keeps_its_arrivals_in_the_log(workspace, tmp_path):
    path = tmp_path / "STP.xlsx"
    path.write_bytes(b"bao cao")
    first = {"period": PERIOD, "received_at": at(12).isoformat(), "sender": "stp@laocai.gov.vn",
             "source": "thu.eml", "findings": []}
    with Ledger(workspace) as ledger:
        sha, archived = ledger.archive(path, "Báo cáo STP.xlsx", first)
        ledger.archive(path, "Báo cáo STP.xlsx", first)  # a re-run: the same arrival
        ledger.archive(path, "STP-lan-2.xlsx", {**first, "received_at": at(13).isoformat()})
        arrivals = ledger.arrivals(sha)
    assert archived.read_bytes() == b"bao cao"
    assert [(a["file_name"], a["sender"], a["received_at"]) for a in arrivals] == [
        ("Báo cáo STP.xlsx", "stp@laocai.gov.vn", at(12).isoformat()),
        ("STP-lan-2.xlsx", "stp@laocai.gov.vn", at(13).isoformat())]
    log = workspace.state_dir / "archive" / ARRIVALS_LOG
    written = log.read_bytes()
    with Ledger(workspace) as ledger:  # a later run archiving the same file again
        ledger.archive(path, "Báo cáo STP.xlsx", first)
    assert log.read_bytes() == written


def test_rebuild_reads_an_older_archive_and_the_log_counting_each_arrival_once(workspace,
                                                                              tmp_path):
    """Archives made before the log kept <sha>.json beside each file: rebuild reads both,
    an arrival found in both once; a line a killed run cut short is skipped."""
    path = tmp_path / "STP.xlsx"
    path.write_bytes(b"bao cao")
    old = {"period": PERIOD, "file_name": "cu.xlsx", "received_at": at(11).isoformat(),
           "sender": "", "source": "input", "findings": [],
           "archived_at": "2022-09-11T02:00:00.000000+00:00"}
    with Ledger(workspace) as ledger:
        sha, _archived = ledger.archive(path, "cu.xlsx")
        ledger.metadata_path(sha).write_text(json.dumps({"sha256": sha, "arrivals": [old]}),
                                             encoding="utf-8")
        ledger.archive(path, "cu.xlsx", {k: v for k, v in old.items() if k != "archived_at"})
        ledger.archive(path, "moi.xlsx", {**old, "file_name": "moi.xlsx",
                                          "received_at": at(12).isoformat()})
    with open(workspace.state_dir / "archive" / ARRIVALS_LOG, "ab") as log:
        log.write(b'{"sha256": "' + sha.encode() + b'", "period": "2022-Q3", "file_na')
    arrivals, without = collect_arrivals(workspace.state_dir / "archive")
    assert [(a.sha, a.file_name) for a in arrivals] == [(sha, "cu.xlsx"), (sha, "moi.xlsx")]
    assert without == 0


def records(workspace, tmp_path, count=30):
    with Ledger(workspace) as ledger:
        for index in range(count):
            send(ledger, tmp_path, f"f{index}.xlsx", bytes([index]) * 64, at(9),
                 submission(f"U{index}", result="Đã tổ chức hội nghị " * 200))


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated"])
def test_a_lost_ledger_beside_the_archive_is_refused_with_the_way_back(workspace, tmp_path,
                                                                       damage):
    records(workspace, tmp_path)
    db = workspace.state_dir / "ledger.sqlite"
    if damage == "missing":
        db.unlink()
    elif damage == "empty":
        db.write_bytes(b"")
    else:  # cut in the middle, as a copy or a disk failure leaves it
        db.write_bytes(db.read_bytes()[:db.stat().st_size // 2])
    with pytest.raises(UsageError) as raised:
        Ledger(workspace)
    message = str(raised.value)
    assert "baocao ledger rebuild" in message and "30 tệp" in message
    words = {"missing": "không còn", "empty": "rỗng (0 byte)", "truncated": "bị hỏng"}
    assert words[damage] in message
    assert damage == "truncated" or not db.exists() or db.stat().st_size == 0  # not created


def test_a_new_workspace_opens_an_empty_ledger(workspace):
    with Ledger(workspace) as ledger:
        assert ledger.receipts(PERIOD) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_the_archive_never_follows_a_link(workspace, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$bi-mat")
    link = tmp_path / "STP_so-tu-phap_2022-Q3.xlsx"
    link.symlink_to(secret)
    with Ledger(workspace) as ledger, pytest.raises(UsageError, match="không phải một tệp"):
        ledger.archive(link)
    assert not list((workspace.state_dir / "archive").rglob("*"))


def test_a_full_disk_under_the_ledger_is_a_clear_error(workspace, tmp_path, small_disk):
    key = (workspace.state_dir / "secret.key").read_bytes()
    small_disk(workspace.state_dir, 160)
    (workspace.state_dir / "secret.key").write_bytes(key)
    small_disk(workspace.state_dir / "archive", 4096)  # room for the files: SQLite fills up
    with Ledger(workspace) as ledger:
        send(ledger, tmp_path, "a.xlsx", b"a", at(9), submission("STP"))
        fill_disk(workspace.state_dir, 24 * 1024)
        with pytest.raises(UsageError, match="ổ đĩa đã đầy") as raised:
            for index in range(40):
                send(ledger, tmp_path, f"f{index}.xlsx", bytes([index]), at(10),
                     submission(f"U{index}", result="Đã tổ chức hội nghị " * 300))
        assert str(raised.value).startswith(
            f"Không ghi được sổ theo dõi {workspace.state_dir / 'ledger.sqlite'}: ổ đĩa đã đầy")
    (workspace.state_dir / "chiem-cho.bin").unlink()
    with Ledger(workspace) as ledger:  # what was committed before stays whole
        assert ledger.receipts(PERIOD)[0].file_name == "a.xlsx"


def test_a_full_disk_under_the_archive_is_a_clear_error(workspace, tmp_path, small_disk):
    small_disk(workspace.state_dir / "archive", 64)
    big = tmp_path / "STP.xlsx"
    big.write_bytes(os.urandom(200 * 1024))
    with Ledger(workspace) as ledger, pytest.raises(UsageError, match="ổ đĩa đã đầy") as raised:
        ledger.archive(big)
    assert f"(thư mục {workspace.state_dir / 'archive'}" in str(raised.value)
    assert [p.name for p in (workspace.state_dir / "archive").rglob("*") if p.is_file()] == []
