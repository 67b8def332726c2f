"""Small exception classes the command line maps to exit codes.

Library functions raise these with a Vietnamese message; cli.py prints the
message and exits with the code, never a traceback (unless --debug).
"""


class BaocaoError(Exception):
    """Base class; exit code 3 (internal) unless a subclass says otherwise."""

    exit_code = 3


class UsageError(BaocaoError):
    """Bad usage: unknown period, no workspace, missing file (exit 2)."""

    exit_code = 2


class InputError(BaocaoError):
    """The inputs had errors (exit 1)."""

    exit_code = 1
