import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from corpussieve.clean.config import (
    C4Config,
    CleanConfig,
    FiltersConfig,
    FineWebQualityConfig,
    GopherQualityConfig,
    GopherRepetitionConfig,
    LanguageConfig,
    LengthConfig,
)
from corpussieve.clean.filters import (
    C4,
    DocView,
    FilterStack,
    FineWebQuality,
    GopherQuality,
    GopherRepetition,
    LanguageFilter,
    LengthFilter,
    identify_language,
    usual_stack_config,
)
from corpussieve.clean.filters.gopher_repetition import (
    duplicate_ngram_chars,
    ngram_hash_rows,
    ngram_hashes,
    sort_ngrams,
    top_ngram_chars,
)
from corpussieve.clean.words import split_words

GOOD = (
    "The city council approved the new budget on Tuesday after a long debate about schools and roads.\n\n"
    "Members of the public spoke for more than two hours, and most of them asked for more money for the "
    "libraries that had closed during the winter.\n\n"
    "The mayor said that the city would review the plan again in the spring, when the new figures from the "
    "state are published. Several members said they were not happy with the result.\n\n"
    "Officials expect the first repairs to begin in May, with the work on the main bridge to follow later in "
    "the summer. The council will meet again next month to discuss the details of the plan."
)
# News prose dense in numbers and punctuation: the usual tokenization calls it non-alphabetic.
NEWS = (
    "Shares of Acme Corp. rose 4.5% on Monday, after the company said third-quarter revenue beat the "
    "estimates of analysts, according to FactSet.\n\n"
    "The company, based in Austin, Texas, said it expects sales to grow again next year; analysts, however, "
    "had forecast a slowdown.\n\n"
    "CEO Jane Roe told CNBC: \"We're growing fast, and that's with the U.S. market at 60%.\"\n\n"
    "In 2018, Acme's sales were $6.2 billion, up 12% from 2017, with margins (before tax) at 14.2%."
)


def doc(text, language="en"):
    return DocView(text, language, 0.99)


def test_words_exclude_punctuation():
    assert split_words("Hello, world... It's 12.5% (really)!") == ["Hello", "world", "It's", "12.5", "really"]


class TestGopherQuality:
    def test_good_passes(self):
        assert GopherQuality(GopherQualityConfig()).check(doc(GOOD))[1] == []

    def test_fixed_alpha_ratio_keeps_news_the_usual_one_rejects_it(self):
        ours = GopherQuality(GopherQualityConfig(min_words=20))
        usual = GopherQuality(GopherQualityConfig(min_words=20, count_punctuation_as_words=True))
        ours_signals, ours_reasons = ours.check(doc(NEWS))
        usual_signals, usual_reasons = usual.check(doc(NEWS))
        assert "gopher_quality:non_alpha_words" not in ours_reasons
        assert "gopher_quality:non_alpha_words" in usual_reasons
        assert ours_signals["alpha_word_ratio"] > 0.8 > usual_signals["alpha_word_ratio"]

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("Too short to be a document.", "too_few_words"),
            ("a b c d e f g h i j " * 10 + "the of and", "short_words"),
            (" ".join(["internationalization"] * 60) + " the and", "long_words"),
            ("#tag " * 30 + "the of and is a word " * 10, "hash_ratio"),
            ("\n".join(["- item with the words and of"] * 20), "bullet_lines"),
            ("\n".join(["A line of the text and of more..."] * 20), "ellipsis_lines"),
            (" ".join(str(n) for n in range(200)) + " the and of", "non_alpha_words"),
            ("cheap watches online best price " * 20, "few_stop_words"),
        ],
    )
    def test_bad_is_rejected(self, text, reason):
        cfg = GopherQualityConfig(min_lines_for_line_ratios=5)
        assert f"gopher_quality:{reason}" in GopherQuality(cfg).check(doc(text))[1]

    def test_stop_words_follow_the_language(self):
        german = "Der Hund und die Katze sind nicht im Haus, das ist ein Problem mit den Nachbarn. " * 8
        quality = GopherQuality(GopherQualityConfig())
        assert "gopher_quality:few_stop_words" not in quality.check(doc(german, "de"))[1]
        english_only = GopherQuality(GopherQualityConfig(stop_words="english"))
        assert "gopher_quality:few_stop_words" in english_only.check(doc(german, "de"))[1]
        # a language without a list skips the rule (-1 is stored)
        assert quality.measure(doc(german, "xx"))["stop_word_count"] == -1

    def test_spaceless_languages_skip_word_length_rules(self):
        japanese = "東京は日本の首都であり、多くの人々が住んでいる大きな都市です。" * 20
        quality = GopherQuality(GopherQualityConfig())
        assert not {"gopher_quality:long_words", "gopher_quality:too_few_words"} & set(
            quality.check(doc(japanese, "ja"))[1]
        )
        assert "gopher_quality:long_words" in quality.check(doc(japanese, "xx"))[1]

    def test_short_documents_skip_line_ratios(self):
        text = "A first line of the text and of prose.\nAnother line of the same kind.\nIt ends with…"
        assert GopherQuality(GopherQualityConfig(min_words=5)).check(doc(text))[1] == []


