"""`baocao serve`: the officer's page driven in a real browser (Debian's Chromium through
Selenium, headless, 1366x768) against the real server (werkzeug, in a thread, 127.0.0.1,
a free port), over real workspaces, ledgers, SMTP and IMAP servers.

Screenshots: set BAOCAO_SCREENSHOTS=DIR to keep a PNG of each page the tests visit.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait
from test_collect import fill
from test_safety import rezip

from generator.findings import finding
from generator.forms import writer as forms
from generator.intake import safety
from generator.ledger.status import status
from generator.ledger.store import Ledger
from generator.plan.periods import parse_period
from generator.vocab import (
    ERROR,
    LATE,
    MISSING,
    ON_TIME,
    REJECTED,
    SEVERITY_BY_KEY,
    STATE_BY_KEY,
    unit_file_name,
)
from generator.web.actions import HELD_KEY, WAITING
from generator.web.app import CSRF_REFUSED, make
from generator.workspace import find_workspace

PERIOD = parse_period("2022-Q3")
VN = dt.timezone(dt.timedelta(hours=7))
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
                None)
CHROMEDRIVER = shutil.which("chromedriver")
requires_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium is not installed (apt-get install chromium chromium-driver)")
SHOTS = os.environ.get("BAOCAO_SCREENSHOTS")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def serve():
    """serve(workspace) -> base URL of the page, served from a thread until the test ends."""
    started = []

    def start(workspace):
        server = make(workspace.root, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1366,768", "--lang=vi"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


class Page:
    """The browser on one server, with a download folder of its own."""

    def __init__(self, driver, base: str, downloads: Path):
        self.driver, self.base, self.downloads = driver, base, downloads
        downloads.mkdir(parents=True, exist_ok=True)
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str, timeout: float = 30):
        """The element, waiting for it: after a click the next page may still be loading."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), timeout)

    def all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        """The page's main text; read again if the page was replaced while reading."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "main").text, timeout=30)

    def says(self, words: str, timeout: float = 30) -> bool:
        """Wait until the page (after a click that loads another) shows `words`."""
        return self.wait(lambda d: words in d.find_element(By.CSS_SELECTOR, "main").text,
                         timeout)

    def click(self, text: str, timeout: float = 30) -> None:
        """Click the button or link that reads `text`, waiting for it: the page a previous
        click loads may not be there yet."""
        def target(_d):
            return next((e for e in self.all("button, a")
                         if e.text.strip() == text and e.is_enabled()), False)
        try:
            element = self.wait(target, timeout)
        except TimeoutException:
            raise AssertionError(
                f"no button or link '{text}' on {self.driver.current_url}") from None
        element.click()

    def wait(self, check, timeout: float = 300):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(check)

    def job_done(self, timeout: float = 300) -> str:
        """Wait for the job page to say the job has ended; its text."""
        self.wait(lambda d: d.find_element(By.ID, "viec").get_attribute("data-finished")
                  == "yes", timeout)
        return self.find("#viec").text

    def download(self, element, timeout: float = 60) -> Path:
        for old in self.downloads.iterdir():
            old.unlink()
        self.press(element)
        return self.wait(lambda _: next((p for p in self.downloads.iterdir()
                                         if not p.name.endswith(".crdownload")), False),
                         timeout)

    def press(self, element) -> None:
        """Click, with the element in the middle of the screen: not under the table's
        sticky header row."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def row(self, code: str):
        return self.find(f"tr[data-unit='{code}']")

    def states(self) -> dict[str, str]:
        return {r.get_attribute("data-unit"): r.get_attribute("data-state")
                for r in self.all("tr[data-unit]")}

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def page(driver, serve, tmp_path):
    return lambda workspace: Page(driver, serve(workspace), tmp_path / "tai-ve")


def stamp(path: Path, day: int) -> Path:
    moment = dt.datetime(2022, 9, day, 9, tzinfo=VN).timestamp()
    os.utime(path, (moment, moment))
    return path


