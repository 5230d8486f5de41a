import pytest

from corpussieve.clean.config import CleanConfig, MarkupConfig
from corpussieve.clean.document import clean_batch, clean_document, filter_text, prepare_text

from .test_filters import GOOD

HTML = (
    "<html><head><title>Budget passes | Planet</title></head><body>"
    '<div class="cookie-banner"><p>We use cookies to improve your experience.</p></div>'
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></nav>"
    "<article><h1>Budget passes</h1>"
    + "".join(f"<p>{p}</p>" for p in GOOD.split("\n\n"))
    + "<p>Share this article</p></article><footer>© 2020 Planet. All rights reserved.</footer></body></html>"
)
MARKDOWN = "# Budget passes\n\n" + GOOD.replace("city council", "**city council**").replace(
    "the libraries", "[the libraries](https://example.com/libraries)"
) + "\n\nShare on Facebook"


def test_html_document_is_kept_with_signals():
    result = clean_document(html=HTML, url="https://www.planet.example/news/1")
    assert result.kept and result.language == "en" and result.language_score > 0.9
    assert "city council approved" in result.text
    assert "cookies" not in result.text and "Share this" not in result.text and "Budget passes" not in result.text
    assert set(result.signals) == {"c4", "length", "language", "gopher_quality", "gopher_repetition", "fineweb"}
    assert list(result.steps) == ["input", "extract", "repair", "boilerplate_lines", "filters"]
    assert result.steps["input"] > result.steps["extract"] > 0


def test_text_document_markup_is_stripped():
    result = clean_document(text=MARKDOWN)
    assert result.kept
    assert "**" not in result.text and "](" not in result.text and "#" not in result.text
    assert "the libraries that had closed" in result.text and "Share on Facebook" not in result.text
    assert list(result.steps) == ["input", "markup", "repair", "boilerplate_lines", "filters"]


def test_markup_stripping_can_be_turned_off():
    result = clean_document(text=MARKDOWN, cfg=CleanConfig(markup=MarkupConfig(strip_markup=False)))
    assert "**city council**" in result.text


def test_html_wins_over_text():
    result = clean_document(html=HTML, text="something else entirely")
    assert "city council approved" in result.text


def test_phases_compose_to_the_whole():
    cfg = CleanConfig()
    prepared = prepare_text(HTML, None, cfg)
    filtered = filter_text(prepared.text, cfg)
    whole = clean_document(html=HTML, cfg=cfg)
    assert (filtered.text, filtered.reasons, filtered.signals) == (whole.text, whole.reasons, whole.signals)


@pytest.mark.parametrize(
    ("html", "text", "reason"),
    [
        (None, None, "input:empty"),
        ("", "", "input:empty"),
        (None, "   \n\t ", "input:empty"),
        (b"\x00\xff\xfe" * 5000, None, "extract:binary"),
        ("plain words, not a page", None, "extract:not_html"),
        ("<html>" + "<p>big page.</p>" * 1_500_000 + "</html>", None, "extract:too_large"),
        (None, "Share on Facebook\nAll rights reserved.", "input:no_text_left"),
    ],
)
def test_bad_input_gets_a_reason_not_an_exception(html, text, reason):
    result = clean_document(html=html, text=text)
    assert not result.kept and result.text is None and result.reasons == [reason]


REPEATED_NGRAMS = [f"gopher_repetition:top_{n}gram" for n in (2, 3, 4)] + [
    f"gopher_repetition:dup_{n}gram" for n in range(5, 11)
]
REPLACEMENT = "\ufffd\ufffd\ufffd garbage \ufffd bytes decoded with replacement \ufffd" * 20
MOJIBAKE = "Ã©tÃ© dÃ©jÃ  vu, la vie est belle et le soleil brille sur la ville. " * 20
CONTROLS = "\x00\x01\x02 control \x03 characters \x04" * 50
ONE_GIANT_WORD = "a" * 100_000
EMOJI = "😀🎉" * 500

