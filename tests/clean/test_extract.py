import pytest
from lxml.html import fromstring

from corpussieve.clean import extract as extract_module
from corpussieve.clean.config import ExtractionConfig
from corpussieve.clean.domclean import boilerplate_class, is_hidden, preclean_tree
from corpussieve.clean.extract import drop_title_lines, extract_batch, extract_main_text, sniff_page

PROSE = (
    "The council approved the new budget on Tuesday after a long debate about schools and roads. "
    "Members of the public spoke for more than two hours, and most of them asked for more money for "
    "the libraries that had closed during the winter. The mayor said that the city would review the plan "
    "again in the spring, when the new figures from the state are published."
)


def article_page(title: str, paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title} | Daily Planet</title></head><body>"
        f'<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>'
        f"<article><h1>{title}</h1>{body}{extra}</article>"
        f'<footer><p>Contact us | Privacy Policy</p></footer></body></html>'
    )


def paragraphs(seed: int, n: int = 5) -> list[str]:
    words = PROSE.split()
    return [" ".join(words[(seed + i) % 7 :] + words[: (seed + i) % 7]) for i in range(n)]


PAGE_A = article_page("Budget passes after long debate", paragraphs(1))
PAGE_B = article_page("Libraries to reopen in spring", paragraphs(3))
PAGE_C = article_page("Roads and schools top the agenda", paragraphs(5))


def test_extracts_article_without_chrome_or_title():
    result = extract_main_text(PAGE_A)
    assert result.reason is None and result.text
    assert "council approved" in result.text
    assert "Budget passes after long debate" not in result.text
    assert "Privacy Policy" not in result.text and "Home" not in result.text.split("\n")


def test_no_cross_document_state_order_does_not_matter():
    alone = {name: extract_main_text(page).text for name, page in (("a", PAGE_A), ("b", PAGE_B), ("c", PAGE_C))}
    # the same page twice in a row must not be treated as a duplicate (trafilatura's dedup cache is off)
    forward = extract_batch([PAGE_A, PAGE_B, PAGE_C, PAGE_B])
    backward = extract_batch([PAGE_C, PAGE_B, PAGE_A])
    assert [r.text for r in forward] == [alone["a"], alone["b"], alone["c"], alone["b"]]
    assert [r.text for r in backward] == [alone["c"], alone["b"], alone["a"]]


def test_trafilatura_dedup_cache_is_never_used():
    from trafilatura.deduplication import LRU_TEST

    LRU_TEST.clear()
    extract_batch([PAGE_A, PAGE_A, PAGE_B])
    assert len(LRU_TEST.cache) == 0
    options = extract_module._extractor(precision=True, comments=False, tables=True)
    assert options.dedup is False


def test_timeout_interrupts_a_slow_extraction_with_the_timeout_reason(monkeypatch):
    # an extractor that would count to END before answering; the time limit must stop it part way
    end = 100_000_000
    progress = {"steps": 0, "calls": 0}

    def slow_extractor(tree, options):
        progress["calls"] += 1
        while progress["steps"] < end:
            progress["steps"] += 1
        return "a page that took too long"

    monkeypatch.setattr(extract_module, "_run_trafilatura", slow_extractor)
    result = extract_main_text(PAGE_A, ExtractionConfig(timeout_seconds=1.0))
    assert result.reason == "extract:timeout" and result.text is None
    assert progress["calls"] == 1  # interrupted inside the first pass: no fallback pass was started
    assert 0 < progress["steps"] < end // 2


def test_a_failing_extractor_is_a_reason_not_an_exception(monkeypatch):
    def boom(tree, options):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(extract_module, "_run_trafilatura", boom)
    assert extract_main_text(PAGE_A).reason == "extract:failed"


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (None, "extract:empty_input"),
        ("", "extract:empty_input"),
        ("   \n ", "extract:empty_input"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "extract:binary"),
        ("just a plain sentence without any markup at all", "extract:not_html"),
        ("<html><body><p>" + "x" * 6_000_000 + "</p></body></html>", "extract:too_large"),
        ("<html><body>" + "<p>\ufffd\ufffd\ufffd</p>" * 2000 + "</body></html>", "extract:binary"),
        ("<html><body><nav><a href='/'>Home</a></nav></body></html>", "extract:no_main_text"),
    ],
)
def test_bad_pages_get_a_clean_reason(page, reason):
    result = extract_main_text(page)
    assert result.text is None and result.reason == reason


