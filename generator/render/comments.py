"""Units' free text summarised for the report: sentences grouped, quotes kept whole.

Eight hundred difficulty notes are usually a handful of sentences written again and again
("Một bộ phận người dân chưa quen sử dụng dịch vụ công trực tuyến." by 107 communes). The
report writes each once with the number of units that raised it. Sentences are compared
after NFC, case and punctuation folding; near-identical ones (a typo, a word more) are
merged by rapidfuzz's similarity ratio. Nothing is cut: a sentence is shown whole.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from generator.text import clean

# Two sentences are "the same point" at this similarity (0-100) of their folded forms:
# a changed word in a 10-word sentence scores about 90, a different sentence below 70.
SIMILARITY = 88
# A sentence ends at . ! ? (or …) followed by a space and a capital letter or a digit.
_BREAK = re.compile(r"(?<=[.!?…])\s+")
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
ELLIPSES = ("…", "...")


def sentences(text: str) -> list[str]:
    """The whole sentences of a text, in order (a text without a full stop is one)."""
    text = clean(text)
    out, start = [], 0
    for gap in _BREAK.finditer(text):
        after = text[gap.end():gap.end() + 1]
        if after.isupper() or after.isdigit() or after in "“\"(":
            out.append(text[start:gap.start()])
            start = gap.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip(" .;,-")]


def folded(sentence: str) -> str:
    """The form sentences are compared in: NFC, lower case, no punctuation, single spaces."""
    text = unicodedata.normalize("NFC", sentence).lower()
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


@dataclass
class Group:
    """One point raised by several units: its most common wording and who raised it."""

    text: str
    units: list[str] = field(default_factory=list)  # unit codes, first raised first
    wordings: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.units)


def group_sentences(items) -> list[Group]:
    """Group (unit code, text) pairs sentence by sentence, most-raised point first.

    A unit counts once per point however often it wrote it; ties keep first-seen order.
    """
    groups: list[Group] = []
    by_key: dict[str, Group] = {}
    keys: list[str] = []  # folded form of each group's first wording, for rapidfuzz
    for unit, text in items:
        for sentence in sentences(text):
            key = folded(sentence)
            if not key:
                continue
            group = by_key.get(key)
            if group is None:
                group = _similar(key, keys, groups)
                if group is None:
                    group = Group(sentence)
                    groups.append(group)
                    keys.append(key)
                by_key[key] = group
            group.wordings[sentence] = group.wordings.get(sentence, 0) + 1
            if unit not in group.units:
                group.units.append(unit)
    for group in groups:
        # The wording most units used (first seen on a tie) stands for the group.
        group.text = max(group.wordings, key=group.wordings.get)
    order = {id(g): n for n, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-g.count, order[id(g)]))


def _similar(key: str, keys: list[str], groups: list[Group]) -> Group | None:
    if not keys:
        return None
    found = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=SIMILARITY)
    return groups[found[2]] if found else None


def whole_quote(text: str, limit: int = 320) -> str | None:
    """The leading whole sentences of a text up to `limit` characters (at least the first
    one, however long); None when the text has an ellipsis, i.e. is not whole itself."""
    parts = sentences(text)
    if not parts or any(mark in text for mark in ELLIPSES):
        return None
    if len(text.strip()) <= limit:  # whole as typed: its line breaks stay (a list stays a list)
        return text.strip()
    quote = parts[0]
    for part in parts[1:]:
        if len(quote) + 1 + len(part) > limit:
            break
        quote += " " + part
    return quote
