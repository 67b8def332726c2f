"""Small exception classes the command line maps to exit codes.

Library functions raise these with a Vietnamese message; cli.py prints the
message and exits with the code, never a traceback (unless --debug).
"""

import errno
from pathlib import Path


class BaocaoError(Exception):
    """Base class; exit code 3 (internal) unless a subclass says otherwise."""

    exit_code = 3


class UsageError(BaocaoError):
    """Bad usage: unknown period, no workspace, missing file (exit 2)."""

    exit_code = 2


class InputError(BaocaoError):
    """The inputs had errors (exit 1)."""

    exit_code = 1


# errno values meaning "the file is held by another program or not writable here".
# (getattr: Windows lacks some of the names.)
_LOCKED = {errno.EACCES, errno.EPERM, errno.EBUSY, getattr(errno, "ETXTBSY", errno.EBUSY)}
_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def os_error(exc: BaseException) -> OSError | None:
    """The OSError behind exc: itself, or one a library wrapped (xlsxwriter's
    FileCreateError carries it as its argument) or raised it from."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError):
            return exc
        wrapped = [a for a in getattr(exc, "args", ()) if isinstance(a, OSError)]
        exc = wrapped[0] if wrapped else (exc.__cause__ or exc.__context__)
        seen += 1
    return None


def write_error(exc: BaseException, path) -> UsageError | None:
    """A Vietnamese usage error (exit 2) for a file that could not be written or replaced:
    locked, read-only, disk full. None for any other failure (a bug: exit 3)."""
    found = os_error(exc)
    if found is None:
        return None
    path = Path(path or found.filename or "")
    folder = path.parent if path.name else path
    if found.errno in _FULL:
        return UsageError(f"Không ghi được {path}: ổ đĩa đã đầy (thư mục {folder}). Giải "
                          "phóng chỗ trống trên ổ đĩa rồi chạy lại.")
    if found.errno == errno.EROFS:
        return UsageError(f"Không ghi được {path}: thư mục {folder} chỉ cho phép đọc. Cấp "
                          "quyền ghi hoặc chọn không gian làm việc khác rồi chạy lại.")
    if found.errno in _LOCKED or isinstance(found, PermissionError):
        return UsageError(f"Không ghi được {path}: tệp đang mở trong chương trình khác? Đóng "
                          f"tệp rồi chạy lại (hoặc kiểm tra quyền ghi vào thư mục {folder}).")
    if found.errno == errno.EISDIR:
        return UsageError(f"Không ghi được {path}: đã có một thư mục trùng tên. Đổi tên hoặc "
                          "xóa thư mục đó rồi chạy lại.")
    return None


class PartialWrite(UsageError):
    """Some outputs could not be written (locked, read-only, disk full); the others were.
    Carries the usage errors and the paths written, so the command line can say both."""

    def __init__(self, problems, written=(), result=None):
        self.problems, self.written, self.result = list(problems), list(written), result
        super().__init__("\n".join(dict.fromkeys(str(p) for p in self.problems)))

    def __reduce__(self):  # travels between processes like any other error
        return (PartialWrite, (self.problems, self.written, self.result))