def test_twenty_megabyte_page_is_rejected_before_parsing(monkeypatch):
    import trafilatura.utils

    parsed = []
    real_load_html = trafilatura.utils.load_html

    def recording_load_html(html):
        parsed.append(len(html))
        return real_load_html(html)

    monkeypatch.setattr(trafilatura.utils, "load_html", recording_load_html)
    page = "<html><body>" + "<p>word word word.</p>" * 1_000_000 + "</body></html>"
    assert len(page) > 20_000_000
    assert extract_main_text(page).reason == "extract:too_large"
    assert extract_main_text(page.encode()).reason == "extract:too_large"
    assert parsed == []
    # the same recorder sees a page under the cap being parsed
    assert extract_main_text(PAGE_A).reason is None and parsed == [len(PAGE_A)]


def test_too_many_nodes():
    page = "<html><body>" + "<span>a</span>" * 3000 + "</body></html>"
    assert extract_main_text(page, ExtractionConfig(max_tree_nodes=1000)).reason == "extract:too_many_nodes"


def test_bytes_with_invalid_utf8_are_decoded_with_replacement():
    page = PAGE_A.encode("utf-8").replace(b"council", b"coun\xffcil")
    result = extract_main_text(page)
    assert result.text and "coun\ufffdcil approved" in result.text


def test_sniff_accepts_html_and_returns_text():
    page, reason = sniff_page(PAGE_A.encode(), 1_000_000)
    assert reason is None and page == PAGE_A


def test_hidden_elements():
    tree = fromstring(
        '<div><p hidden>a</p><p aria-hidden="true">b</p><p style="color:red; display: none">c</p>'
        '<p class="x sr-only">d</p><p style="display:block">e</p></div>'
    )
    assert [is_hidden(p) for p in tree.iter("p")] == [True, True, True, True, False]


def test_boilerplate_class_names_split_into_words():
    def make(cls):
        return fromstring(f'<div class="{cls}">x</div>')

    assert boilerplate_class(make("article__share-bar")) == "article__share-bar"
    assert boilerplate_class(make("relatedStories")) == "relatedStories"
    assert boilerplate_class(make("shareholder-letter")) is None
    assert boilerplate_class(make("post tag-news category-share hentry")) is None  # CMS taxonomy classes
    assert boilerplate_class(make("content body")) is None


def test_preclean_removes_widgets_but_never_the_article():
    long_para = "<p>" + PROSE + "</p>"
    page = fromstring(
        "<html><body>"
        f'<div class="post comments-enabled">{long_para * 4}</div>'  # wraps the article: protected
        '<div class="share-buttons"><a href="#">Facebook</a></div>'
        '<ul><li><a href="/1">One story</a></li><li><a href="/2">Two story</a></li></ul>'
        '<div style="display:none">Hidden promo text</div>'
        "</body></html>"
    )
    removed = preclean_tree(page)
    text = page.text_content()
    assert "council approved" in text
    assert "Facebook" not in text and "One story" not in text and "Hidden promo" not in text
    assert removed["boilerplate_block"] == 1 and removed["link_list"] == 1 and removed["hidden"] == 1
    assert removed["protected"] == 1


def test_title_lines_dropped_only_at_the_top():
    lines = ["Budget passes", "By Lois Lane", "Body text.", "More text.", "Budget passes"]
    kept, dropped = drop_title_lines(lines, ["Budget passes | Daily Planet", "Budget passes"])
    assert kept == ["By Lois Lane", "Body text.", "More text.", "Budget passes"] and dropped == 1
    # a long line contained in "<title> | Site" is the title too; a short common word is not
    title = ["Budget passes after debate | Planet News"]
    kept, dropped = drop_title_lines(["Budget passes after debate", "News"], title)
    assert kept == ["News"] and dropped == 1


def test_boilerplate_lines_removed_after_extraction():
    extra = "<p>Related: Another story about roads</p><p>Share this article</p><p>Follow us on Twitter</p>"
    text = extract_main_text(article_page("Roads", paragraphs(2), extra)).text
    assert "Related:" not in text and "Share this" not in text and "Follow us" not in text
    assert "council approved" in text


