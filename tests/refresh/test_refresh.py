"""Refreshes of a small lake on the shared session: every raw document ends in exactly one curated table,
copies of earlier documents are removed against the lake, the log chains the raw versions, a rerun commits
nothing, ``why`` explains, ``forget`` deletes everywhere, site boilerplate learned earlier applies to new
pages, and bad input stops before any commit."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import socket
from pathlib import Path

import pytest
from deltalake import DeltaTable

from corpussieve.cli import main
from corpussieve.sample.batches import write_next_batch
from corpussieve.sample.textgen import SentenceMaker

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]

TABLES = ("raw", "raw_rejected", "index", "removed", "documents", "rejected", "site_lines", "paragraphs",
          "refresh_log")


def ids(path: Path, column: str = "id") -> list[str]:
    return DeltaTable(str(path)).to_pyarrow_table(columns=[column]).column(column).to_pylist()


def rows(path: Path) -> list[dict]:
    return DeltaTable(str(path)).to_pyarrow_table().to_pylist()


def versions(lake: Path) -> dict[str, int | None]:
    return {t: DeltaTable(str(lake / t)).version() if DeltaTable.is_deltatable(str(lake / t)) else None
            for t in TABLES}


def refresh(spark, lake: Path, data: Path, *extra: str) -> int:
    return main(["refresh", "--lake", str(lake), "--input", str(data), *extra], spark=spark)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A lake after two refreshes: 150 generated documents, then 80 new ones plus 20 copies of the first
    batch's (6 exact, 14 near: 1% of the words edited)."""
    root = tmp_path_factory.mktemp("lake")
    assert main(["generate", "--output", str(root / "b0"), "--docs", "150", "--shards", "1", "--workers", "1",
                 "--junk-fraction", "0.1", "--log-level", "WARNING"]) == 0
    copies = write_next_batch(str(root / "b0"), str(root / "b1"), docs=80, seed=8, prefix="b1", copies=0.25)
    assert refresh(spark, root / "lake", root / "b0") == 0
    after_first = {"versions": versions(root / "lake"), "index": set(ids(root / "lake" / "index")),
                   "documents": sorted(ids(root / "lake" / "documents"))}
    assert refresh(spark, root / "lake", root / "b1") == 0
    return {"root": root, "lake": root / "lake", "copies": copies["copies"], "after_first": after_first}


def test_every_raw_document_ends_in_exactly_one_curated_table(lake):
    path = lake["lake"]
    raw = ids(path / "raw")
    curated = ids(path / "documents") + ids(path / "rejected") + ids(path / "removed")
    assert len(raw) == len(set(raw)) == 150 + 80 + 20 - len(ids(path / "raw_rejected"))
    assert sorted(curated) == sorted(raw)  # each exactly once: nothing lost, nothing twice
    assert set(ids(path / "index")) == set(ids(path / "documents")) | set(ids(path / "rejected"))


def test_copies_of_earlier_documents_are_removed_against_the_lake(lake):
    path = lake["lake"]
    removed = {r["id"]: r for r in rows(path / "removed")}
    by_refresh = {r["id"]: r["refresh"] for r in rows(path / "removed")}
    exact = [c for c in lake["copies"] if c["exact"]]
    near = [c for c in lake["copies"] if not c["exact"]]
    for copy in exact:
        row = removed[copy["id"]]
        assert row["match"] == "exact" and row["similarity"] == 1.0 and by_refresh[copy["id"]] == 1
        assert not row["duplicate_of"].startswith("b1-"), row  # a document of the first batch stays
    found = [c for c in near if c["id"] in removed]
    assert len(found) >= 0.8 * len(near), f"{len(found)} of {len(near)} near copies removed"
    assert all(removed[c["id"]]["match"] in ("near", "exact") and not removed[c["id"]]["duplicate_of"].startswith("b1-")
               for c in found)
    # indexed documents are never removed: everything the first refresh kept is still there
    assert lake["after_first"]["index"] <= set(ids(path / "index"))
    first = set(lake["after_first"]["documents"])
    assert first <= set(ids(path / "documents"))
    assert {r["refresh"] for r in rows(path / "documents") if r["id"] in first} == {0}


