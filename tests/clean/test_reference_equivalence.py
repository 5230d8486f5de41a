"""Vectorized and shortcut implementations give the same answers as straightforward reference versions:
py3langid's classifier, regex word and sentence splitting, Arrow's string kernels, n-grams one size at a
time, ftfy on the whole text, line-by-line whitespace folding."""

import random
import re

import ftfy
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from lxml.html import fromstring

from corpussieve.clean.domclean import preclean_tree
from corpussieve.clean.filters.c4 import count_sentences
from corpussieve.clean.filters.gopher_repetition import (
    duplicate_ngram_chars,
    ngram_hash_rows,
    ngram_hashes,
    sort_ngrams,
    sort_rows,
    top_ngram_chars,
)
from corpussieve.clean.filters.language import _identifier
from corpussieve.clean.filters.stopwords import STOP_WORDS
from corpussieve.clean.repair import _fixer_config, fix_mojibake, normalize_whitespace
from corpussieve.clean.words import count_in, count_with_letter, lower_words, split_words, word_ids

from .test_filters import GOOD

SAMPLES = [
    GOOD,
    "Der schnelle braune Fuchs springt über den faulen Hund, und die Katze schläft weiter im Garten.",
    "Le renard brun rapide saute par-dessus le chien paresseux pendant que le chat dort au soleil.",
    "El rápido zorro marrón salta sobre el perro perezoso mientras el gato duerme en el jardín.",
    "Быстрая коричневая лиса прыгает через ленивую собаку, а кошка спит в саду.",
    "速い茶色のキツネが怠惰な犬を飛び越える。猫は庭で寝ている。",
    "ΑΒΓ ΔΕΖ", "SHOUTING IN CAPITALS ABOUT THE WEATHER TODAY", "a", "12 34 56", "\u0301\u0301",
]
WORD_MARKS = re.compile(r"[\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff]")
JOINERS = (".", ",", "'", "’", "-")


@pytest.fixture(scope="module")
def word_characters() -> list[str]:
    """Every character a word can hold: letters and digits of any script, and the combining marks
    the word pattern accepts (joiners come on top)."""
    chars = (chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    return [ch for ch in chars if ch.isalnum() or WORD_MARKS.match(ch)]


def test_vector_langid_matches_py3langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    rng = random.Random(4)
    noise = ["".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 400))) for _ in range(40)]
    fast = _identifier()
    assert fast.depth >= 4
    for text in SAMPLES + noise:
        want, got = reference.classify(text), fast.classify(text)
        assert got[0] == want[0] and abs(got[1] - want[1]) < 1e-4, (text[:40], want, got)


def test_split_words_matches_the_alternation_pattern():
    reference = re.compile(
        r"[^\W_](?:[^\W_]|[\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff])*(?:['’\-][^\W_]+|(?<=\d)[.,]\d+)*"
    )
    rng = random.Random(2)
    alphabet = "ab_Z9 1.,'’-\u0301\u0915\u093f\n\tß一١_x__"
    texts = SAMPLES + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80))) for _ in range(3000)]
    for text in texts:
        assert split_words(text) == reference.findall(text), text


def test_count_with_letter_matches_arrow_numeric_on_every_character(word_characters):
    words = [ch for ch in word_characters if ch.isalnum()]
    words += ["1" + ch for ch in word_characters + list(JOINERS)]
    words += ["12.5", "1,300", "9-11", "x2", "１２", "一", "१२", "½", "don't", "COVID-19", "٣٤", "l’homme", "Ⅻ"]
    cores = pa.array(words, pa.string())
    for joiner in JOINERS:
        cores = pc.replace_substring(cores, joiner, "")
    expected = (~pc.utf8_is_numeric(cores).to_numpy(zero_copy_only=False)).tolist()
    assert [count_with_letter([word]) for word in words] == expected
    assert count_with_letter(words) == sum(expected) and count_with_letter([]) == 0