def tts(plan, code: str) -> set[str]:
    return {t.tt for t, _ in plan.tasks_for(code)}


def hostile(source: Path, target: Path) -> Path:
    """A form whose workbook part declares an entity (billion laughs, XXE): F008."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
            b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    return rezip(source, target, replace={"xl/workbook.xml": bomb})


def returns(plan, forms_of: dict[str, Path], folder: Path) -> dict[str, Path]:
    """The folder an officer drops: STP on time, SYT late, SLDTBXH on time with a task left
    without status (accepted, feedback), SCT a hostile file, and STC's form filled by
    SGDDT and named as SGDDT's (held once issue 11 lands)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for code, day in (("STP", 9), ("SYT", 20)):
        out[code] = stamp(fill(Path(shutil.copy(forms_of[code], folder)), tts(plan, code)), day)
    commune = Path(shutil.copy(forms_of["SLDTBXH"], folder))
    out["SLDTBXH"] = stamp(fill(commune, tts(plan, "SLDTBXH") - {min(tts(plan, "SLDTBXH"))}), 8)
    name = unit_file_name(plan.units["SCT"], PERIOD)
    out["SCT"] = stamp(hostile(forms_of["STP"], folder / name), 9)
    copied = folder / unit_file_name(plan.units["SGDDT"], PERIOD)
    out["SGDDT"] = stamp(fill(Path(shutil.copy(forms_of["STC"], copied)), tts(plan, "STC")),
                         9)
    return out


# --------------------------------------------------------------------------- the cycle

