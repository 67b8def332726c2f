"""Files the page hands out, only from inside the workspace.

A path is resolved (every symbolic link followed) and must then still lie inside the
workspace, and for a download named by the browser, inside output/ or input/ as the
folder is written (a link that leads out of them, or out of the workspace, is refused).
The ledger, the archive and the signing key in .baocao/ are never listed for download:
a received file goes out only by its hash, through the ledger.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import abort, send_file

# The folders a download may name (the relative path in /tai/<path>).
PUBLIC = ("output", "input")


def inside(root: Path, path: Path, folders=None) -> Path | None:
    """The resolved path when it is a file inside root (and inside one of root's
    `folders`, when given), else None."""
    root = Path(root).resolve()
    try:
        resolved = (root / path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    if folders is not None and not any(resolved.is_relative_to(root / f) for f in folders):
        return None
    return resolved


def send(root: Path, path: Path, folders=None, name: str | None = None, inline=False):
    """The file as a download (PDF shown in the browser with inline); 404 when it is not
    a file inside the workspace."""
    found = inside(root, path, folders)
    if found is None:
        abort(404)
    return send_file(found, as_attachment=not inline, download_name=name or found.name)


def send_zip(root: Path, folder: Path, name: str):
    """Every file of a folder of the workspace as one .zip (the period's forms)."""
    files = [f for f in sorted(Path(folder).glob("*")) if inside(root, f, PUBLIC)]
    if not files:
        abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=name,
                     mimetype="application/zip")