def test_recall_fallback_when_precision_finds_too_little(monkeypatch):
    calls = []

    def fake(tree, options):
        calls.append((options.focus, options.fast))
        return "short" if options.focus == "precision" else "a much longer balanced extraction " * 20

    monkeypatch.setattr(extract_module, "_run_trafilatura", fake)
    result = extract_main_text(PAGE_A)
    # the first pass skips trafilatura's readability/jusText comparison; the fallback runs it
    assert calls == [("precision", True), ("balanced", False)] and result.mode == "balanced_fallback"
    calls.clear()
    result = extract_main_text(PAGE_A, ExtractionConfig(recall_fallback=False))
    assert calls == [("precision", True)] and result.text == "short"
    calls.clear()
    extract_main_text(PAGE_A, ExtractionConfig(compare_every_page=True))
    assert calls == [("precision", False), ("balanced", False)]


def test_a_page_with_enough_text_is_extracted_once_without_the_comparison(monkeypatch):
    calls = []

    def fake(tree, options):
        calls.append((options.focus, options.fast))
        return "a long enough precision extraction " * 20

    monkeypatch.setattr(extract_module, "_run_trafilatura", fake)
    result = extract_main_text(PAGE_A)
    assert calls == [("precision", True)] and result.mode == "precision"


SHORT_ARTICLE_IN_A_MISNAMED_BLOCK = """<html><head><title>Council notes</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div class="layout-with-sidebar">
  <h1>Council notes</h1>
  <p>The council met on Tuesday and approved new cycle lanes for the harbour.</p>
  <p>Work starts in May and should take about six weeks, the mayor said.</p>
</div>
<div class="cookie-notice"><p>We use cookies to give you the best experience on our website and to show you
relevant adverts. By continuing you agree to this.</p></div>
<footer><p>Copyright 2024 The Harbour Gazette. All rights reserved.</p></footer>
</body></html>"""


def test_precleaning_never_empties_a_page_that_has_a_main_text():
    # the article's block is named like a widget ('sidebar') and its paragraphs are under the guard's 80
    # characters, so pre-cleaning takes it: the page is extracted again as it came
    cfg = ExtractionConfig(fallback_below_chars=0)  # this page is short: test this fallback alone
    without = extract_main_text(SHORT_ARTICLE_IN_A_MISNAMED_BLOCK, cfg.model_copy(update={"unprecleaned_fallback": False}))
    assert without.text is None and without.reason == "extract:no_main_text"
    assert without.removed.get("boilerplate_block")
    result = extract_main_text(SHORT_ARTICLE_IN_A_MISNAMED_BLOCK, cfg)
    assert result.text is not None and "approved new cycle lanes" in result.text
    assert result.mode == "precision_unprecleaned"


def test_unprecleaned_fallback_runs_only_when_precleaning_removed_something_and_nothing_came_out(monkeypatch):
    trees = []

    def fake(tree, options):
        trees.append(tree)
        return ""

    monkeypatch.setattr(extract_module, "_run_trafilatura", fake)
    # nothing pre-cleaned on this page: one tree, both passes, no second parse
    extract_main_text("<html><body><p>x</p></body></html>", ExtractionConfig())
    assert len({id(t) for t in trees}) == 1
    trees.clear()
    extract_main_text(SHORT_ARTICLE_IN_A_MISNAMED_BLOCK, ExtractionConfig())
    assert len({id(t) for t in trees}) == 2


def test_short_article_page_cuts_the_article_in_the_dom():
    from corpussieve.clean.scoring import short_article_page

    paragraphs = [f"Paragraph {i} of the story says something long enough to count as article text here." for i in range(5)]
    page = ("<html><body><div class='menu'><p>Subscribe to our newsletter for more stories every day of the week.</p></div>"
            "<article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "<h2>Paragraph 4 of the story</h2></article></body></html>")
    truth = "\n".join(paragraphs)
    html, short_truth = short_article_page(page, truth, 2)
    assert short_truth == "\n".join(paragraphs[:2])
    assert paragraphs[1] in html and paragraphs[2] not in html and paragraphs[4] not in html
    assert "Subscribe to our newsletter" in html  # the chrome stays
    assert short_article_page(page, truth, 4) is None  # fewer than keep + 2 paragraphs