@requires_browser
def test_the_whole_cycle_in_the_browser(page, workspace, default_plan, tmp_path, run):
    """Create a period (forms), download forms, drop a folder of returns, see each unit's
    state, findings and files, open the report; the command line sees the same."""
    p = page(workspace)
    p.open("/")
    p.shot("1-ky-bao-cao")
    p.find("input[name=ky]").send_keys("2022-Q3")
    p.click("Tạo kỳ")
    assert "Đã ghi 182 biểu mẫu kỳ quý III năm 2022" in p.job_done()
    p.shot("2-viec-xong")
    p.click("Xem tình hình nộp")
    # The units that report to this workspace (the plan's reporting line: communes report to
    # their district).
    expected = status(workspace, default_plan, PERIOD).expected
    assert list(p.states()) == expected
    assert set(p.states().values()) == {MISSING.key}
    assert p.find(f".chip[data-state='{MISSING.key}'] b").text == str(len(expected))
    p.shot("3-tinh-hinh-nop")

    # Filters: a level, then a district (the district and its communes), by htmx.
    Select(p.find("select[name=cap]")).select_by_visible_text("Cấp tỉnh")
    tinh = [c for c in expected if default_plan.units[c].level == "tinh"]
    p.wait(lambda _: list(p.states()) == tinh, 20)
    Select(p.find("select[name=cap]")).select_by_visible_text("Tất cả")
    Select(p.find("select[name=huyen]")).select_by_value("080")
    in_080 = [c for c in expected if "080" in (c, default_plan.units[c].parent)]
    p.wait(lambda _: list(p.states()) == in_080, 20)
    assert "huyen=080" in p.driver.current_url  # the filtered list has its own address

    # Forms: all of them as a .zip, and one from its unit's row.
    p.open(f"/ky/{PERIOD.id}/nop")
    bundle = p.download(p.driver.find_element(By.LINK_TEXT, "Tải tất cả biểu mẫu (.zip)"))
    forms_dir = tmp_path / "bieu-mau"
    with zipfile.ZipFile(bundle) as archive:
        assert len(archive.namelist()) == 182
        archive.extractall(forms_dir)
    stp_form = p.download(p.row("STP").find_element(By.LINK_TEXT, "Tải"))
    assert stp_form.read_bytes() == workspace.form_path(PERIOD, default_plan.units["STP"]) \
        .read_bytes()
    forms_of = {c: forms_dir / unit_file_name(default_plan.units[c], PERIOD)
                for c in ("STP", "SYT", "SLDTBXH", "STC")}
    sent = returns(default_plan, forms_of, tmp_path / "bao-cao-gui-ve")

    # Drop the folder (the folder picker: what dropping a folder gives the page).
    p.click("Nhận báo cáo")
    p.shot("4-nhan-bao-cao")
    p.find("#chon-thu-muc").send_keys(str(tmp_path / "bao-cao-gui-ve"))
    p.click("Lưu và thu nhận")
    done = p.job_done()
    p.shot("5-thu-nhan-xong")
    assert "Kỳ quý III năm 2022: 5 tệp (5 tệp mới)," in done
    (refusal,) = safety.screen(sent["SCT"])
    assert f"Bị từ chối: {sent['SCT'].name}: {refusal.message}" in done
    saved = sorted(p.name for p in workspace.input_dir(PERIOD).iterdir())
    assert saved == sorted(p.name for p in sent.values())

    # Each unit's state, received file, findings and feedback, as the officer sees them.
    p.click("Xem tình hình nộp")
    states = p.states()
    assert (states["STP"], states["SYT"], states["SLDTBXH"], states["SCT"]) == (
        ON_TIME.key, LATE.key, ON_TIME.key, REJECTED.key)
    assert p.row("SYT").find_element(By.CSS_SELECTOR, ".badge").text == LATE.label
    sct = p.row("SCT")
    p.press(sct.find_element(By.CSS_SELECTOR, "summary"))
    assert refusal.message in sct.find_element(By.CSS_SELECTOR, "ul.findings").text
    received = p.download(p.row("STP").find_element(By.LINK_TEXT, sent["STP"].name))
    assert received.read_bytes() == sent["STP"].read_bytes()  # the archived original
    feedback = p.download(p.row("SLDTBXH").find_element(By.LINK_TEXT, "Tải phiếu"))
    assert feedback.name == unit_file_name(default_plan.units["SLDTBXH"], PERIOD)
    p.shot("6-tinh-hinh-sau-thu-nhan")

    # The command line sees what the page did.
    cli = json.loads(run(["--json", "status", "-p", PERIOD.id], workspace).output)
    for state in STATE_BY_KEY:
        assert sorted(cli[state]) == sorted(c for c, s in p.states().items() if s == state)

    # Results: key figures, charts, the report opened.
    p.click("Kết quả")
    p.shot("7-ket-qua")
    figures = {f.find_element(By.CSS_SELECTOR, ".label").text:
               f.find_element(By.CSS_SELECTOR, ".value").text for f in p.all(".figure")}
    assert figures["Đơn vị phải báo cáo"] == "29"
    assert figures[REJECTED.label] == "1" and figures[LATE.label] == "1"
    assert len(p.all(".charts img[src^='data:image/png;base64,']")) >= 2
    report = p.download(p.driver.find_element(By.LINK_TEXT, "Báo cáo (Word)"))
    text = "\n".join(par.text for par in docx.Document(report).paragraphs)
    assert "BÁO CÁO" in text and "quý III năm 2022" in text


# --------------------------------------------------------------------------- refusals

