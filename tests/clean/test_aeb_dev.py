"""Quality bars on the 92 real aeb-dev pages (skipped where ../shared is missing)."""

from corpussieve.clean.config import CleanConfig
from corpussieve.clean.extract import extract_main_text
from corpussieve.clean.filters import usual_stack_config
from corpussieve.clean.document import clean_document
from corpussieve.clean.scoring import score_extractions


def test_extraction_beats_trafilatura_best_setting(aeb_dev):
    cfg = CleanConfig().extraction
    predictions = {key: extract_main_text(page["html"], cfg).text for key, page in aeb_dev.items()}
    score = score_extractions(predictions, {key: page["truth"] for key, page in aeb_dev.items()})
    # trafilatura include_comments=False, favor_precision=True: F1 0.973, P 0.966, R 0.979
    assert score.f1 >= 0.973 and score.precision >= 0.966, score
    assert score.recall >= 0.97 and score.empty == 0, score


def test_filters_reject_at_most_5_percent_of_true_article_bodies(aeb_dev):
    cfg = CleanConfig()
    results = {key: clean_document(text=page["truth"], cfg=cfg) for key, page in aeb_dev.items()}
    rejected = {key: result.reasons for key, result in results.items() if result.reasons}
    assert len(rejected) <= 0.05 * len(aeb_dev), rejected


def test_usual_stack_rejects_far_more_good_articles(aeb_dev):
    cfg = CleanConfig(filters=usual_stack_config())
    rejected = sum(1 for page in aeb_dev.values() if clean_document(text=page["truth"], cfg=cfg).reasons)
    assert rejected >= 0.15 * len(aeb_dev)
