import datetime as dt
import unicodedata

from generator.text import clean, fmt_date_long, fmt_int, fmt_num, fmt_pct, fold, roman, slug


def test_vietnamese_number_style():
    assert fmt_int(1250) == "1.250"
    assert fmt_int(12500000) == "12.500.000"
    assert fmt_num(45.5) == "45,5"
    assert fmt_num(1250.25, 2) == "1.250,25"
    assert fmt_pct(0.455) == "45,5%"
    assert fmt_pct(1) == "100%"


def test_vietnamese_dates():
    assert fmt_date_long(dt.date(2022, 9, 14)) == "ngày 14 tháng 9 năm 2022"


def test_nfc_fold_and_slug():
    decomposed = unicodedata.normalize("NFD", "  Đã   hoàn thành ")
    assert clean(decomposed) == "Đã hoàn thành"
    assert unicodedata.is_normalized("NFC", clean(decomposed))
    assert fold("Đã hoàn thành") == "da hoan thanh"
    assert slug("UBND phường Duyên Hải") == "ubnd-phuong-duyen-hai"
    assert slug("Sở Lao động - Thương binh và Xã hội").isascii()


def test_roman_numerals():
    assert [roman(n) for n in (1, 4, 8, 9, 14, 40, 2022)] == [
        "I", "IV", "VIII", "IX", "XIV", "XL", "MMXXII"]
