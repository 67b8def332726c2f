"""Vietnamese text typed in the legacy TCVN3 (ABC, .VnTime fonts) or VNI (VNI-Times) encodings.

Old machines still type with these fonts: the workbook then stores Latin-1 look-alikes
("§· hoµn thµnh" for "Đã hoàn thành" in TCVN3, "Ñaõ hoaøn thaønh" in VNI). No maintained
Python package converts them, so the tables are here, built from the published code
charts: TCVN 5712:1993 (VN3, the "ABC" set of the .Vn fonts, lower-case letters plus the
seven upper-case hat letters) and VNI for Windows (base letter followed by a mark
character). Detection converts only when the text holds characters typical of a legacy
encoding and the result reads as Vietnamese syllables; Unicode and ASCII text pass
through untouched.
"""

from __future__ import annotations

import re
import unicodedata

from generator.text import nfc

TCVN3, VNI = "TCVN3", "VNI"

# TCVN 5712:1993 VN3 (ABC): Unicode letter -> the Latin-1 character a .VnTime font shows
# as that letter. Aligned strings, one group per vowel; the last group is the upper-case
# hat letters and Đ.
_TCVN3_UNI = ("àáảãạ" "ăằắẳẵặ" "âầấẩẫậ" "đ" "èéẻẽẹ" "êềếểễệ" "ìíỉĩị" "òóỏõọ" "ôồốổỗộ"
              "ơờớởỡợ" "ùúủũụ" "ưừứửữự" "ỳýỷỹỵ" "ĂÂĐÊÔƠƯ")
_TCVN3_RAW = ("µ¸¶·¹" "¨»¾¼½Æ" "©ÇÊÈÉË" "®" "ÌÐÎÏÑ" "ªÒÕÓÔÖ" "×ÝØÜÞ" "ßãáâä" "«åèæçé"
              "¬êíëìî" "ïóñòô" "\xadõøö÷ù" "úýûüþ" "¡¢§£¤¥¦")

# VNI for Windows: a letter is its base letter followed by a mark character.
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_TONES = (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)
_VNI_TONE = dict(zip(_TONES, "øùûõï", strict=True))
_VNI_CIRCUMFLEX = dict(zip(("", *_TONES), "âàáåãä", strict=True))  # â, ê, ô
_VNI_BREVE = dict(zip(("", *_TONES), "êèéúüë", strict=True))  # ă
_VNI_I = dict(zip(_TONES, "ìíæóò", strict=True))  # i takes single characters
_VIET_BASES = "aăâeêioôơuưy"


def _split(letter: str) -> tuple[str, str]:
    """'ấ' -> ('â', acute): the letter with its hat, and its tone mark ('' for none)."""
    marks = unicodedata.normalize("NFD", letter)
    tone = next((m for m in marks if m in _TONES), "")
    return nfc(marks.replace(tone, "")) if tone else letter, tone


def _vni(letter: str) -> str:
    """The VNI spelling of one lower-case Vietnamese letter."""
    if letter == "đ":
        return "ñ"
    base, tone = _split(letter)
    if base in "âêô":
        return unicodedata.normalize("NFD", base)[0] + _VNI_CIRCUMFLEX[tone]
    if base == "ă":
        return "a" + _VNI_BREVE[tone]
    if base in "ơư":
        return {"ơ": "ô", "ư": "ö"}[base] + _VNI_TONE.get(tone, "")
    if base == "i" and tone:
        return _VNI_I[tone]
    if base == "y" and tone == _DOT:
        return "î"
    return base + _VNI_TONE.get(tone, "")


def _letters() -> list[str]:
    """Every lower-case Vietnamese letter that is not plain ASCII."""
    out = ["đ"]
    for base in _VIET_BASES:
        for tone in ("", *_TONES):
            letter = nfc(base + tone)
            if not letter.isascii():
                out.append(letter)
    return out


_LOWER = _letters()
VIET_LETTERS = frozenset(_LOWER + [c.upper() for c in _LOWER])

_TCVN3_MAP = dict(zip(_TCVN3_RAW, _TCVN3_UNI, strict=True))
_VNI_MAP = {}
for _letter in _LOWER:
    _VNI_MAP[_vni(_letter)] = _letter
    _VNI_MAP[_vni(_letter).upper()] = _letter.upper()
_VNI_MAP = {raw: uni for raw, uni in _VNI_MAP.items() if raw != uni}
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_MAP, key=len, reverse=True)))
_TCVN3_TABLE = str.maketrans(_TCVN3_MAP)


