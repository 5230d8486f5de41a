import pytest

from corpussieve.dedup import KeepRule, choose_kept, keep_ordering, parse_keep_rule

ROWS = [
    {"id": 7, "fetch_time": 200, "text": "short", "quality": 0.5},
    {"id": 3, "fetch_time": 100, "text": "a longer text", "quality": 0.9},
    {"id": 5, "fetch_time": 100, "text": "a longer text", "quality": 0.9},
    {"id": 9, "fetch_time": None, "text": "the longest text of all", "quality": None},
    {"id": 1, "fetch_time": 300, "text": None, "quality": 0.1},
]


def test_each_rule_picks_its_row_and_ties_fall_to_the_lowest_id():
    assert choose_kept(ROWS, "earliest_fetch_time") == 3  # 3 and 5 tie at 100
    assert choose_kept(ROWS, "longest_text") == 9
    assert choose_kept(ROWS, "highest:quality") == 3  # 3 and 5 tie at 0.9
    assert choose_kept(ROWS, "lowest_id") == 1


def test_nulls_sort_last_in_both_directions():
    rows = [{"id": 1, "fetch_time": None, "q": None, "text": None}, {"id": 2, "fetch_time": 5, "q": -3, "text": ""}]
    assert choose_kept(rows, "earliest_fetch_time") == 2
    assert choose_kept(rows, "highest:q") == 2
    assert choose_kept(rows, "longest_text") == 2
    all_null = [{"id": 4, "fetch_time": None}, {"id": 2, "fetch_time": None}]
    assert choose_kept(all_null, "earliest_fetch_time") == 2


def test_full_ties_and_string_ids():
    rows = [{"id": "b", "fetch_time": 1}, {"id": "a", "fetch_time": 1}, {"id": "c", "fetch_time": 1}]
    assert choose_kept(rows, "earliest_fetch_time") == "a"
    assert choose_kept(list(reversed(rows)), "earliest_fetch_time") == "a"


def test_ordering_spec_for_spark():
    assert keep_ordering("earliest_fetch_time") == [("fetch_time", True), ("id", True)]
    assert keep_ordering("longest_text") == [("text_length", False), ("id", True)]
    assert keep_ordering("highest:quality_score") == [("quality_score", False), ("id", True)]
    assert keep_ordering("lowest_id") == [("id", True)]
    assert keep_ordering("earliest_fetch_time", id_column="doc_id", fetch_time_column="ts") == [
        ("ts", True),
        ("doc_id", True),
    ]


def test_ordering_spec_and_pure_choice_agree():
    def kept_by_spec(rows, rule):
        spec = keep_ordering(rule)

        def key(row):
            parts = []
            for column, ascending in spec:
                value = len(row["text"]) if column == "text_length" and row["text"] is not None else row.get(column)
                if column == "text_length" and row["text"] is None:
                    value = None
                parts.append((value is None, 0 if value is None else (value if ascending else -value)))
            return parts

        return min(rows, key=key)["id"]

    for rule in ("earliest_fetch_time", "longest_text", "highest:quality", "lowest_id"):
        assert choose_kept(ROWS, rule) == kept_by_spec(ROWS, rule)


def test_rule_parsing_and_errors():
    assert parse_keep_rule(" highest:score ") == KeepRule("highest", "score")
    assert str(parse_keep_rule("highest:score")) == "highest:score"
    for bad in ("newest", "highest:", "highest:1col", "highest:a-b", "highest: a b", ""):
        with pytest.raises(ValueError):
            parse_keep_rule(bad)
    with pytest.raises(KeyError):
        choose_kept([{"id": 1}], "highest:quality")
    with pytest.raises(KeyError):
        choose_kept([{"id": 1}], "longest_text")
    with pytest.raises(ValueError):
        choose_kept([], "lowest_id")
    with pytest.raises(ValueError):
        choose_kept([{"id": None, "fetch_time": 1}], "earliest_fetch_time")