def test_the_log_chains_the_raw_versions_and_says_what_ordering_saved(lake):
    log = rows(lake["lake"] / "refresh_log")
    assert sorted((r["refresh"], r["step"]) for r in log) == [
        (0, "clean"), (0, "dedup"), (0, "ingest"), (1, "clean"), (1, "dedup"), (1, "ingest")]
    dedup = {r["refresh"]: r for r in log if r["step"] == "dedup"}
    assert dedup[0]["input_from_version"] is None and dedup[1]["input_from_version"] == dedup[0]["input_to_version"]
    clean = {r["refresh"]: r for r in log if r["step"] == "clean"}
    assert clean[1]["rows_in"] == dedup[1]["rows_out"]
    assert json.loads(clean[1]["details"])["pages_not_cleaned"] == dedup[1]["rows_in"] - dedup[1]["rows_out"] > 0
    outputs = {o["table"].rsplit("/", 1)[-1]: o for o in clean[1]["outputs"]}
    assert outputs["documents"]["version"] == 1 and outputs["documents"]["rows"] == clean[1]["rows_out"]
    report = json.loads((lake["lake"] / "_reports" / "refresh-1" / "report.json").read_text())
    assert report["summary"]["removed_against_index"] > 0
    assert (lake["lake"] / "_reports" / "refresh-1" / "report.html").exists()


def test_rerunning_a_completed_refresh_commits_nothing(spark, lake, capsys):
    before = versions(lake["lake"])
    capsys.readouterr()
    assert refresh(spark, lake["lake"], lake["root"] / "b1") == 0
    assert json.loads(capsys.readouterr().out)["already_complete"] is True
    assert refresh(spark, lake["lake"], lake["root"] / "b1", "--batch-id", "1") == 0
    assert versions(lake["lake"]) == before


def test_a_batch_id_names_one_set_of_files(spark, lake, capsys):
    before = versions(lake["lake"])
    code = refresh(spark, lake["lake"], lake["root"] / "b0", "--batch-id", "1")
    assert code == 3 and "batch 1 was ingested from other files" in capsys.readouterr().err
    assert versions(lake["lake"]) == before


def why(spark, lake, doc_id, capsys):
    capsys.readouterr()
    assert main(["why", doc_id, "--lake", str(lake)], spark=spark) == 0
    return json.loads(capsys.readouterr().out)


def test_why_says_what_happened_to_a_document(spark, lake, capsys):
    path = lake["lake"]
    kept = rows(path / "documents")[0]
    said = why(spark, path, kept["id"], capsys)
    assert [v["status"] for v in said["verdicts"]] == ["kept"] and f"refresh {kept['refresh']}" in said["says"]
    copy = next(c for c in lake["copies"] if c["exact"])
    said = why(spark, path, copy["id"], capsys)
    verdict = said["verdicts"][0]
    assert verdict["status"] == "removed" and verdict["match"] == "exact" and verdict["duplicate_of_is_in"] in (
        "documents", "the index")
    rejected = next(r for r in rows(path / "rejected") if r["quality"] is not None)  # reached the filters
    said = why(spark, path, rejected["id"], capsys)
    assert said["verdicts"][0]["status"] == "rejected" and said["verdicts"][0]["reasons"] == rejected["reject_reasons"]
    assert said["verdicts"][0]["signals"]  # the filters' measured signals
    assert why(spark, path, "no-such-id", capsys)["verdicts"][0]["status"] == "absent"


def test_forget_deletes_everywhere_once_and_later_refreshes_read_only_new_rows(spark, lake, tmp_path, capsys):
    path = tmp_path / "lake"
    shutil.copytree(lake["lake"], path)
    kept = rows(path / "documents")[0]["id"]
    gone = next(c for c in lake["copies"] if c["exact"])["id"]
    (tmp_path / "ids.txt").write_text(f"# takedown 42\n{kept}\n{gone}\nnever-there\n")
    # the paragraphs the kept document was first to hold go with it, every row of each (the fixture's
    # lake has paragraph dedup on)
    held = {r["hash"] for r in rows(path / "paragraphs") if r["first_id"] == kept}
    held_rows = sum(r["hash"] in held for r in rows(path / "paragraphs"))
    assert held_rows > 0
    capsys.readouterr()
    assert main(["forget", "--lake", str(path), "--ids", str(tmp_path / "ids.txt")], spark=spark) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tables"] == {"paragraphs": held_rows, "raw": 2, "raw_rejected": 0, "index": 1, "removed": 1,
                                 "documents": 1, "rejected": 0}
    for table in ("raw", "index", "removed", "documents"):
        assert kept not in ids(path / table) and gone not in ids(path / table)
    assert kept not in ids(path / "paragraphs", "first_id")
    history = DeltaTable(str(path / "documents")).history(1)[0]
    assert history["operation"] == "DELETE" and "forget" in history.get("userMetadata", "")
    before = versions(path)
    assert main(["forget", "--lake", str(path), "--ids", str(tmp_path / "ids.txt")], spark=spark) == 0
    after = versions(path)
    assert {t: v for t, v in after.items() if t != "refresh_log"} == {t: v for t, v in before.items() if t != "refresh_log"}
    assert [r["step"] for r in rows(path / "refresh_log")].count("forget") == 2
    # the next refresh reads the new batch's rows only: the deletes' rewritten files are not new rows
    write_next_batch(str(lake["root"] / "b0"), str(tmp_path / "b2"), docs=30, seed=9, prefix="b2", copies=0.0)
    assert refresh(spark, path, tmp_path / "b2") == 0
    dedup = [r for r in rows(path / "refresh_log") if r["step"] == "dedup" and r["refresh"] == 2][0]
    assert dedup["rows_in"] == 30
    assert why(spark, path, kept, capsys)["verdicts"][0]["status"] == "absent"


