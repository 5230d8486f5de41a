"""The rules of issue 14, each on inputs built from how pages are made (not from benchmark pages)."""

from __future__ import annotations

from corpussieve.clean.config import C4Config, FiltersConfig, GopherQualityConfig
from corpussieve.clean.filters import FilterStack
from corpussieve.clean.words import split_words

# a short news item as wires and paywalls leave it: a dateline and two sentences, about 230 characters
SHORT_ITEM = (
    "BERLIN (Reuters) - The city will close two of its oldest bridges to traffic from Monday after engineers "
    "found cracks in the steel.\n"
    "Buses will take a longer route through the north of the city until the repairs are done in the spring."
)


def test_a_two_sentence_news_item_is_kept():
    outcome = FilterStack().run(SHORT_ITEM)
    assert outcome.reasons == [], outcome.signals
    before = FilterStack(FiltersConfig(c4=C4Config(min_sentences=3), gopher_quality=GopherQualityConfig(min_words=50)))
    assert set(before.run(SHORT_ITEM).reasons) == {"c4:too_few_sentences", "gopher_quality:too_few_words"}


def test_one_sentence_and_a_few_words_are_still_too_little():
    stack = FilterStack()
    assert "c4:too_few_sentences" in stack.run(SHORT_ITEM.split("\n")[0]).reasons
    assert "gopher_quality:too_few_words" in stack.run(" ".join(SHORT_ITEM.split()[:30])).reasons


def test_the_word_and_sentence_floors_are_the_configured_ones():
    words = split_words(SHORT_ITEM)
    gopher = FiltersConfig().gopher_quality
    stack = FilterStack()
    at_floor = " ".join(words[: gopher.min_words]) + "."
    under = " ".join(words[: gopher.min_words - 1]) + "."
    assert stack.run(at_floor).signals["gopher_quality"]["word_count"] == gopher.min_words
    assert "gopher_quality:too_few_words" not in stack.run(at_floor).reasons
    assert "gopher_quality:too_few_words" in stack.run(under).reasons
    assert FiltersConfig().c4.min_sentences == 2 and gopher.min_words == 35