def test_has_letter_is_the_letter_class():
    words = split_words(" ".join(SAMPLES) + " 12.5 1,300 9-11 x2 １２ 一 १२ ½ don't COVID-19 ٣٤ l’homme")
    expected = pc.match_substring_regex(pa.array(words, pa.string()), r"\pL").to_numpy(zero_copy_only=False)
    assert [count_with_letter([word]) for word in words] == expected.astype(int).tolist()


def test_lower_words_is_arrow_lower_on_every_character(word_characters):
    words = word_characters + ["ΟΔΟΣ", "ΣΑΣ", "İSTANBUL", "İLE", "Straße", "DON’T"]
    assert lower_words(words) == pc.utf8_lower(pa.array(words, pa.string())).to_pylist()
    assert lower_words([]) == []


def test_count_in_matches_arrow():
    rng = random.Random(3)
    pool = ["the", "The", "THE", "İLE", "için", "İÇİN", "ΟΔΟΣ", "Σ", "OF", "and", "x", "Ǆ", "ǅ", "ǆ", "çok", "ÇOK"]
    for _ in range(500):
        words = [rng.choice(pool) for _ in range(rng.randrange(0, 30))]
        for vocabulary in (STOP_WORDS["en"], STOP_WORDS["tr"], frozenset({"ǆ", "σ", "ς", "οδοσ"})):
            lowered = pc.utf8_lower(pa.array(words, pa.string()))
            hits = pc.is_in(lowered, value_set=pa.array(sorted(vocabulary), pa.string()))
            assert count_in(words, vocabulary) == int(pc.sum(hits).as_py() or 0), words


def test_word_ids_are_dictionary_codes():
    words = split_words(" ".join(SAMPLES * 3))
    codes = pa.array(words, pa.string()).dictionary_encode().indices.to_numpy(zero_copy_only=False)
    assert word_ids(words).tolist() == codes.tolist() and len(word_ids([])) == 0


def test_ngram_hash_rows_match_one_size_at_a_time():
    rng = np.random.default_rng(1)
    for length in (0, 1, 3, 5, 11, 300):
        ids = rng.integers(0, 40, length)
        rows = ngram_hash_rows(ids, 10)
        assert rows.shape == (10, length)
        for n in range(1, 11):
            assert np.array_equal(rows[n - 1, : max(length - n + 1, 0)], ngram_hashes(ids, n)), (length, n)


def test_sort_rows_is_the_stable_argsort():
    rng = np.random.default_rng(2)
    cases = [rng.integers(0, 5, (3, 40)).astype(np.uint64), rng.integers(0, 2**63, (2, 7)).astype(np.uint64)]
    # different values sharing all but their lowest bits: the packed sort cannot tell them apart
    shared = rng.integers(0, 2**63, (2, 1)).astype(np.uint64) << np.uint64(8)
    cases.append(shared + rng.integers(0, 4, (2, 30)).astype(np.uint64))
    cases.append(np.zeros((2, 0), dtype=np.uint64))
    for rows in cases:
        order, run_starts = sort_rows(rows)
        expected = np.argsort(rows, axis=1, kind="stable") + (np.arange(len(rows)) * rows.shape[1])[:, None]
        assert np.array_equal(order, expected)
        ordered = rows.ravel()[expected]
        assert np.array_equal(run_starts[:, 1:], ordered[:, 1:] != ordered[:, :-1]) and run_starts[:, :1].all()


def _reference_top(hashes, ngram_chars):
    if len(hashes) == 0:
        return 0
    _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    best = counts.max()
    return int(ngram_chars[first[counts == best].min()]) * int(best)


def _reference_duplicate(hashes, word_lengths, n):
    if len(hashes) == 0:
        return 0
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    repeats = np.flatnonzero(first[inverse] != np.arange(len(hashes)))
    cover = np.zeros(len(word_lengths) + 1, dtype=np.int64)
    np.add.at(cover, repeats, 1)
    np.add.at(cover, repeats + n, -1)
    return int(word_lengths[np.cumsum(cover[:-1]) > 0].sum())


