"""Span removal in the lake: the refresh's clean runs the spans stage within the batch (a span earlier batches
hold is not removed from new documents: cross-batch spans are left to ``repetition`` over the lake), its
figures go to the log, and a lake made before the stage gains the ``span_tokens_removed`` column."""

from __future__ import annotations

import json
import random

import pytest

from corpussieve.cli import main
from corpussieve.sample.textgen import SentenceMaker

from .test_paragraphs import rows, write_jsonl

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]

SPANS = ["--set", "clean.spans.enabled=true", "--set", "clean.spans.span_tokens=8", "--set",
         "clean.spans.tokenizer=word"]


def article(doc_id: str, maker: SentenceMaker, fetch_time: str, passage: str | None = None) -> dict:
    lines = [maker.paragraph(4) for _ in range(4)]
    if passage is not None:  # inside a line, never a line of its own (paragraph dedup would take it)
        lines[1] = f"{maker.sentence()} {passage} {maker.sentence()}"
    return {"id": doc_id, "url": f"https://{doc_id}.example/story", "fetch_time": fetch_time, "text": "\n".join(lines)}


def test_the_refresh_strips_spans_within_the_batch(spark, tmp_path):
    maker = SentenceMaker(random.Random(29))
    passage = " ".join(maker.sentence() for _ in range(3))
    first = [article("a0", maker, "2024-06-01T00:00:00Z", passage), article("a1", maker, "2024-06-02T00:00:00Z",
                                                                            passage),
             article("a2", maker, "2024-06-03T00:00:00Z")]
    second = [article("b1", maker, "2024-07-01T00:00:00Z", passage),
              article("b0", maker, "2024-01-01T00:00:00Z", passage), article("b2", maker, "2024-07-02T00:00:00Z")]
    write_jsonl(tmp_path / "batch0", first)
    write_jsonl(tmp_path / "batch1", second)
    lake = tmp_path / "lake"
    # the first refresh without the stage: the lake's tables have no span_tokens_removed column yet
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "batch0")], spark=spark) == 0
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "batch1"), *SPANS], spark=spark) == 0

    docs = {r["id"]: r for r in rows(lake / "documents")}
    assert set(docs) == {"a0", "a1", "a2", "b0", "b1", "b2"}
    assert passage in docs["a0"]["text"] and passage in docs["a1"]["text"]  # batch 0: the stage was off
    assert all(docs[i]["span_tokens_removed"] is None for i in ("a0", "a1", "a2"))
    # batch 1: b0 is first by fetch time within the batch and keeps the passage, although a0 and a1 hold it
    assert passage in docs["b0"]["text"] and passage not in docs["b1"]["text"]
    assert docs["b0"]["span_tokens_removed"] == 0 and docs["b2"]["span_tokens_removed"] == 0
    assert docs["b1"]["span_tokens_removed"] >= len(passage.split())
    log = [r for r in rows(lake / "refresh_log") if r["step"] == "clean"]
    details = {r["refresh"]: json.loads(r["details"]) for r in log}
    assert "span_tokens_removed" not in details[0]
    assert details[1]["span_tokens_removed"] == docs["b1"]["span_tokens_removed"]
    assert details[1]["docs_with_spans_removed"] == 1
    assert details[1]["columns_added_to_lake"]["documents"] == ["span_tokens_removed"]
