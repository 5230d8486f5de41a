"""The Arrow batch stages the Spark job runs, driven directly (no Spark)."""

import numpy as np
import pyarrow as pa

from corpussieve.clean.config import CleanConfig, CleanJobConfig
from corpussieve.clean.document import clean_document
from corpussieve.clean.arrowfns import STEPS, filter_batch, prepare_batch, remove_batch

from .test_filters import GOOD
from .test_document import HTML

CHROME = ["Planet Daily", "World", "Business", "Culture and arts"]


def _text_doc(i):
    return "\n".join([*CHROME, f"Story number {i}", GOOD.replace("council", f"council {i}"), "Planet Daily footer"])


def _batch(rows):
    return pa.RecordBatch.from_pylist(rows, schema=pa.schema([
        ("id", pa.string()), ("url", pa.string()), ("text", pa.string()), ("html", pa.string()),
        ("source", pa.string()),
    ]))


ROWS = [
    {"id": "h1", "url": "https://www.planet.example/a", "text": None, "html": HTML, "source": "s"},
    *[{"id": f"t{i}", "url": f"https://news.planet.example/{i}", "text": _text_doc(i), "html": None, "source": "s"}
      for i in range(4)],
    {"id": "e1", "url": None, "text": "", "html": None, "source": "s"},
    {"id": "e2", "url": "not a url", "text": None, "html": "\x00\x01\x02 binary \x03\x04" * 50, "source": "s"},
]


def test_prepare_matches_the_pure_pipeline_and_adds_bookkeeping():
    cfg = CleanConfig()
    out = prepare_batch(_batch(ROWS), cfg)
    assert out.schema.names[:4] == ["id", "url", "text", "source"]  # html dropped, text in place
    rows = out.to_pylist()
    assert rows[0]["__site"] == "planet.example" and rows[1]["__site"] == "planet.example"
    assert rows[5]["__reasons"] == ["input:empty"] and rows[5]["__line_hashes"] is None
    assert rows[6]["__reasons"] == ["extract:binary"] and rows[6]["__excerpt"].startswith("\x00")
    whole = clean_document(html=HTML)
    assert rows[0]["__chars_extract"] == whole.steps["extract"]
    for row in rows[:5]:
        assert len(row["__line_hashes"]) == len(row["text"].split("\n"))
        keys = [k["hash"] for k in row["__line_keys"]]
        assert len(keys) == len(set(keys)) and 0 not in keys
        assert row["__chars_input"] > 0 and row["__chars_repair"] > 0 and row["__sec_prepare"] >= 0
    assert {f"__chars_{s}" for s in STEPS} <= set(out.schema.names)


def test_remove_drops_site_and_corpus_lines_and_samples_them():
    cfg = CleanConfig()
    prepared = prepare_batch(_batch(ROWS), cfg)
    rows = prepared.to_pylist()
    chrome_hash = rows[1]["__line_hashes"][0]  # "Planet Daily"
    nav_hash = rows[1]["__line_hashes"][3]  # "Culture and arts"
    site_lists = pa.array([[chrome_hash] if r["__site"] == "planet.example" else None for r in rows],
                          pa.list_(pa.int64()))
    staged = prepared.append_column("__site_lines", site_lists)
    out = remove_batch(staged, np.array([nav_hash], dtype=np.int64), np.array([chrome_hash], dtype=np.int64))
    assert "__line_hashes" not in out.schema.names and "__site_lines" not in out.schema.names
    result = out.to_pylist()
    for row in result[1:5]:
        assert "Planet Daily\n" not in row["text"] and "Culture and arts" not in row["text"]
        assert row["text"].startswith("World\nBusiness\nStory number")
        assert row["__lines_site"] == 1 and row["__lines_corpus"] == 1
        assert row["__sample_lines"] == [{"hash": chrome_hash, "line": "Planet Daily"}]
        assert row["__chars_site_lines"] == len(row["text"])
    assert result[5]["text"] is None and result[5]["__lines_site"] == 0


def test_remove_rejects_a_document_left_empty():
    cfg = CleanConfig()
    prepared = prepare_batch(_batch([{"id": "x", "url": "https://a.test/", "text": "Only chrome here\nMore chrome",
                                      "html": None, "source": None}]), cfg)
    hashes = prepared.column(prepared.schema.get_field_index("__line_hashes")).to_pylist()[0]
    out = remove_batch(prepared.append_column("__site_lines", pa.array([hashes], pa.list_(pa.int64()))),
                       np.zeros(0, dtype=np.int64))
    row = out.to_pylist()[0]
    assert row["text"] == "" and row["__reasons"] == ["site_lines:no_text_left"]


def test_filter_matches_the_pure_pipeline():
    cfg = CleanConfig()
    prepared = prepare_batch(_batch(ROWS), cfg)
    out = filter_batch(remove_batch(prepared, np.zeros(0, dtype=np.int64)), cfg).to_pylist()
    whole = clean_document(html=HTML, cfg=cfg)
    assert out[0]["text"] == whole.text and out[0]["language"] == whole.language
    assert out[0]["quality"] == whole.signals and out[0]["__reasons"] == whole.reasons == []
    assert out[6]["quality"] is None and out[6]["language"] is None and out[6]["__reasons"] == ["extract:binary"]
    for row in out[1:5]:
        assert row["__chars_filters"] == len(row["text"]) and row["language"] == "en"


def test_results_do_not_depend_on_batch_boundaries():
    cfg = CleanConfig()

    def run(batches):
        rows = []
        for batch in batches:
            rows += filter_batch(remove_batch(prepare_batch(batch, cfg), np.zeros(0, dtype=np.int64)), cfg).to_pylist()
        return [{k: v for k, v in r.items() if not k.startswith("__sec")} for r in rows]

    whole = run([_batch(ROWS)])
    split = run([_batch(ROWS[:2]), _batch(ROWS[2:3]), _batch(ROWS[3:])])
    assert whole == split


def test_keep_html_option():
    cfg = CleanConfig(job=CleanJobConfig(keep_html=True))
    out = prepare_batch(_batch(ROWS[:1]), cfg)
    assert out.column(out.schema.get_field_index("html")).to_pylist() == [HTML]


def test_each_function_outputs_the_columns_it_declares():
    from corpussieve.clean.arrowfns import REMOVE_COLUMNS, filter_columns, output_schema, prepare_columns
    from corpussieve.clean.document import filter_stack

    for cfg in (CleanConfig(), CleanConfig(job=CleanJobConfig(keep_html=True))):
        batch = _batch(ROWS)
        prepared = prepare_batch(batch, cfg)
        assert prepared.schema == output_schema(batch.schema, *prepare_columns(cfg))
        removed = remove_batch(prepared, np.zeros(0, dtype=np.int64))
        assert removed.schema == output_schema(prepared.schema, *REMOVE_COLUMNS)
        filtered = filter_batch(removed, cfg)
        assert filtered.schema == output_schema(removed.schema, filter_columns(filter_stack(cfg)))