def fetch(url: str, data: bytes | None = None, headers=None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_no_path_outside_the_workspace_is_served(serve, workspace, tmp_path):
    base = serve(workspace)
    outside = tmp_path / "bi-mat.txt"
    outside.write_text("bí mật ngoài không gian làm việc")
    folder = workspace.output_dir(PERIOD)
    folder.mkdir(parents=True)
    (folder / "ra-ngoai.xlsx").symlink_to(outside)
    (folder / "khoa.xlsx").symlink_to(workspace.state_dir / "secret.key")
    (folder / "that.xlsx").write_bytes(b"PK tep that")
    key = (workspace.state_dir / "secret.key").read_text().strip()
    for path in ("/tai/..%2F..%2Fbi-mat.txt", "/tai/%2E%2E/%2E%2E/bi-mat.txt",
                 "/tai/..%2F.baocao%2Fsecret.key", "/tai/.baocao/secret.key",
                 f"/tai/output/{PERIOD.id}/ra-ngoai.xlsx", f"/tai/output/{PERIOD.id}/khoa.xlsx",
                 f"/tai/{outside}", "/tai/baocao.toml",
                 f"/ky/{PERIOD.id}/tep-nhan/{'0' * 64}", f"/ky/{PERIOD.id}/thu/..%2F..%2F..%2Fbaocao.toml"):
        status, body = fetch(base + path)
        assert status == 404, path
        assert "bí mật" not in body and key not in body
        assert "Không có trang hoặc tệp này trong không gian làm việc." in body
    assert fetch(f"{base}/tai/output/{PERIOD.id}/that.xlsx") == (200, "PK tep that")


def test_a_post_without_its_csrf_token_is_refused(serve, workspace):
    base = serve(workspace)
    for data in (b"ky=2022-Q4", b"ky=2022-Q4&csrf_token=doan-bua"):
        status, body = fetch(f"{base}/ky", data, {"Content-Type":
                                                  "application/x-www-form-urlencoded"})
        assert status == 400
        assert CSRF_REFUSED in body.replace("&#34;", '"')
    assert not workspace.input_dir(parse_period("2022-Q4")).exists()


def test_only_the_host_it_was_opened_on_is_answered(serve, workspace):
    base = serve(workspace)
    assert fetch(base + "/ky")[0] == 200
    status, body = fetch(base + "/ky", headers={"Host": "ke-xau.example:80"})
    assert status == 400 and "127.0.0.1" in body


@requires_browser
def test_csrf_and_size_limit_in_the_browser(page, workspace, default_plan, tmp_path):
    """A form posted without its token is refused; a file over [intake] max_mb is not
    saved, and the page says why with the intake's own message (F001)."""
    config = workspace.root / "baocao.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_mb = 20", "max_mb = 0.01"),
                      encoding="utf-8")
    p = page(workspace)
    p.open("/ky")
    p.find("input[name=ky]").send_keys("2022-Q4")
    p.driver.execute_script("document.querySelector('input[name=csrf_token]').remove()")
    p.click("Tạo kỳ")
    assert p.says(CSRF_REFUSED)
    assert not workspace.input_dir(parse_period("2022-Q4")).exists()

    big = forms.write_form(default_plan, "STP", PERIOD, bytes(32), tmp_path / "STP_lon.xlsx")
    p.open(f"/ky/{PERIOD.id}/nhan")
    p.find("#chon-tep").send_keys(str(big))
    assert p.find(".chosen[data-for='chon-tep']").text == "Đã chọn 1 tệp"
    p.click("Lưu và thu nhận")
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.loi"), 30)
    p.shot("8-tep-qua-lon")
    limit = safety.limit_bytes(find_workspace(explicit=workspace.root))
    assert limit == 10485
    size = safety.human_size(Path(big).stat().st_size)
    assert p.find(".flash.loi").text == ("STP_lon.xlsx: " + finding(
        "F001", size=size, limit=safety.human_size(limit)).message)
    assert list(workspace.input_dir(PERIOD).iterdir()) == []


# --------------------------------------------------------------------------- the lock

@requires_browser
def test_the_page_waits_for_a_running_command(page, workspace, default_plan, tmp_path):
    """While a command holds the ledger's lock, intake from the page waits and says so;
    it goes on when the lock is released."""
    (workspace.state_dir / "secret.key").write_text(bytes(32).hex())
    form = forms.write_form(default_plan, "STP", PERIOD, bytes(32),
                            tmp_path / unit_file_name(default_plan.units["STP"], PERIOD))
    workspace.input_dir(PERIOD).mkdir(parents=True)
    shutil.copy2(stamp(fill(form, tts(default_plan, "STP")), 9), workspace.input_dir(PERIOD))
    p = page(workspace)
    with Ledger(workspace) as ledger, ledger.lock():
        p.open(f"/ky/{PERIOD.id}/nhan")
        p.click(f"Thu nhận các tệp đã có trong input/{PERIOD.id}/")
        p.wait(lambda d: WAITING in d.find_element(By.ID, "viec").text, 30)
        p.shot("9-cho-so-theo-doi")
        time.sleep(1.5)  # still waiting: nothing was recorded meanwhile
        assert p.find("#viec").get_attribute("data-finished") == "no"
        assert not ledger.receipts(PERIOD.id)
    assert "1 tệp (1 tệp mới), 1 hợp lệ, 0 bị từ chối" in p.job_done()
    assert status(workspace, default_plan, PERIOD).codes(ON_TIME.key) == ["STP"]


