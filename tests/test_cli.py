"""The command-line contract: global options, exit codes, Vietnamese messages."""

import gettext
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from generator import __version__
from generator.cli import i18n
from generator.cli.app import cli, hoist_global_options
from generator.workspace import find_workspace, init_workspace


def baocao(*args, cwd=None):
    """Run the installed entry point in a real process, as an officer would."""
    return subprocess.run([sys.executable, "-m", "generator.cli.app", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_version(run):
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"baocao {__version__}"


def test_help_is_vietnamese_with_examples():
    result = baocao("--help")
    assert result.returncode == 0
    assert "Cách dùng: baocao [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "Tùy chọn:" in result.stdout and "Lệnh:" in result.stdout
    assert "Hiện hướng dẫn này rồi thoát." in result.stdout
    assert "Show this message" not in result.stdout


def test_every_command_help_has_an_example():
    def walk(group, prefix):
        for name, command in group.commands.items():
            yield prefix + [name], command
            if hasattr(command, "commands"):
                yield from walk(command, prefix + [name])

    for path, command in walk(cli, []):
        if hasattr(command, "commands"):
            continue
        assert "Ví dụ:" in (command.help or ""), path
        assert "baocao " + " ".join(path) in command.help, path


def test_usage_errors_exit_2_in_vietnamese():
    result = baocao("plan", "check", "--khong-co")
    assert result.returncode == 2
    assert "Lỗi cách dùng: Không có tùy chọn '--khong-co'." in result.stderr
    result = baocao("lenh-la")
    assert result.returncode == 2
    assert "Không có lệnh 'lenh-la'." in result.stderr
    assert "Traceback" not in result.stderr


def test_option_markers_in_help_are_vietnamese():
    result = baocao("status", "--help")
    assert result.returncode == 0
    assert "[bắt buộc]" in " ".join(result.stdout.split())
    assert "[required]" not in result.stdout


def test_bad_period_is_exit_2_with_the_accepted_forms(tmp_path):
    result = baocao("status", "-p", "2022-Q5", cwd=tmp_path)
    assert result.returncode == 2
    assert ("Lỗi cách dùng: Giá trị không hợp lệ cho '-p' / '--period': "
            "Kỳ báo cáo không hợp lệ: '2022-Q5'.") in result.stderr
    assert "2022-Q3 (quý)" in result.stderr and "2022-9M (9 tháng)" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_plan_file_is_exit_2(tmp_path):
    result = baocao("plan", "check", str(tmp_path / "khong-co.xlsx"))
    assert result.returncode == 2
    assert result.stderr.startswith("Lỗi: Không tìm thấy tệp kế hoạch:")


def test_no_workspace_is_exit_2(tmp_path):
    result = baocao("-w", str(tmp_path), "plan", "check")
    assert result.returncode == 2
    assert "không phải không gian làm việc (thiếu baocao.toml)" in result.stderr


def test_internal_error_names_a_log_and_hides_the_traceback(monkeypatch, run):
    def explode(_path):
        raise RuntimeError("hỏng bất ngờ")

    monkeypatch.setattr("generator.cli.app.check_plan", explode)
    result = run(["plan", "check"])
    assert result.exit_code == 3
    assert "Lỗi nội bộ." in result.output and "baocao-loi.log" in result.output
    assert "Traceback" not in result.output
    log = result.output.split("Chi tiết đã ghi vào ")[1].split(";")[0]
    with open(log, encoding="utf-8") as handle:
        assert "RuntimeError: hỏng bất ngờ" in handle.read()


def test_error_text_in_brackets_is_printed_literally(monkeypatch, run):
    from generator.errors import UsageError

    def refuse(_path):
        raise UsageError("Điền host trong mục [email] của baocao.toml.")

    monkeypatch.setattr("generator.cli.app.check_plan", refuse)
    result = run(["plan", "check"])
    assert result.exit_code == 2
    assert "Lỗi: Điền host trong mục [email] của baocao.toml." in result.output


def test_broken_config_is_a_usage_error(tmp_path):
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "baocao.toml").write_text("[plan\n", encoding="utf-8")
    result = baocao("plan", "check", cwd=root)
    assert result.returncode == 2
    assert "bị lỗi cú pháp" in result.stderr


def test_init_creates_a_workspace_and_keeps_existing_files(tmp_path, run):
    target = tmp_path / "lao-cai"
    result = run(["init", str(target)])
    assert result.exit_code == 0
    for name in ("baocao.toml", "input/ke-hoach.xlsx", ".baocao/secret.key", "output"):
        assert (target / name).exists(), name
    key = (target / ".baocao" / "secret.key").read_text()
    assert len(bytes.fromhex(key)) == 32
    (target / "baocao.toml").write_text((target / "baocao.toml").read_text() + "\n# của tôi\n")
    result = run(["--json", "init", str(target)])
    assert json.loads(result.output)["created"] == []
    assert (target / "baocao.toml").read_text().endswith("# của tôi\n")
    assert (target / ".baocao" / "secret.key").read_text() == key


def test_workspace_found_from_a_subfolder_and_default_outside(tmp_path):
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "input" / "2022-Q3").mkdir()
    found = find_workspace(start=root / "input" / "2022-Q3")
    assert found.root == root.resolve()
    assert found.plan_path == root.resolve() / "input" / "ke-hoach.xlsx"
    outside = find_workspace(start=tmp_path)
    assert outside.root is None
    assert outside.plan_path.name == "ke-hoach.xlsx" and outside.plan_path.is_file()