def test_top_and_duplicate_ngrams_match_one_size_at_a_time():
    rng = np.random.default_rng(3)
    sizes = list(range(1, 13))
    for _ in range(300):
        length = int(rng.integers(0, 60))
        ids = rng.integers(0, int(rng.integers(1, 12)), length)
        lengths = rng.integers(1, 9, length)
        ngrams = sort_ngrams(ngram_hash_rows(ids, max(sizes)), sizes)
        top, duplicate = top_ngram_chars(ngrams, lengths).tolist(), duplicate_ngram_chars(ngrams, lengths).tolist()
        csum = np.concatenate(([0], np.cumsum(lengths)))
        for n, got_top, got_duplicate in zip(sizes, top, duplicate):
            hashes = ngram_hashes(ids, n)
            assert got_top == _reference_top(hashes, csum[n:] - csum[:-n]), (length, n)
            assert got_duplicate == _reference_duplicate(hashes, lengths, n), (length, n)


def test_sentence_count_matches_line_by_line_split():
    sentence_end = re.compile(r"(?<=[.!?…。！？।؟])[\"'”’)\]]*\s+|(?<=[a-z][.!?])(?=[A-Z][a-z])")

    def reference(lines):
        return sum(1 for line in lines for piece in sentence_end.split(line) if re.search(r"\w", piece))

    rng = random.Random(5)
    alphabet = "ab.. A!?”’)\"']\n \t…xZ1Bc。\u2028\x85_"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
        lines = [stripped for line in text.split("\n") if (stripped := line.strip())]
        assert count_sentences(lines) == reference(lines), text


NASTY = [
    "a", "é", "Ã©", "â€™", "donâ€™t", " ", "  ", "\t", "\u00a0", "\u3000", "\u2000", "\n", "\n\n", "\r", "\r\n",
    "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x00", "\x1b[31m", "\x7f", "\x9d", "\u200b", "\ufeff", "\u00ad",
    "ﬁ", "e\u0301", "word", ".", "’", "\u206a", "\ufffc", "Ã", "\x80", "ð\x9f\x98\x80",
]  # fmt: skip


def test_fix_mojibake_matches_ftfy_on_the_whole_text():
    rng = random.Random(6)
    for _ in range(2000):
        text = "".join(rng.choice(NASTY) for _ in range(rng.randrange(0, 40)))
        for form in ("NFC", None):
            assert fix_mojibake(text, form) == ftfy.fix_text(text, _fixer_config(form)), text


def test_normalize_whitespace_matches_line_by_line_folding():
    spaces = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")

    def reference(text, max_blank_lines):
        text = re.sub(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]", "\n", text)
        text = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]", "", re.sub(r"[\u200b\u2060\ufeff\u00ad]", "", text))
        out, blank = [], 0
        for line in (spaces.sub(" ", line).strip() for line in text.split("\n")):
            blank = 0 if line else blank + 1
            if line or (out and blank <= max_blank_lines):
                out.append(line)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)

    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(NASTY) for _ in range(rng.randrange(0, 40)))
        assert normalize_whitespace(text, 1) == reference(text, 1), text
        assert normalize_whitespace(text, 2) == reference(text, 2), text


def test_preclean_finds_every_kind_of_candidate():
    page = fromstring(
        "<html><body><p>Some article text.</p>"
        "<section hidden>a</section><div aria-hidden='true'>b</div><div id='newsletter-box'>c</div>"
        "<ol><li><a href='/1'>d</a></li><li><a href='/2'>e</a></li></ol><span class='sr-only'>f</span>"
        "</body></html>"
    )
    removed = preclean_tree(page)
    assert page.text_content() == "Some article text."
    assert removed == {"hidden": 3, "boilerplate_block": 1, "link_list": 1}
