"""Values of a returned form beyond generic cells: text typed in legacy Vietnamese encodings
(TCVN3, VNI) and the task status as a person typed it (any case, no diacritics, NFD)."""

from __future__ import annotations

import functools

from generator.intake import legacy
from generator.text import MEMO_ENTRIES, MEMO_TEXT_LEN, clean_text, fold
from generator.vocab import STATUSES

_STATUS_BY_FOLD = {fold(s): s for s in STATUSES}


def detect_legacy(text: str) -> tuple[str, str | None]:
    """legacy.detect_and_convert, with the conversion already clean_text()ed, memoised."""
    if len(text) > MEMO_TEXT_LEN:
        return _convert_legacy(text)
    return _convert_legacy_memo(text)


def _convert_legacy(text: str) -> tuple[str, str | None]:
    converted, encoding = legacy.detect_and_convert(text)
    return (clean_text(converted), encoding) if encoding else (text, None)


_convert_legacy_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_convert_legacy)


@functools.lru_cache(maxsize=1024)
def match_status(text: str) -> str | None:
    return _STATUS_BY_FOLD.get(fold(text)) if text else None


