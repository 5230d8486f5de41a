import pytest

from corpussieve.errors import InputError
from corpussieve.validate import require_string_column, require_unique_ids

pytestmark = pytest.mark.spark


def test_duplicate_ids_are_named(spark):
    df = spark.createDataFrame([("a", "x"), ("b", "y"), ("a", "z"), ("c", "w"), ("c", "v")], "id string, text string")
    with pytest.raises(InputError) as err:
        require_unique_ids(df, "lake/raw")
    message = str(err.value)
    assert message.startswith("table lake/raw, column 'id': 2 ids appear more than once")
    assert "'a', 'c'" in message and err.value.row_ids == ["a", "c"]


def test_null_ids_are_reported_with_their_urls(spark):
    df = spark.createDataFrame([(None, "https://x/1", "t"), ("b", "https://x/2", "u")],
                               "id string, url string, text string")
    with pytest.raises(InputError, match=r"1 row has a null id \(urls: 'https://x/1'\)"):
        require_unique_ids(df, "t")
    assert require_unique_ids(df.filter("id is not null"), "t") == 1


def test_string_columns(spark):
    df = spark.createDataFrame([("a", 1)], "id string, text int")
    with pytest.raises(InputError, match="column 'text': column has type int"):
        require_string_column(df, "t", "text")
    with pytest.raises(InputError, match="column 'html': column is missing"):
        require_string_column(df, "t", "html")
