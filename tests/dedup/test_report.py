import pytest

from corpussieve.dedup import DedupConfig, plan_for_config
from corpussieve.dedup.index import banding_id, index_txn_app_id, sketch_id
from corpussieve.dedup.report import banding_section, keep_rule_statement, size_histogram


def test_size_histogram_bins_by_powers_of_two_and_drops_empty_tail():
    hist = size_histogram({1: 900, 2: 40, 3: 5, 4: 1, 7: 2, 300: 1})
    assert hist[:5] == [{"size": "1", "clusters": 900}, {"size": "2", "clusters": 40},
                        {"size": "3-4", "clusters": 6}, {"size": "5-8", "clusters": 2},
                        {"size": "9-16", "clusters": 0}]
    assert hist[-1] == {"size": "257-1024", "clusters": 1}
    assert size_histogram({1: 3}) == [{"size": "1", "clusters": 3}, {"size": "2", "clusters": 0},
                                      {"size": "3-4", "clusters": 0}]


def _p_candidate(j: float, bands: int, rows: int) -> float:
    """P(a pair of Jaccard j shares at least one band): 1 - (1 - j**rows)**bands."""
    return 1.0 - (1.0 - j**rows) ** bands


@pytest.mark.parametrize(
    "config",
    [DedupConfig(), DedupConfig(bands=16, rows=8), DedupConfig(threshold=0.6, bands=20, rows=5),
     DedupConfig(threshold=0.97, num_perm=64)],
    ids=["default", "16x8", "t0.6-20x5", "t0.97-optimized"],
)
def test_banding_section_probabilities_follow_the_closed_form(config):
    section = banding_section(plan_for_config(config), config)
    b, r, t = section["bands"], section["rows"], section["threshold"]
    assert t == config.threshold
    if config.bands is not None:
        assert (b, r, section["optimized"]) == (config.bands, config.rows, False)
    assert section["p_candidate_at_threshold"] == pytest.approx(_p_candidate(t, b, r), abs=1e-12)
    assert section["fn_probability_at_threshold"] == pytest.approx(1 - _p_candidate(t, b, r), abs=1e-12)
    assert section["fn_probability_at_threshold_plus_0.05"] == pytest.approx(
        1 - _p_candidate(min(t + 0.05, 1.0), b, r), abs=1e-12)
    assert section["fp_probability_at_threshold_minus_0.1"] == pytest.approx(
        _p_candidate(max(t - 0.1, 0.0), b, r), abs=1e-12)
    curve = section["s_curve"]
    assert {"0.5", "0.8", "0.9"} <= set(curve)
    for point, stated in curve.items():
        assert stated == pytest.approx(_p_candidate(float(point), b, r), abs=1e-5), point


def test_default_banding_is_15_by_8_and_meets_its_recall_target():
    config = DedupConfig()
    section = banding_section(plan_for_config(config), config)
    assert (section["bands"], section["rows"], section["optimized"]) == (15, 8, True)
    assert section["fn_probability_at_threshold_plus_0.05"] < 1 - config.min_recall


def test_keep_rule_is_stated_in_words():
    assert "earliest fetch_time" in keep_rule_statement(DedupConfig(), False)
    assert "no fetch_time column" not in keep_rule_statement(DedupConfig(), False, ["id", "text", "fetch_time"])
    assert "no fetch_time column" in keep_rule_statement(DedupConfig(), False, ["id", "text"])
    text = keep_rule_statement(DedupConfig(keep="highest:quality"), True)
    assert "quality" in text and "already in the index" in text and "lowest id" in text


SKETCH_ID_DEFAULT = "oph-v1:word5:perm128:seed42:norm1111"
APP_ID_LAKE_RAW = "corpussieve-dedup-4edf4433c1d9c9c3"  # stored in Delta commits: a change re-adds batches
APP_ID_S3_RAW = "corpussieve-dedup-e7ba2f7186b58de5"


def test_index_identifiers_are_pinned_and_separate_what_matters():
    base = sketch_id(DedupConfig())
    assert base == SKETCH_ID_DEFAULT
    # what a signature does not depend on gives the same sketch id
    same = [DedupConfig(threshold=0.7, keep="lowest_id"), DedupConfig(bands=16, rows=8),
            DedupConfig(verification="exact"), DedupConfig(char_ngram=9)]  # char_ngram: unused for words
    assert {sketch_id(c) for c in same} == {base}
    chars = sketch_id(DedupConfig(shingle_unit="char", char_ngram=7))
    assert chars == "oph-v1:char7:perm128:seed42:norm1111"
    assert sketch_id(DedupConfig(shingle_unit="char", char_ngram=7, ngram=3)) == chars  # ngram: unused for chars
    # everything a signature depends on gives another one, each differently
    others = [DedupConfig(num_perm=64), DedupConfig(seed=1), DedupConfig(ngram=4),
              DedupConfig(shingle_unit="char", char_ngram=5)]
    others += [DedupConfig(normalization={flag: False})
               for flag in ("nfkc", "casefold", "fold_punctuation", "fold_whitespace")]
    ids = [sketch_id(c) for c in others]
    assert base not in ids and len(set(ids)) == len(ids)
    assert sketch_id(DedupConfig(normalization={"casefold": False})) == "oph-v1:word5:perm128:seed42:norm1011"
    assert sketch_id(DedupConfig(sketch="permutations")) == "minhash-v2:word5:perm128:seed42:norm1111"  # kept: old indexes

    assert banding_id(plan_for_config(DedupConfig(bands=16, rows=8))) == "b16r8"
    assert banding_id(plan_for_config(DedupConfig())) == "b15r8"
    assert banding_id(plan_for_config(DedupConfig(bands=8, rows=16))) == "b8r16"

    # the app id hashes the table path as given (the job normalizes the path before asking)
    assert index_txn_app_id("/lake/raw") == APP_ID_LAKE_RAW
    assert index_txn_app_id("s3a://lake/raw") == APP_ID_S3_RAW
    assert len({APP_ID_LAKE_RAW, index_txn_app_id("/lake/raw2"), index_txn_app_id("/lake/ra"),
                index_txn_app_id("/other/raw")}) == 4
