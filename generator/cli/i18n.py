"""click's own messages (usage, help headings, errors) in Vietnamese, through gettext.

click marks its messages with gettext's `_()`, looked up in the current text domain for
the language gettext reads from the environment. `install()` binds the domain to the
catalogue shipped in the package (locale/vi/LC_MESSAGES/click.mo) and asks for Vietnamese,
whatever the machine's language: every word a user reads is Vietnamese.

The catalogue's source is click.po beside it; `python -m generator.cli.i18n` compiles it
(with Babel) and a test checks the shipped .mo matches the .po.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "click"
LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CATALOGUE = LOCALE_DIR / LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.po"


def install() -> None:
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    # gettext picks the language from LANGUAGE first; only this process (and the programs
    # it starts) see it.
    os.environ["LANGUAGE"] = LANGUAGE


def compiled(po: Path = CATALOGUE) -> bytes:
    """The .mo bytes of a .po catalogue."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as stream:
        catalog = read_po(stream, locale=LANGUAGE)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


if __name__ == "__main__":
    target = CATALOGUE.with_suffix(".mo")
    target.write_bytes(compiled())
    print(target)
