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


def test_banding_section_states_error_probabilities_at_the_threshold():
    config = DedupConfig()
    section = banding_section(plan_for_config(config), config)
    assert (section["bands"], section["rows"]) == (15, 8)
    assert section["p_candidate_at_threshold"] + section["fn_probability_at_threshold"] == 1.0
    assert section["fn_probability_at_threshold_plus_0.05"] < 0.01
    assert section["s_curve"]["0.85"] >= 0.99 and section["s_curve"]["0.5"] < 0.1
    explicit = DedupConfig(bands=16, rows=8)
    assert banding_section(plan_for_config(explicit), explicit)["optimized"] is False


def test_keep_rule_is_stated_in_words():
    assert "earliest fetch_time" in keep_rule_statement(DedupConfig(), False)
    assert "no fetch_time column" not in keep_rule_statement(DedupConfig(), False, ["id", "text", "fetch_time"])
    assert "no fetch_time column" in keep_rule_statement(DedupConfig(), False, ["id", "text"])
    text = keep_rule_statement(DedupConfig(keep="highest:quality"), True)
    assert "quality" in text and "already in the index" in text and "lowest id" in text


def test_index_identifiers():
    base = sketch_id(DedupConfig())
    assert base == sketch_id(DedupConfig(threshold=0.7, keep="lowest_id"))  # not part of a signature
    for other in (DedupConfig(num_perm=64), DedupConfig(seed=1), DedupConfig(ngram=4),
                  DedupConfig(normalization={"casefold": False})):
        assert sketch_id(other) != base
    assert banding_id(plan_for_config(DedupConfig(bands=16, rows=8))) == "b16r8"
    assert index_txn_app_id("/lake/raw") == index_txn_app_id("/lake/raw") != index_txn_app_id("/lake/raw2")