# --------------------------------------------------------------------------- mail, plan

@pytest.fixture
def small(workspace, tmp_path):
    """The workspace on the small plan (six units), with its forms."""
    from smallplan import write_plan

    plan = write_plan(workspace.root / "input" / "ke-hoach.xlsx")
    forms.write_forms(workspace, plan, PERIOD)
    return plan


@requires_browser
def test_mail_drafts_reviewed_then_sent(page, workspace, small):
    from test_mail import Controller, Store, configure, free_port

    handler = Store()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        ws = configure(workspace, controller.port)
        p = page(ws)
        p.open(f"/ky/{PERIOD.id}/thu")
        section = p.find("#thu-forms")
        section.find_element(By.XPATH, ".//button[.='Ghi thư nháp']").click()
        assert "Đã ghi 6 thư gửi biểu mẫu (thư nháp .eml)." in p.job_done()
        p.click("Thư")
        p.shot("10-thu")
        p.driver.find_element(By.PARTIAL_LINK_TEXT, "UBND xã Một").click()
        assert p.wait(lambda _d: p.find("h1").text == (
            "Biểu mẫu báo cáo quý III năm 2022 - 12/KH-UBND - UBND xã Một"), timeout=30)
        assert "x1@t.vn" in p.text() and unit_file_name(small.units["X1"], PERIOD) in p.text()
        assert "Hạn gửi báo cáo: ngày 10 tháng 9 năm 2022." in p.find("pre.body").text
        p.shot("11-xem-thu")
        p.click("Thư")
        p.find("#thu-forms").find_element(By.XPATH, ".//button[.='Gửi qua máy chủ thư']").click()
        assert p.find("#xac-nhan p").text.startswith(
            "Gửi 6 thư gửi biểu mẫu kỳ quý III năm 2022 qua máy chủ thư 127.0.0.1")
        assert handler.envelopes == []  # nothing leaves on the first click
        p.shot("11b-hoi-lai-truoc-khi-gui")
        p.click("Gửi ngay")
        assert "Đã gửi 6 thư gửi biểu mẫu; 0 thư đã gửi trước đây nên không gửi lại." in \
            p.job_done()
        received = {tuple(rcpt): email.message_from_bytes(data, policy=email.policy.default)
                    for rcpt, data in handler.envelopes}
        assert sorted(received) == [(f"{c.lower()}@t.vn",) for c in
                                    ("H1", "SA", "SB", "SNV", "X1", "X2")]
        assert received[("x1@t.vn",)]["Subject"] == ("Biểu mẫu báo cáo quý III năm 2022 - "
                                                    "12/KH-UBND - UBND xã Một")
        p.click("Thư")
        p.find("#thu-forms").find_element(By.XPATH, ".//button[.='Gửi qua máy chủ thư']").click()
        p.click("Gửi ngay")
        assert "Đã gửi 0 thư gửi biểu mẫu; 6 thư đã gửi trước đây" in p.job_done()
        assert len(handler.envelopes) == 6
    finally:
        controller.stop()