@pytest.mark.parametrize("args", [["plan", "check"]])
def test_plan_check_inside_a_workspace_uses_its_plan(tmp_path, args):
    root = tmp_path / "ws"
    init_workspace(root)
    result = baocao(*args, cwd=root / "input")
    assert result.returncode == 0
    assert "Kế hoạch 239/KH-UBND hợp lệ" in result.stdout


def test_global_options_after_the_command_name(tmp_path):
    """People put options after the command: `baocao status -p 2022-Q3 --json -w DIR`."""
    root = tmp_path / "ws"
    init_workspace(root)
    before = CliRunner().invoke(cli, ["--json", "-w", str(root), "status", "-p", "2022-Q3"])
    after = CliRunner().invoke(cli, ["status", "-p", "2022-Q3", "--json", "-w", str(root)])
    assert before.exit_code == after.exit_code == 0
    assert json.loads(after.output) == json.loads(before.output)
    assert json.loads(after.output)["period"] == "2022-Q3"
    mixed = CliRunner().invoke(cli, ["status", f"--workspace={root}", "-p", "2022-Q3",
                                     "--json"])
    assert json.loads(mixed.output) == json.loads(before.output)


def test_hoisting_leaves_command_arguments_alone():
    assert hoist_global_options(["check", "-p", "2022-Q3", "a.xlsx", "--json", "--debug"]) == [
        "--json", "--debug", "check", "-p", "2022-Q3", "a.xlsx"]
    assert hoist_global_options(["check", "-p", "X", "--", "--json"]) == [
        "check", "-p", "X", "--", "--json"]


def test_click_catalogue_is_compiled_from_its_source():
    """The shipped .mo is the .po compiled: a translation edited in the .po is not lost."""
    shipped = i18n.CATALOGUE.with_suffix(".mo").read_bytes()
    assert shipped == i18n.compiled()
    translation = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=["vi"])
    assert translation.gettext("Missing option") == "Thiếu tùy chọn bắt buộc"
    assert translation.gettext("Show this message and exit.") == "Hiện hướng dẫn này rồi thoát."


def test_missing_required_option_in_vietnamese(tmp_path):
    result = subprocess.run([sys.executable, "-m", "generator.cli.app", "forms"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "Lỗi cách dùng: Thiếu tùy chọn bắt buộc '-p' / '--period'." in result.stderr


def test_crash_log_that_cannot_be_written_falls_back_to_stderr(monkeypatch, run, tmp_path):
    def explode(_path):
        raise RuntimeError("hỏng bất ngờ")

    blocked = tmp_path / "tep-thuong"
    blocked.write_text("không phải thư mục")
    monkeypatch.setattr("generator.cli.app.check_plan", explode)
    monkeypatch.setattr("tempfile.tempdir", str(blocked / "tmp"))  # every write there fails
    result = run(["plan", "check"])
    assert result.exit_code == 3
    assert "Lỗi nội bộ. Không ghi được nhật ký lỗi" in result.stderr
    assert "RuntimeError: hỏng bất ngờ" in result.stderr  # the details, once, on stderr
    assert result.stderr.count("Traceback") == 1


def test_control_characters_from_units_and_file_names_are_shown_escaped(tmp_path,
                                                                          default_plan):
    """A status cell holding _x001B_[2J (the reader decodes it to ESC [2J: clear screen)
    and a file name holding escapes: printed as text, never sent to the terminal."""
    import openpyxl
    from conftest import header_columns
    from test_collect import fill

    from generator.forms import layout as formspec
    from generator.forms.writer import write_form
    from generator.plan.periods import parse_period

    root = tmp_path / "ws"
    init_workspace(root)
    workspace = find_workspace(explicit=root)
    period = parse_period("2022-Q3")
    inbox = workspace.input_dir(period)
    inbox.mkdir(parents=True)
    path = inbox / "STP_\x1b]0;tieu-de\x07_\x1b[31mdo.xlsx"
    write_form(default_plan, "STP", period, workspace.secret_key(), path)
    fill(path, {t.tt for t, _ in default_plan.tasks_for("STP")})
    book = openpyxl.load_workbook(path)
    report = book[formspec.SHEET_REPORT]
    head, at = header_columns(report, [formspec.REPORT_COLUMNS["status"]])
    status_col = at[formspec.REPORT_COLUMNS["status"]]
    row = next(r for r in range(head + 1, report.max_row + 1)
               if report.cell(r, status_col).value)
    report.cell(row, status_col).value = "_x001B_[2J_x001B_[31mĐã xong"
    book.save(path)
    done = subprocess.run([sys.executable, "-m", "generator.cli.app", "-w", str(root), "check",
                           "-p", "2022-Q3"], capture_output=True, timeout=120,
                          env={**os.environ, "COLUMNS": "400"})  # one line per table row
    shown = done.stdout.decode("utf-8")
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    assert "Tình trạng '\\x1b[2J\\x1b[31mĐã xong' của nhiệm vụ" in shown
    assert shown.count("STP_\\x1b]0;tieu-de\\x07_\\x1b[31mdo.xlsx") == 2  # both tables
