import pytest

from corpussieve.clean.config import CleanConfig, MarkupConfig
from corpussieve.clean.pipeline import clean_batch, clean_document, filter_text, prepare_text

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


@pytest.mark.parametrize(
    "text",
    [
        "\ufffd\ufffd\ufffd garbage \ufffd bytes decoded with replacement \ufffd" * 20,
        "Ã©tÃ© dÃ©jÃ  vu, la vie est belle et le soleil brille sur la ville. " * 20,
        "\x00\x01\x02 control \x03 characters \x04" * 50,
        "a" * 100_000,
        "😀🎉" * 500,
    ],
)
def test_odd_text_is_judged_without_crashing(text):
    result = clean_document(text=text)
    assert isinstance(result.reasons, list)
    if result.text is not None:
        assert "\x00" not in result.text


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