@requires_browser
def test_plan_page_lists_the_plan_and_its_findings(page, workspace, default_plan):
    p = page(workspace)
    p.open("/ke-hoach")
    p.shot("12-ke-hoach")
    text = p.text()
    assert "Kế hoạch số 239/KH-UBND ngày 30/06/2022" in text
    assert "8 nội dung, 39 nhiệm vụ, 182 đơn vị, 99 chỉ tiêu" in text
    from generator.plan.workbook import check_plan

    _plan, found = check_plan(workspace.plan_path)
    rows = [[td.text for td in r.find_elements(By.TAG_NAME, "td")]
            for r in p.all("#loi-ke-hoach tbody tr")]
    assert rows == [[SEVERITY_BY_KEY[f.severity].label, f.code, f.message] for f in found]
    task_cells = [r.find_element(By.TAG_NAME, "td").text for r in p.all("#nhiem-vu + div tr")
                  if r.find_elements(By.TAG_NAME, "td")]
    assert task_cells == [t.tt for t in default_plan.tasks]


@requires_browser
def test_a_broken_plan_is_shown_not_a_traceback(page, workspace):
    """A lead unit the plan does not know: Kế hoạch lists the finding, the other pages
    say the plan has errors (no traceback)."""
    from smallplan import write_plan

    path = workspace.root / "input" / "ke-hoach.xlsx"
    write_plan(path)
    book = openpyxl.load_workbook(path)
    book["NhiemVu"]["D2"] = "Sở Không Có"  # the lead of task 1.1
    book.save(path)
    p = page(workspace)
    p.open("/ke-hoach")
    assert ("[NhiemVu!D2] Không nhận ra đơn vị hoặc nhóm đơn vị 'Sở Không Có'"
            in p.find("#loi-ke-hoach").text)
    assert p.find("#loi-ke-hoach .badge").text == ERROR.label
    p.open(f"/ky/{PERIOD.id}/nop")
    assert "Kế hoạch ke-hoach.xlsx có lỗi" in p.find(".box.error").text
    assert "Traceback" not in p.driver.page_source


# --------------------------------------------------------------------------- the command

def test_serve_command_opens_on_127_0_0_1_and_stops(workspace):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli.app", "-w",
                             str(workspace.root), "serve", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert fetch(url + "ky")[0] == 200
        port = int(url.rsplit(":", 1)[1].strip("/"))
        if Path("/proc/net/tcp").is_file():  # Linux: the listening socket's own address
            listening = [line.split()[1] for line in
                         Path("/proc/net/tcp").read_text().splitlines()[1:]
                         if line.split()[3] == "0A" and line.split()[1].endswith(f":{port:04X}")]
            assert listening == [f"0100007F:{port:04X}"]  # 127.0.0.1 only, not 0.0.0.0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_a_port_in_use_and_a_missing_workspace(run, workspace, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port), "--no-browser"], workspace)
    assert result.exit_code == 2
    assert f"Không mở được trang ở 127.0.0.1:{port}" in result.output
    result = run(["-w", str(tmp_path), "serve", "--no-browser"])
    assert result.exit_code == 2 and "không phải không gian làm việc" in result.output


# --------------------------------------------------------------------------- issues 11, 15

@pytest.fixture
def collected(workspace, default_plan, tmp_path):
    """The workspace with the dropped folder of returns collected (forms signed with a
    fixed key): what the officer has after dropping the folder."""
    from generator.collect import collect

    key = bytes(range(32))
    (workspace.state_dir / "secret.key").write_text(key.hex())
    forms_of = {c: forms.write_form(default_plan, c, PERIOD, key, tmp_path / "f" /
                                    unit_file_name(default_plan.units[c], PERIOD))
                for c in ("STP", "SYT", "SLDTBXH", "STC")}
    sent = returns(default_plan, forms_of, workspace.input_dir(PERIOD))
    collect(workspace, default_plan, PERIOD, pdf=False)
    return sent


@requires_browser
@pytest.mark.skipif(not hasattr(Ledger, "confirm"),
                    reason="Ledger.confirm (settling a held file) comes with issue 11")