def page(site: str, n: int, rng: random.Random, footer: str) -> dict:
    maker = SentenceMaker(rng)
    body = "\n".join(maker.paragraph(4) for _ in range(5))
    return {"id": f"{site}-{n}", "url": f"https://{site}/story/{n}", "text": f"{body}\n{footer}"}


def write_jsonl(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True)
    with gzip.open(folder / "part-00000.jsonl.gz", "wt") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return folder


def test_site_boilerplate_learned_from_earlier_batches_is_removed_from_new_pages(spark, tmp_path):
    rng = random.Random(3)
    footer = "The Harbour Gazette is printed by Northside Press at Dock Road in Port Merrow every morning."
    first = [page("harbour-gazette.example", n, rng, footer) for n in range(12)]
    later = [page("harbour-gazette.example", n, rng, footer) for n in range(12, 14)]
    write_jsonl(tmp_path / "a", first)
    write_jsonl(tmp_path / "b", later)
    # the two new pages alone are too few to judge their site (clean.lines.min_site_size = 5)
    assert refresh(spark, tmp_path / "alone", tmp_path / "b") == 0
    assert all(footer in r["text"] for r in rows(tmp_path / "alone" / "documents"))
    assert refresh(spark, tmp_path / "lake", tmp_path / "a") == 0
    assert refresh(spark, tmp_path / "lake", tmp_path / "b") == 0
    new = [r for r in rows(tmp_path / "lake" / "documents") if r["refresh"] == 1]
    assert len(new) == 2 and not any(footer in r["text"] for r in new)
    counts = rows(tmp_path / "lake" / "site_lines")
    sizes = {(r["refresh"], r["site"]): r["docs"] for r in counts if r["hash"] is None}
    assert sizes == {(0, "harbour-gazette.example"): 12, (1, "harbour-gazette.example"): 2}


def test_a_folder_of_the_lake_that_is_not_delta_stops_before_any_commit(spark, lake, tmp_path, capsys):
    path = tmp_path / "lake"
    (path / "documents").mkdir(parents=True)
    (path / "documents" / "part-0.parquet").write_bytes(b"not delta")
    assert refresh(spark, path, lake["root"] / "b0") == 3
    err = capsys.readouterr().err
    assert f"table {path / 'documents'}: this folder of the lake is not a Delta table" in err
    assert not (path / "raw").exists()


def test_a_batch_whose_schema_conflicts_with_raw_commits_nothing(spark, tmp_path, capsys):
    rng = random.Random(5)
    write_jsonl(tmp_path / "a", [{**page("a.example", n, rng, "x"), "score": n} for n in range(6)])
    write_jsonl(tmp_path / "b", [{**page("b.example", n, rng, "x"), "score": f"high-{n}"} for n in range(6)])
    assert refresh(spark, tmp_path / "lake", tmp_path / "a") == 0
    before = versions(tmp_path / "lake")
    capsys.readouterr()
    assert refresh(spark, tmp_path / "lake", tmp_path / "b") == 3
    err = capsys.readouterr().err
    assert "score" in err and "raw" in err
    assert versions(tmp_path / "lake") == before


def test_a_second_refresh_while_one_runs_is_refused(spark, lake, tmp_path, capsys):
    path = tmp_path / "lake"
    path.mkdir()
    (path / "_refresh.lock").write_text(json.dumps({
        "host": socket.gethostname(), "pid": os.getpid(), "run_id": "running", "command": "refresh",
        "started": "2026-12-03T00:00:00+00:00"}))
    assert refresh(spark, path, lake["root"] / "b0") == 4
    assert "is busy: refresh (run running" in capsys.readouterr().err
    assert sorted(p.name for p in path.iterdir()) == ["_refresh.lock"]
