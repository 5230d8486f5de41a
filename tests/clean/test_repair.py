import unicodedata

from corpussieve.clean.config import RepairConfig
from corpussieve.clean.repair import normalize_whitespace, repair_text


def test_mojibake_is_repaired_quotes_kept_curly():
    broken = "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows."
    assert repair_text(broken) == "The Mona Lisa doesn’t have eyebrows."
    assert repair_text("schÃ¶n cafÃ©") == "schön café"
    assert repair_text("“curly” stays") == "“curly” stays"


def test_full_width_cjk_punctuation_is_not_folded():
    assert repair_text("東京は大きい。（本当）") == "東京は大きい。（本当）"


def test_nfc():
    decomposed = "Cafe\u0301"
    assert repair_text(decomposed) == unicodedata.normalize("NFC", decomposed) == "Café"
    assert repair_text(decomposed, RepairConfig(fix_mojibake=False, unicode_form="none")) == decomposed


def test_whitespace_and_newlines():
    text = "\ufeff  Hello\u00a0\u00a0world\t!\r\n\r\n\r\n\r\nNext\u200b line\x07\rLast  \u2028end\n\n"
    assert repair_text(text) == "Hello world !\n\nNext line\nLast\nend"


def test_blank_line_runs():
    assert normalize_whitespace("a\n\n\n\nb", max_blank_lines=2) == "a\n\n\nb"
    assert normalize_whitespace("a\n\n\n\nb", max_blank_lines=0) == "a\nb"


def test_zero_width_joiners_are_kept():
    persian = "می\u200cخواهم"
    assert repair_text(persian) == persian


def test_none_and_replacement_characters_do_not_crash():
    assert repair_text(None) == ""
    assert repair_text("bad \ufffd\ufffd bytes") == "bad \ufffd\ufffd bytes"
