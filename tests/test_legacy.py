"""Legacy TCVN3 / VNI text: converted when it is legacy, untouched when it is not."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.intake import legacy
from generator.intake.legacy import TCVN3, VNI, detect_and_convert

# Independent of the module: the published charts, written out letter by letter.
TCVN3_CHART = {
    "à": "µ", "á": "¸", "ả": "¶", "ã": "·", "ạ": "¹", "ă": "¨", "ằ": "»", "ắ": "¾",
    "ẳ": "¼", "ẵ": "½", "ặ": "Æ", "â": "©", "ầ": "Ç", "ấ": "Ê", "ẩ": "È", "ẫ": "É",
    "ậ": "Ë", "đ": "®", "è": "Ì", "é": "Ð", "ẻ": "Î", "ẽ": "Ï", "ẹ": "Ñ", "ê": "ª",
    "ề": "Ò", "ế": "Õ", "ể": "Ó", "ễ": "Ô", "ệ": "Ö", "ì": "×", "í": "Ý", "ỉ": "Ø",
    "ĩ": "Ü", "ị": "Þ", "ò": "ß", "ó": "ã", "ỏ": "á", "õ": "â", "ọ": "ä", "ô": "«",
    "ồ": "å", "ố": "è", "ổ": "æ", "ỗ": "ç", "ộ": "é", "ơ": "¬", "ờ": "ê", "ớ": "í",
    "ở": "ë", "ỡ": "ì", "ợ": "î", "ù": "ï", "ú": "ó", "ủ": "ñ", "ũ": "ò", "ụ": "ô",
    "ư": "\xad", "ừ": "õ", "ứ": "ø", "ử": "ö", "ữ": "÷", "ự": "ù", "ỳ": "ú", "ý": "ý",
    "ỷ": "û", "ỹ": "ü", "ỵ": "þ", "Ă": "¡", "Â": "¢", "Đ": "§", "Ê": "£", "Ô": "¤",
    "Ơ": "¥", "Ư": "¦",
}
VNI_CHART = {
    "à": "aø", "á": "aù", "ả": "aû", "ã": "aõ", "ạ": "aï", "ă": "aê", "ằ": "aè",
    "ắ": "aé", "ẳ": "aú", "ẵ": "aü", "ặ": "aë", "â": "aâ", "ầ": "aà", "ấ": "aá",
    "ẩ": "aå", "ẫ": "aã", "ậ": "aä", "đ": "ñ", "Đ": "Ñ", "è": "eø", "é": "eù", "ẻ": "eû",
    "ẽ": "eõ", "ẹ": "eï", "ê": "eâ", "ề": "eà", "ế": "eá", "ể": "eå", "ễ": "eã",
    "ệ": "eä", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ò": "oø", "ó": "où",
    "ỏ": "oû", "õ": "oõ", "ọ": "oï", "ô": "oâ", "ồ": "oà", "ố": "oá", "ổ": "oå",
    "ỗ": "oã", "ộ": "oä", "ơ": "ô", "ờ": "ôø", "ớ": "ôù", "ở": "ôû", "ỡ": "ôõ",
    "ợ": "ôï", "ù": "uø", "ú": "uù", "ủ": "uû", "ũ": "uõ", "ụ": "uï", "ư": "ö",
    "ừ": "öø", "ứ": "öù", "ử": "öû", "ữ": "öõ", "ự": "öï", "ỳ": "yø", "ý": "yù",
    "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
}


def encode(text: str, chart: dict[str, str]) -> str:
    """Unicode -> legacy, as a .VnTime or VNI-Times keyboard would have typed it."""
    out = []
    for char in text:
        if char in chart:
            out.append(chart[char])
        elif char.lower() in chart and chart is VNI_CHART:
            out.append(chart[char.lower()].upper())
        else:
            out.append(char)
    return "".join(out)


PHRASES = [
    "Đã hoàn thành",
    "Đang thực hiện",
    "Chưa thực hiện",
    "Không phát sinh",
    "Người lập biểu",
    "Đã tổ chức 2 hội nghị tuyên truyền, phổ biến pháp luật cho người dân",
    "Thiếu kinh phí, cán bộ kiêm nhiệm nhiều việc",
    "Đề nghị UBND tỉnh bố trí thêm nguồn lực",
    "Sở Nội vụ tỉnh Lào Cai",
    "Huyện Bắc Hà: tỷ lệ đạt 45,5%",
]


def test_literal_strings_from_old_machines():
    assert detect_and_convert("§· hoµn thµnh") == ("Đã hoàn thành", TCVN3)
    assert detect_and_convert("Ñaõ hoaøn thaønh") == ("Đã hoàn thành", VNI)
    assert detect_and_convert("Ng\xadêi lËp biÓu") == ("Người lập biểu", TCVN3)
    assert detect_and_convert("Chöa thöïc hieän") == ("Chưa thực hiện", VNI)
    assert detect_and_convert("ÑAÕ HOAØN THAØNH") == ("ĐÃ HOÀN THÀNH", VNI)


@pytest.mark.parametrize("phrase", PHRASES)
def test_tcvn3_phrases(phrase):
    typed = encode(phrase, TCVN3_CHART)
    assert typed != phrase
    assert detect_and_convert(typed) == (phrase, TCVN3)


@pytest.mark.parametrize("phrase", PHRASES)
def test_vni_phrases(phrase):
    typed = encode(phrase, VNI_CHART)
    assert detect_and_convert(typed) == (phrase, VNI)


@pytest.mark.parametrize("word", ["Coù", "Khoâng", "Ñaït"])
def test_single_vni_words_in_a_cell(word):
    text, encoding = detect_and_convert(word)
    assert encoding == VNI and text == {"Coù": "Có", "Khoâng": "Không", "Ñaït": "Đạt"}[word]


@pytest.mark.parametrize("text", [
    *PHRASES,
    "Toát",  # VNI for "Tốt", but also a real word: ambiguous, so left as typed
    "Có", "Tốt", "Hello world", "Covid-19", "Müller", "Café ½ price", "naïve façade",
    "São Paulo", "Hélène Dupré à Paris", "A · B", "5 µm", "3×4 = 12", "© 2022 UBND tỉnh",
    "", "   ", "1.250", "45,5%", "Nguyễn Thị Hoa – 0912 345 678",
])
def test_unicode_and_foreign_text_is_left_alone(text):
    assert detect_and_convert(text) == (unicodedata.normalize("NFC", text), None)


def test_decomposed_unicode_comes_back_composed():
    nfd = unicodedata.normalize("NFD", "Đã hoàn thành")
    assert detect_and_convert(nfd) == ("Đã hoàn thành", None)


def test_non_text_passes_through():
    assert detect_and_convert(None) == (None, None)


def test_syllables():
    for word in ("nghiêng", "quyết", "giữa", "khuya", "người", "hoàn", "Đạt", "ổ"):
        assert legacy.is_syllable(word), word
    for word in ("hoaứn", "ẹaừ", "thaønh", "cou", "xyz", "àá", "ñang", "3ì4"):
        assert not legacy.is_syllable(word), word


SAMPLE = (
    "đã đang chưa hoàn thành thực hiện không phát sinh người lập biểu kết quả tổ chức "
    "hội nghị tuyên truyền cán bộ kinh phí khó khăn vướng mắc đề xuất kiến nghị tỉnh "
    "huyện xã ủy ban nhân dân sở nội vụ quyết định giải quyết thủ tục hành chính điểm "
    "chỉ số hiệu quả quản trị công dân tham gia minh bạch trách nhiệm giải trình kiểm soát "
    "tham nhũng cung ứng dịch vụ công môi trường điện tử ổn định tăng giảm ước đạt")
WORDS = SAMPLE.split()
VIET_WORDS = st.sampled_from(WORDS)


@settings(max_examples=200, deadline=None)
@given(st.lists(VIET_WORDS, min_size=1, max_size=12), st.booleans())
def test_property_round_trip(words, title):
    phrase = " ".join(words)
    if title:
        phrase = phrase[0].upper() + phrase[1:]
    assert detect_and_convert(phrase) == (phrase, None)
    typed = [encode(phrase, VNI_CHART)]
    if not any(c.isupper() and not c.isascii() and c not in TCVN3_CHART for c in phrase):
        typed.append(encode(phrase, TCVN3_CHART))
    for text, encoding in zip(typed, (VNI, TCVN3), strict=False):
        if text == phrase:
            continue
        # A spelling that reads as Vietnamese both ways ("chæ": VNI "chỉ", TCVN3 "chổ";
        # "Toát") is ambiguous and must be left as typed, never garbled.
        assert detect_and_convert(text) in ((phrase, encoding), (text, None))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=40))
def test_property_never_raises_and_returns_nfc(text):
    converted, encoding = detect_and_convert(text)
    assert encoding in (None, TCVN3, VNI)
    assert converted == unicodedata.normalize("NFC", converted)


def test_a_long_text_converts_exactly_both_ways():
    phrase = " ".join(WORDS)
    assert detect_and_convert(encode(phrase, VNI_CHART)) == (phrase, VNI)
    assert detect_and_convert(encode(phrase, TCVN3_CHART)) == (phrase, TCVN3)