class TestGopherRepetition:
    def test_good_passes(self):
        assert GopherRepetition(GopherRepetitionConfig()).check(doc(GOOD))[1] == []

    def test_repeated_lines_and_paragraphs(self):
        text = "\n\n".join(["The same paragraph with the words in it."] * 5 + ["Something else entirely here."])
        reasons = GopherRepetition(GopherRepetitionConfig()).check(doc(text))[1]
        for reason in ("dup_lines", "dup_paragraphs", "dup_line_chars", "dup_paragraph_chars"):
            assert f"gopher_repetition:{reason}" in reasons

    def test_top_and_duplicate_ngrams(self):
        text = "buy cheap watches " * 30 + "and some other words that differ here"
        reasons = GopherRepetition(GopherRepetitionConfig()).check(doc(text))[1]
        assert "gopher_repetition:top_2gram" in reasons and "gopher_repetition:dup_10gram" in reasons

    @pytest.mark.parametrize("repeat", ["", "the old bridge over the river", "one two three four"])
    def test_long_ngram_rows_are_skipped_only_when_nothing_repeats(self, repeat):
        """Without a repeated 5-gram the 6..10-gram rows are not computed; the signals must be what
        the full computation gives (here: every row measured directly)."""
        text = f"{GOOD}\n{repeat}. And later {repeat} again, then {repeat} once more."
        view = doc(text)
        signals = GopherRepetition(GopherRepetitionConfig()).measure(view)
        rows = ngram_hash_rows(view.word_ids, 10)
        full = duplicate_ngram_chars(sort_ngrams(rows, [5, 6, 7, 8, 9, 10]), view.word_lengths).tolist()
        chars = len(text.strip())
        assert [signals[f"dup_{n}gram_char_fraction"] for n in range(5, 11)] == [c / chars for c in full]
        assert any(full) == (len(repeat.split()) >= 5)

    def test_ngram_helpers(self):
        ids = np.array([0, 1, 2, 0, 1, 2, 3])
        hashes = ngram_hashes(ids, 2)
        assert len(hashes) == 6 and hashes[0] == hashes[3] and hashes[0] != hashes[1]
        lengths = np.array([1, 2, 3, 1, 2, 3, 4])
        rows = ngram_hash_rows(ids, 10)
        # "0 1" occurs twice and is seen first: 1 + 2 characters times 2
        assert top_ngram_chars(sort_ngrams(rows, [2]), lengths).tolist() == [6]
        # the repeat of "0 1 2" covers words 3..5: 1 + 2 + 3 characters, counted once
        assert duplicate_ngram_chars(sort_ngrams(rows, [3, 5, 10]), lengths).tolist() == [6, 0, 0]
        assert top_ngram_chars(sort_ngrams(rows, [10]), lengths).tolist() == [0]
        assert len(ngram_hashes(ids, 10)) == 0


class TestC4:
    def test_line_rules(self):
        c4 = C4(C4Config(punctuation_rule=True, min_words_per_line=3))
        text = ("A proper sentence that ends well.\nMenu\nPlease enable javascript to continue.\n"
                "Read our privacy policy here.\nNo terminal punctuation here\n\nAnother good sentence here!")
        cleaned, signals = c4.clean_lines(text)
        assert cleaned == "A proper sentence that ends well.\n\nAnother good sentence here!"
        assert signals["dropped_punctuation_lines"] == 2 and signals["dropped_javascript_lines"] == 1
        assert signals["dropped_policy_lines"] == 1 and signals["lines"] == 6

    def test_without_punctuation_rule_headings_stay(self):
        cleaned, _ = C4(C4Config()).clean_lines("Heading\nA sentence.")
        assert cleaned == "Heading\nA sentence."

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("Lorem ipsum dolor sit amet. " * 5, "lorem_ipsum"),
            ("function f() { return 1; } is code. It is. Really. Yes.", "curly_braces"),
            ("One sentence only.", "too_few_sentences"),
        ],
    )
    def test_document_rules(self, text, reason):
        assert f"c4:{reason}" in C4(C4Config()).check(doc(text))[1]

    def test_glued_sentences_count(self):
        signals = C4(C4Config()).measure(doc("It happened on Wednesday.The police came. Nobody knew why."))
        assert signals["sentences"] == 3

    def test_good_passes(self):
        assert C4(C4Config()).check(doc(GOOD))[1] == []


