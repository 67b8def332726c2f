"""The workspace: a folder with baocao.toml, found from the current folder upward.

Layout: baocao.toml, input/ke-hoach.xlsx (plan), input/<period>/ (returned files),
templates/, output/ (generated), .baocao/ (secret key, ledger, archive; never sent).
Outside a workspace the embedded default plan is used.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from generator import vocab
from generator.errors import UsageError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CONFIG_NAME = "baocao.toml"


def shipped(folder: str) -> Path:
    """A top-level folder the tool ships (input/, templates/): inside the installed package
    (setup.cfg maps it there), or beside the package in a source checkout."""
    here = Path(__file__).resolve().parent
    inside = here / folder
    return inside if inside.is_dir() else here.parent / folder


PACKAGE_TEMPLATES = shipped("templates")
# The plans shipped with the tool (`baocao init --plan NAME`, `baocao demo --plan NAME`).
DEFAULT_PLAN_NAME = "lao-cai-2022"
SHIPPED_PLANS = {
    "lao-cai-2022": shipped("input") / "ke-hoach.xlsx",
    "lao-cai-2025": shipped("input") / "ke-hoach-lao-cai-2025.xlsx",
}
DEFAULT_PLAN = SHIPPED_PLANS[DEFAULT_PLAN_NAME]
# Submission deadline per unit level: a day of the period's last month, the last day on
# time, used where the plan's reporting line sets none. Plan 239 (IV.2): departments and
# districts report "trước ngày 15 của tháng cuối kỳ", so the 14th is the last day on time;
# communes report to their district earlier (the 10th).
DEFAULT_DEADLINE_DAYS = {"xa": 10, "huyen": 14, "tinh": 14}

DEFAULT_CONFIG = """\
# Cấu hình baocao cho một không gian làm việc (workspace).
# Tệp này do cán bộ đầu mối chỉnh sửa; các khóa viết bằng tiếng Anh không dấu.

[plan]
# Tệp kế hoạch (tương đối so với thư mục này)
file = "input/ke-hoach.xlsx"

[templates]
# Thư mục mẫu báo cáo Word (cán bộ có thể mở và sửa định dạng bằng Word)
dir = "templates"

[deadlines]
# Hạn nộp báo cáo: ngày cuối cùng còn đúng hạn trong tháng cuối của kỳ báo cáo, theo cấp
# đơn vị ("trước ngày 15 của tháng cuối kỳ" là hạn ngày 14); dùng cho các đơn vị mà tuyến
# báo cáo trong tệp kế hoạch (trang TuyenBaoCao) không ghi hạn nộp
xa = 10
huyen = 14
tinh = 14

[report]
# Thể thức văn bản theo Nghị định 30/2020/NĐ-CP
managing_body = "UBND TỈNH LÀO CAI"
issuing_body = "SỞ NỘI VỤ"
number_suffix = "BC-SNV"
place = "Lào Cai"
# Kính gửi (để trống: cơ quan ban hành kế hoạch, viết đầy đủ: "Ủy ban nhân dân tỉnh Lào Cai")
addressee = ""
# Địa chỉ thư của nơi nhận báo cáo (baocao mail report gửi tới đây), ví dụ văn thư UBND tỉnh
addressee_email = ""
authority = "KT. GIÁM ĐỐC"
signer_title = "PHÓ GIÁM ĐỐC"
# Họ và tên người ký (để trống: dòng tên để trống, lệnh report nhắc khai báo)
signer_name = ""
# Nơi nhận: "Như trên" (nơi được kính gửi) luôn đứng đầu
recipients = ["Như trên", "Lãnh đạo Sở", "Lưu: VT, XDCQ"]
# Số văn bản (để trống: "Số:      /BC-SNV", văn thư ghi số khi ban hành)
number = ""
# Ngày báo cáo, dạng 14/9/2022 (để trống: ngày làm việc đầu tiên sau hạn gửi báo cáo cấp
# tỉnh và sau ngày nhận báo cáo cuối cùng được tổng hợp); lệnh report có tùy chọn --ngay
date = ""

[intake]
# Dung lượng tối đa của một tệp đơn vị gửi về (MB)
max_mb = 20
# Mỗi tệp được đọc trong một tiến trình riêng có giới hạn: bộ nhớ (MB) và thời gian (giây)
memory_mb = 1536
seconds_per_file = 60

[email]
# Máy chủ gửi thư; mật khẩu lấy từ biến môi trường, không ghi vào tệp
host = ""
port = 587
security = "starttls"   # starttls | ssl | none
user = ""
password_env = "BAOCAO_SMTP_PASSWORD"
sender = ""
report_to = []