def test_held_file_is_settled_with_one_button(page, workspace, collected):
    """STC's form, filled and sent by SGDDT under SGDDT's name, is held; the officer
    settles it as SGDDT's return with a reason, and the status changes."""
    p = page(workspace)
    p.open(f"/ky/{PERIOD.id}/nop?tinh_trang={HELD_KEY}")
    held = [r.get_attribute("data-unit") for r in p.all(f"tr[data-state='{HELD_KEY}']")]
    assert held and set(held) <= {"STC", "SGDDT"}
    p.shot("13-tep-cho-xac-nhan")
    form = p.find(f"tr[data-settle='{held[0]}'] form")
    Select(form.find_element(By.NAME, "don_vi")).select_by_value("SGDDT")
    form.find_element(By.NAME, "ly_do").send_keys("Đã gọi điện: xã gửi nhầm mẫu của xã bạn")
    form.find_element(By.TAG_NAME, "button").click()
    assert p.says("Đã xác nhận tệp là báo cáo của đơn vị SGDDT.")
    p.open(f"/ky/{PERIOD.id}/nop")
    assert p.states()["SGDDT"] == ON_TIME.key


@requires_browser
@pytest.mark.skipif(not hasattr(Ledger, "close_period"),
                    reason="Ledger.close_period (closing a period) comes with issue 15")
def test_close_the_period_from_the_results_page(page, workspace, collected):
    outputs = [workspace.workbook_path(PERIOD), workspace.report_path(PERIOD)]
    before = [path.read_bytes() for path in outputs]
    p = page(workspace)
    p.open(f"/ky/{PERIOD.id}/ket-qua")
    p.click("Chốt kỳ")
    p.click("Chốt kỳ ngay")
    assert p.says("Đã chốt kỳ quý III năm 2022.")
    p.open(f"/ky/{PERIOD.id}/nhan")
    p.click(f"Thu nhận các tệp đã có trong input/{PERIOD.id}/")
    p.job_done()
    assert [path.read_bytes() for path in outputs] == before


# --------------------------------------------------------------------------- the mailbox

@requires_browser
@pytest.mark.skipif(not Path("/usr/sbin/dovecot").is_file(),
                    reason="Dovecot is not installed (apt-get install dovecot-imapd)")
def test_returns_fetched_from_the_mailbox_then_collected(page, workspace, default_plan,
                                                         tmp_path, monkeypatch):
    """The button does what `baocao collect -p --fetch` does, against a real IMAP server."""
    import test_fetch

    key = bytes(range(32))
    (workspace.state_dir / "secret.key").write_text(key.hex())
    form = forms.write_form(default_plan, "STP", PERIOD, key,
                            tmp_path / unit_file_name(default_plan.units["STP"], PERIOD))
    fill(form, tts(default_plan, "STP"))
    server = test_fetch.Dovecot()
    try:
        test_fetch.configure(workspace, server.port)
        monkeypatch.setenv(test_fetch.ENV, test_fetch.PASSWORD)
        server.append((test_fetch.mail("STP", 12, [form]),
                       dt.datetime(2022, 9, 12, 8, 31, tzinfo=VN)))
        p = page(workspace)
        p.open(f"/ky/{PERIOD.id}/nhan")
        p.click("Lấy thư từ hộp thư rồi thu nhận")
        done = p.job_done(120)
        p.shot("14-lay-thu")
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
    assert "Thư mục thư INBOX từ ngày 01/07/2022: 1 thư; đã lưu 1, bỏ qua 0, lỗi 0." in done
    assert "1 tệp (1 tệp mới), 1 hợp lệ, 0 bị từ chối" in done
    p.click("Xem tình hình nộp")
    assert p.states()["STP"] == ON_TIME.key
    assert p.row("STP").find_element(By.CSS_SELECTOR, "td.file").text == form.name


@requires_browser
def test_without_a_mailbox_the_button_says_what_to_set(page, workspace):
    p = page(workspace)
    p.open(f"/ky/{PERIOD.id}/nhan")
    button = p.driver.find_element(By.XPATH, "//button[.='Lấy thư từ hộp thư rồi thu nhận']")
    assert not button.is_enabled()
    assert "Chưa khai báo hộp thư: điền mục [imap] trong baocao.toml" in p.text()