class TestFineWeb:
    def test_good_passes(self):
        assert FineWebQuality(FineWebQualityConfig()).check(doc(GOOD))[1] == []

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("\n".join(f"Menu item number {i} without an end" for i in range(20)), "line_punct_ratio"),
            ("\n".join(["Short one."] * 3 + [f"Item {i}." for i in range(20)]), "short_lines"),
            ("\n".join(["The same long line repeated many times over."] * 3 + ["A different sentence."]),
             "dup_line_chars"),
            ("\n".join(f"Word{i}." for i in range(30)), "list_like"),
        ],
    )
    def test_bad_is_rejected(self, text, reason):
        assert f"fineweb:{reason}" in FineWebQuality(FineWebQualityConfig()).check(doc(text))[1]


class TestLanguageAndLength:
    def test_identify(self):
        language, score = identify_language(GOOD)
        assert language == "en" and 0.9 < score <= 1.0
        assert identify_language("Der Hund ist im Garten und die Katze schläft im Haus.")[0] == "de"
        assert identify_language("12345 678 !!!") == (None, 0.0)
        assert identify_language(None) == (None, 0.0)

    def test_language_filter(self):
        assert LanguageFilter(LanguageConfig()).judge({"language_score": 0.9}, "en") == []
        assert LanguageFilter(LanguageConfig()).judge({"language_score": 0.3}, "en") == ["low_score"]
        assert LanguageFilter(LanguageConfig(languages=["en"])).judge({"language_score": 0.9}, "de") == [
            "not_accepted"
        ]
        assert LanguageFilter(LanguageConfig()).judge({"language_score": 0.0}, None) == ["unknown"]

    def test_length(self):
        length = LengthFilter(LengthConfig(min_chars=10, max_chars=20))
        assert length.check(doc("short"))[1] == ["length:too_short"]
        assert length.check(doc("x" * 21))[1] == ["length:too_long"]
        assert length.check(doc("x" * 15))[1] == []


class TestStack:
    def test_signals_are_complete_and_rejudgeable(self):
        stack = FilterStack()
        outcome = stack.run(GOOD)
        assert outcome.kept and outcome.language == "en"
        for quality_filter in stack.filters:
            assert list(outcome.signals[quality_filter.name]) == list(quality_filter.signal_names())
        strict = FilterStack(FiltersConfig(length=LengthConfig(min_chars=10_000)))
        assert strict.judge(outcome.signals, outcome.language) == ["length:too_short"]
        assert stack.judge(outcome.signals, outcome.language) == []

    def test_schema_matches_signals(self):
        stack = FilterStack()
        outcome = stack.run(GOOD)
        array = pa.array([outcome.signals], type=stack.signal_schema())
        assert array.to_pylist()[0] == outcome.signals

    def test_disabled_filters_are_not_measured(self):
        stack = FilterStack(FiltersConfig(gopher_repetition=GopherRepetitionConfig(enabled=False)))
        assert "gopher_repetition" not in stack.run(GOOD).signals

    def test_usual_stack_is_stricter_on_news(self):
        usual = FilterStack(usual_stack_config()).run(NEWS).reasons
        ours = FilterStack(FiltersConfig(gopher_quality=GopherQualityConfig(min_words=20))).run(NEWS).reasons
        assert "gopher_quality:non_alpha_words" in usual and ours == []


@pytest.mark.parametrize(
    "bad",
    [
        {"filters": {"gopher_quality": {"min_words": 100, "max_words": 10}}},
        {"filters": {"length": {"min_chars": -1}}},
        {"filters": {"language": {"min_score": 1.5}}},
        {"filters": {"gopher_repetition": {"max_top_ngram_char_fraction": {0: 0.2}}}},
        {"filters": {"c4": {"unknown_key": True}}},
        {"markup": {"code_blocks": "maybe"}},
        {"extraction": {"timeout_seconds": 0}},
    ],
)
def test_impossible_config_fails_validation(bad):
    with pytest.raises(ValidationError):
        CleanConfig.model_validate(bad)