[imap]
# Hộp thư nhận báo cáo (baocao mail fetch); mật khẩu lấy từ biến môi trường, không ghi vào tệp
host = ""               # ví dụ "mail.laocai.gov.vn"
port = 993
security = "ssl"        # ssl (cổng 993) | starttls (cổng 143) | none
user = ""               # ví dụ "snv@laocai.gov.vn"
password_env = "BAOCAO_IMAP_PASSWORD"
folder = "INBOX"        # thư mục thư cần đọc
cafile = ""             # tệp chứng chỉ gốc riêng của cơ quan (để trống: chứng chỉ của máy)
"""


@dataclass
class Workspace:
    root: Path | None  # None: embedded default, no workspace
    config: dict = field(default_factory=dict)

    @property
    def plan_path(self) -> Path:
        if self.root is None:
            return DEFAULT_PLAN
        return self.root / self.config.get("plan", {}).get("file", "input/ke-hoach.xlsx")

    def require(self) -> Path:
        if self.root is None:
            raise UsageError("Không tìm thấy không gian làm việc (tệp baocao.toml) ở thư mục "
                             "này hay thư mục cha. Chạy 'baocao init' để tạo, hoặc dùng -w THƯ_MỤC.")
        return self.root

    def output_dir(self, period) -> Path:
        return self.require() / "output" / str(period)

    def forms_dir(self, period) -> Path:
        return self.output_dir(period) / vocab.FORMS_DIR

    def form_path(self, period, unit) -> Path:
        return self.forms_dir(period) / vocab.unit_file_name(unit, period)

    def feedback_path(self, period, unit) -> Path:
        return self.output_dir(period) / vocab.FEEDBACK_DIR / vocab.unit_file_name(unit, period)

    def mail_dir(self, period) -> Path:
        return self.output_dir(period) / vocab.MAIL_DIR

    def workbook_path(self, period, scope: str | None = None) -> Path:
        return self.output_dir(period) / vocab.workbook_name(period, scope)

    def report_path(self, period, scope: str | None = None) -> Path:
        return self.output_dir(period) / vocab.report_name(period, scope)

    def input_dir(self, period) -> Path:
        return self.require() / "input" / str(period)

    @property
    def state_dir(self) -> Path:
        return self.require() / ".baocao"

    @property
    def templates_dir(self) -> Path:
        if self.root is None:
            return PACKAGE_TEMPLATES
        return self.root / self.config.get("templates", {}).get("dir", "templates")

    def template(self, name: str) -> Path:
        """A template from the workspace if the officer has one, else the packaged one."""
        own = self.templates_dir / name
        return own if own.is_file() else PACKAGE_TEMPLATES / name

    @property
    def deadline_days(self) -> dict[str, int]:
        return {**DEFAULT_DEADLINE_DAYS, **self.config.get("deadlines", {})}

    def secret_key(self) -> bytes:
        path = self.state_dir / "secret.key"
        if not path.is_file():
            raise UsageError(f"Thiếu khóa ký biểu mẫu {path}. Chạy 'baocao init' trong "
                             "thư mục này để tạo khóa.")
        return bytes.fromhex(path.read_text().strip())

    def section(self, name: str) -> dict:
        defaults = tomllib.loads(DEFAULT_CONFIG).get(name, {})
        return {**defaults, **self.config.get(name, {})}


def find_workspace(start: Path | None = None, explicit: Path | None = None) -> Workspace:
    if explicit is not None:
        root = Path(explicit).resolve()
        if not (root / CONFIG_NAME).is_file():
            raise UsageError(f"Thư mục {root} không phải không gian làm việc (thiếu {CONFIG_NAME}).")
        return Workspace(root, _load_config(root))
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Workspace(folder, _load_config(folder))
    return Workspace(None, tomllib.loads(DEFAULT_CONFIG))


def _load_config(root: Path) -> dict:
    path = root / CONFIG_NAME
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"Tệp cấu hình {path} bị lỗi cú pháp: {exc}") from None


def shipped_plan(name: str | None) -> Path:
    """The workbook of a plan shipped with the tool, by name (None: the default)."""
    name = name or DEFAULT_PLAN_NAME
    if name not in SHIPPED_PLANS:
        raise UsageError(f"Không có kế hoạch đi kèm tên '{name}'. Các kế hoạch đi kèm: "
                         f"{', '.join(SHIPPED_PLANS)}.")
    return SHIPPED_PLANS[name]


def init_workspace(root: Path, plan: str | None = None) -> list[Path]:
    """Create a workspace with a shipped plan (default: the 2022 plan); existing files are
    kept, never overwritten."""
    source = shipped_plan(plan)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    created = []
    for folder in ("input", "output", "templates", ".baocao"):
        (root / folder).mkdir(exist_ok=True)
    targets = {
        root / CONFIG_NAME: lambda p: p.write_text(DEFAULT_CONFIG, encoding="utf-8"),
        root / "input" / "ke-hoach.xlsx": lambda p: shutil.copyfile(source, p),
        root / ".baocao" / "secret.key": lambda p: p.write_text(secrets.token_hex(32)),
        root / ".gitignore": lambda p: p.write_text("output/\n.baocao/\n"),
    }
    for template in sorted(PACKAGE_TEMPLATES.glob("*")):
        if template.is_file():
            targets[root / "templates" / template.name] = (
                lambda p, t=template: shutil.copyfile(t, p))
    for path, make in targets.items():
        if not path.exists():
            make(path)
            created.append(path)
    return created
