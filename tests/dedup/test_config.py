import pytest
from pydantic import ValidationError

from corpussieve.dedup import DedupConfig, NormalizationConfig


def test_defaults():
    config = DedupConfig()
    assert (config.threshold, config.num_perm, config.ngram, config.shingle_unit) == (0.8, 128, 5, "word")
    assert config.shingle_size == 5
    assert DedupConfig(shingle_unit="char", char_ngram=7).shingle_size == 7
    assert config.keep_rule.kind == "earliest_fetch_time"
    assert config.normalization == NormalizationConfig()
    for name, field in DedupConfig.model_fields.items():
        assert field.description, f"{name} has no description"


@pytest.mark.parametrize(
    "values",
    [
        {"threshold": 0.0},
        {"threshold": 1.0},
        {"threshold": 1.5},
        {"num_perm": 0},
        {"ngram": 0},
        {"shingle_unit": "token"},
        {"verification": "fuzzy"},
        {"bands": 16},
        {"rows": 8},
        {"bands": 20, "rows": 7},
        {"keep": "newest"},
        {"keep": "highest:"},
        {"keep": "highest:9lives"},
        {"seed": -1},
        {"fn_weight": 0},
        {"min_recall": 1.0},
        {"normalization": {"nfkc": "maybe"}},
        {"normalization": {"lowercase": True}},
        {"unknown_key": 1},
    ],
)
def test_impossible_values_fail_validation(values):
    with pytest.raises(ValidationError):
        DedupConfig(**values)


def test_valid_overrides():
    config = DedupConfig(bands=16, rows=8, keep=" highest:quality ", verification="exact")
    assert (config.bands, config.rows) == (16, 8)
    assert config.keep == "highest:quality"
    assert config.keep_rule.column == "quality"
    with pytest.raises(ValidationError):
        config.threshold = 2.0  # assignments are validated too


def test_bucket_similarity_floor_follows_the_verification_mode():
    assert DedupConfig(verification="signature").bucket_min_similarity == 0.8
    assert DedupConfig().bucket_min_similarity == pytest.approx(0.7)  # borderline: exact checks may follow
    assert DedupConfig(verification="exact").bucket_min_similarity == pytest.approx(0.7)
    assert DedupConfig(threshold=0.05, verification="exact").bucket_min_similarity == 0.0