# For each odd text: the text left after cleaning, the reasons (in filter order), the language, and the
# signals that explain the verdict. Every one is a single line repeated many times, so the repetition
# filter rejects those that still have words.
ODD_TEXT_VERDICTS = {
    "replacement_chars": dict(
        # U+FFFD cannot be repaired back and is neither a control nor an invisible character: kept as is
        text=REPLACEMENT, language="en",
        reasons=["c4:too_few_sentences", *REPEATED_NGRAMS, "fineweb:line_punct_ratio"],
        signals={("c4", "sentences"): 1, ("gopher_quality", "word_count"): 100,
                 ("length", "chars"): len(REPLACEMENT), ("fineweb", "line_punct_ratio"): 0},
    ),
    "mojibake": dict(
        # repaired to French before filtering: 20 sentences, French with high confidence, only repetitive
        text=("été déjà vu, la vie est belle et le soleil brille sur la ville. " * 20).strip(), language="fr",
        reasons=["gopher_repetition:top_4gram", *REPEATED_NGRAMS[3:]],
        signals={("c4", "sentences"): 20, ("gopher_quality", "word_count"): 280, ("fineweb", "line_punct_ratio"): 1},
    ),
    "control_chars": dict(
        # control characters are removed by repair, the spaces around them folded
        text=("control characters " * 50).strip(), language="en",
        reasons=["c4:too_few_sentences", "language:low_score", "gopher_quality:few_stop_words", *REPEATED_NGRAMS,
                 "fineweb:line_punct_ratio"],
        signals={("c4", "sentences"): 1, ("gopher_quality", "word_count"): 100,
                 ("gopher_quality", "stop_word_count"): 0},
    ),
    "one_giant_word": dict(
        # C4 drops the only line (its word is over max_word_length): nothing is left to judge
        text="", language=None,
        reasons=["c4:too_few_sentences", "length:too_short", "language:unknown", "gopher_quality:too_few_words",
                 "fineweb:line_punct_ratio"],
        signals={("c4", "lines"): 1, ("c4", "dropped_long_word_lines"): 1, ("length", "chars"): 0,
                 ("gopher_quality", "word_count"): 0, ("language", "language_score"): 0},
    ),
    "emoji_only": dict(
        # long enough, but no words and no letters: no language, too few words, no sentence
        text=EMOJI, language=None,
        reasons=["c4:too_few_sentences", "language:unknown", "gopher_quality:too_few_words",
                 "fineweb:line_punct_ratio"],
        signals={("c4", "sentences"): 0, ("length", "chars"): 1000, ("gopher_quality", "word_count"): 0,
                 ("language", "language_score"): 0},
    ),
}
ODD_TEXTS = {"replacement_chars": REPLACEMENT, "mojibake": MOJIBAKE, "control_chars": CONTROLS,
             "one_giant_word": ONE_GIANT_WORD, "emoji_only": EMOJI}


@pytest.mark.parametrize("case", list(ODD_TEXT_VERDICTS))
def test_odd_text_gets_its_own_verdict(case):
    expected = ODD_TEXT_VERDICTS[case]
    result = clean_document(text=ODD_TEXTS[case])
    assert result.text == expected["text"]
    assert result.reasons == expected["reasons"] and not result.kept
    assert result.language == expected["language"]
    assert list(result.steps) == ["input", "markup", "repair", "boilerplate_lines", "filters"]
    for (section, name), value in expected["signals"].items():
        assert result.signals[section][name] == value, (section, name)
    if "language:low_score" in expected["reasons"] or expected["language"] is None:
        assert result.language_score < CleanConfig().filters.language.min_score
    else:
        assert result.language_score >= CleanConfig().filters.language.min_score


def test_mojibake_text_is_repaired_before_filtering():
    result = clean_document(text="Ã©tÃ© dÃ©jÃ  vu, la vie est belle. " * 30)
    assert result.text.startswith("été déjà vu") and result.language == "fr"


def test_batch_matches_single_documents_whatever_the_split():
    htmls = [HTML, None, None, "<html><body><nav>Home</nav></body></html>"]
    texts = [None, MARKDOWN, "short", None]
    singles = [clean_document(h, t) for h, t in zip(htmls, texts)]
    whole = clean_batch(htmls, texts)
    halves = clean_batch(htmls[:2], texts[:2]) + clean_batch(htmls[2:], texts[2:])
    reversed_batch = clean_batch(htmls[::-1], texts[::-1])[::-1]
    for batch in (whole, halves, reversed_batch):
        assert [(r.text, r.reasons, r.signals) for r in batch] == [(r.text, r.reasons, r.signals) for r in singles]


def test_batch_columns_must_align():
    with pytest.raises(ValueError):
        clean_batch(["<p>a</p>"], ["a", "b"])
    assert clean_batch() == []