# Any character either encoding uses: text without one is left alone at once.
_LEGACY_CHARS = re.compile("[" + "".join(re.escape(c) for c in sorted(
    {c for c in _TCVN3_RAW + "".join(_VNI_MAP) if not c.isascii()})) + "]")
# Letters only Unicode Vietnamese has (beyond Latin-1), and combining marks: such
# text is already Unicode.
_UNICODE_ONLY = re.compile("[" + "".join(sorted(c for c in VIET_LETTERS if ord(c) > 0xFF))
                           + "\u0300-\u036f]")


def to_unicode(text: str, encoding: str) -> str:
    """Convert unconditionally from TCVN3 or VNI."""
    if encoding == TCVN3:
        return nfc(text.translate(_TCVN3_TABLE))
    if encoding == VNI:
        return nfc(_VNI_RE.sub(lambda m: _VNI_MAP[m.group()], text))
    raise ValueError(encoding)


# --------------------------------------------------------------------------- plausibility

_ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
# Vowel nuclei that may take a final consonant, and those that end in a glide and so
# never do ("ua" in "của", but "uô" in "cuộc").
_OPEN = "a ă â e ê i o ô ơ u ư y iê yê uô ươ oa oă oe uâ uê uy uyê"
_CLOSED = ("ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ưa ui ưi ưu iêu yêu oai oay oeo uây "
           "uôi uya uyu ươi ươu")


def _alternatives(words: str) -> str:
    return "(?:" + "|".join(sorted(words.split(), key=len, reverse=True)) + ")"


_SYLLABLE = re.compile(f"{_ONSET}(?:{_alternatives(_OPEN)}(?:ch|ng|nh|[cmnpt])?"
                       f"|{_alternatives(_CLOSED)})")
_TOKEN_SPLIT = re.compile(r"[\s\-–/\\,.;:()\[\]{}\"'!?…]+")


def is_syllable(word: str) -> bool:
    """A Vietnamese syllable: onset, a known vowel nucleus, coda, at most one tone."""
    if not all(c in VIET_LETTERS or (c.isascii() and c.isalpha()) for c in word):
        return False  # 'ñ' or 'ü' decompose to a letter and a tone-like mark
    marks = unicodedata.normalize("NFD", word.lower())
    if sum(marks.count(t) for t in _TONES) > 1:
        return False
    toneless = nfc("".join(m for m in marks if m not in _TONES))
    return _SYLLABLE.fullmatch(toneless) is not None


# Symbols that also occur in ordinary text; alone they prove nothing.
_SYMBOLS = frozenset("µ·×÷©®§¶½¼¾¬ª«")


def plausibility(original: str, converted: str) -> float:
    """How much better the converted text reads than the original (0 = not at all).

    Judged on the words the conversion changed: the share that became Vietnamese
    syllables, minus the share that already were. Lone characters and common symbols
    ('5 µm', 'A · B') are no evidence of a legacy encoding.
    """
    before = _TOKEN_SPLIT.split(original)
    after = _TOKEN_SPLIT.split(converted)
    if len(before) != len(after):
        return 0.0
    pairs = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    evidence = [old for old, _ in pairs if len(old) > 1]
    legacy_chars = {c for old, _ in pairs for c in old if not c.isascii()}
    if not evidence or (legacy_chars <= _SYMBOLS and len(evidence) < 2):
        return 0.0
    now = sum(is_syllable(new) for _, new in pairs) / len(pairs)
    was = sum(is_syllable(old) for old, _ in pairs) / len(pairs)
    return now if now >= THRESHOLD and now > was else 0.0


THRESHOLD = 0.9


def detect_and_convert(text: str) -> tuple[str, str | None]:
    """(Unicode NFC text, 'TCVN3' | 'VNI' | None when the text was not legacy-encoded)."""
    if not isinstance(text, str) or text.isascii():
        return text, None
    text = nfc(text)
    if _UNICODE_ONLY.search(text) or not _LEGACY_CHARS.search(text):
        return text, None
    scored = sorted(((plausibility(text, converted), encoding, converted) for encoding, converted
                     in ((e, to_unicode(text, e)) for e in (TCVN3, VNI))), reverse=True)
    (score, encoding, converted), (runner_up, _, _) = scored
    if score == 0.0 or score == runner_up:  # nothing reads better, or both do: ambiguous
        return text, None
    return converted, encoding
