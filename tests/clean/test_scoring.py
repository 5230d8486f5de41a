import pytest

from corpussieve.clean.scoring import page_score, score_extractions, token_ngrams


def test_ngrams_are_a_multiset_of_word_tokens():
    assert token_ngrams("a b, c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert token_ngrams("a a a a a") == {("a", "a", "a", "a"): 2}
    assert token_ngrams(None) == {}


def test_page_score():
    truth = "one two three four five six"
    assert page_score(truth, truth) == (1.0, 1.0)
    precision, recall = page_score("one two three four five six seven eight", truth)
    assert precision == pytest.approx(3 / 5) and recall == 1.0
    assert page_score("", truth) == (None, 0.0)


def test_empty_predictions_drop_out_of_precision():
    truths = {"a": "one two three four five", "b": "six seven eight nine ten"}
    score = score_extractions({"a": "one two three four five", "b": None}, truths)
    assert score.precision == 1.0 and score.recall == 0.5 and score.empty == 1 and score.pages == 2
    assert score.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
