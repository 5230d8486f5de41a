"""Paragraph dedup in the lake: the refresh persists each batch's paragraphs (``paragraphs`` table), and a
paragraph an earlier batch holds is removed from every document of a new batch, whatever the keep order says
(the earlier document was first); within a batch the keep order decides."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import xxhash
from deltalake import DeltaTable

from corpussieve.cli import main
from corpussieve.clean.lines import normalize_line
from corpussieve.sample.textgen import SentenceMaker

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]


def rows(path: Path) -> list[dict]:
    return DeltaTable(str(path)).to_pyarrow_table().to_pylist()


def line_hash(line: str) -> int:
    value = xxhash.xxh3_64_intdigest(normalize_line(line).encode("utf-8"))
    return value - (1 << 64) if value >= 1 << 63 else value


def write_jsonl(folder: Path, records: list[dict]) -> None:
    folder.mkdir(parents=True)
    with gzip.open(folder / "part-00000.jsonl.gz", "wt") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def article(doc_id: str, maker: SentenceMaker, fetch_time: str, wire: str | None = None) -> dict:
    paragraphs = [maker.paragraph(4) for _ in range(5)]
    if wire is not None:
        paragraphs.insert(2, wire)
    return {"id": doc_id, "url": f"https://{doc_id}.example/story", "fetch_time": fetch_time,
            "text": "\n".join(paragraphs)}


def test_a_paragraph_an_earlier_batch_holds_is_removed_from_new_documents(spark, tmp_path):
    maker = SentenceMaker(random.Random(17))
    wire = maker.paragraph(6)
    first = [article("a0", maker, "2024-06-01T00:00:00Z", wire), article("a1", maker, "2024-06-02T00:00:00Z"),
             article("a2", maker, "2024-06-09T00:00:00Z", wire), article("a3", maker, "2024-06-03T00:00:00Z")]
    # b0 was fetched before a0, but a0 is in the lake already: it keeps the paragraph
    second = [article("b0", maker, "2024-01-01T00:00:00Z", wire), article("b1", maker, "2024-07-01T00:00:00Z", wire),
              article("b2", maker, "2024-07-02T00:00:00Z")]
    write_jsonl(tmp_path / "batch0", first)
    write_jsonl(tmp_path / "batch1", second)
    lake = tmp_path / "lake"
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "batch0")], spark=spark) == 0
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "batch1")], spark=spark) == 0

    documents = {r["id"]: r for r in rows(lake / "documents")}
    assert set(documents) == {"a0", "a1", "a2", "a3", "b0", "b1", "b2"}
    holding = {doc_id for doc_id, r in documents.items() if wire in r["text"]}
    assert holding == {"a0"}  # a2 lost it within batch 0 (a later fetch), b0 and b1 to the lake
    assert all(len(r["text"]) > 1000 for r in documents.values())  # nothing else was removed

    table = rows(lake / "paragraphs")
    assert {k for k in table[0]} == {"hash", "docs", "first_id", "refresh"}
    wire_rows = sorted((r["refresh"], r["docs"], r["first_id"]) for r in table if r["hash"] == line_hash(wire))
    assert wire_rows == [(0, 2, "a0"), (1, 2, None)]
    assert len(table) == 2 + 5 * 7  # every long paragraph of every document, once per batch holding it
    log = {(r["refresh"], r["step"]): json.loads(r["details"]) for r in rows(lake / "refresh_log")}
    assert log[(0, "clean")]["paragraphs_removed"] == 1 and log[(1, "clean")]["paragraphs_removed"] == 2
    assert log[(0, "clean")]["paragraphs_version_read"] is None
    assert log[(1, "clean")]["paragraphs_version_read"] == DeltaTable(str(lake / "paragraphs")).version() - 1

    # forget a0: its id leaves `paragraphs` with every row of the paragraphs it kept (batch 1's wire row too),
    # so the next copy of the wire paragraph is new to the lake and stays
    (tmp_path / "ids.txt").write_text("a0\n")
    a0_hashes = {r["hash"] for r in table if r["first_id"] == "a0"}
    assert line_hash(wire) in a0_hashes and len(a0_hashes) == 6
    assert main(["forget", "--lake", str(lake), "--ids", str(tmp_path / "ids.txt")], spark=spark) == 0
    after = rows(lake / "paragraphs")
    assert not {r["hash"] for r in after} & a0_hashes and "a0" not in {r["first_id"] for r in after}
    assert len(after) == len(table) - 7
    version = DeltaTable(str(lake / "paragraphs")).version()
    assert main(["forget", "--lake", str(lake), "--ids", str(tmp_path / "ids.txt")], spark=spark) == 0
    assert DeltaTable(str(lake / "paragraphs")).version() == version  # a repeat commits nothing

    write_jsonl(tmp_path / "batch2", [article("c0", maker, "2024-08-01T00:00:00Z", wire)])
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "batch2")], spark=spark) == 0
    assert wire in {r["id"]: r for r in rows(lake / "documents")}["c0"]["text"]
