"""Dedup anchors (issue 15): text-dedup's PySpark MinHash script and datatrove's MinHash dedup, timed on one corpus.

Each anchor runs in a virtualenv of its own, made on first use under ``bench-data/anchors/`` with pinned
versions from PyPI, as a separate process timed like the corpussieve jobs (wall seconds and peak RSS of the
whole process tree, JVM and Python workers included; ``benchlib.run_measured``), on the same machine and
the same cores (2 Spark cores for text-dedup, 2 worker processes for datatrove), at 0.8-equivalent settings:

* text-dedup: ``text_dedup/minhash_spark.py`` of a pinned commit, which you place at
  ``bench-data/anchors/text_dedup_minhash_spark.py`` (see ANCHOR_NOTES for which commit and why), run with ``--threshold 0.8 --num_perm 128 --ngram_size 5 --column text`` in Spark local
  mode. It reads Parquet only, so the corpus is converted to Parquet first; that conversion is timed apart
  and not counted. Its output is the kept documents as Parquet, whose ``id`` column is read back.
* datatrove: its four MinHash stages (signatures, buckets, cluster, filter) with FineWeb's settings (word
  5-grams, 14 buckets x 8 hashes), ``tasks=2`` and 2 workers (``scripts/anchors/datatrove_minhash.py``),
  reading the JSON Lines directly and writing the kept documents as JSON Lines.

Reported per anchor: seconds, MB/s of text (UTF-8 bytes of ``text``, as corpussieve's dedup counts them),
peak RSS, documents kept and removed, and the removal precision and pair recall against exact ground truth
(``corpussieve.dedup.groundtruth.dedup_quality`` with the default DedupConfig: the same yardstick as
``scripts/bench_dedup.py``). ``anchors(corpus_dir)`` returns the same dict for use from another benchmark.

    PYTHONPATH=lib python scripts/bench_dedup_anchors.py --corpus bench-data/jsonl-5000-s7-text
    PYTHONPATH=lib python scripts/bench_dedup_anchors.py --corpus DIR --anchors datatrove --json out.json
    PYTHONPATH=lib python scripts/bench_dedup_anchors.py --dry-run          # only make the virtualenvs

The corpus is a folder of ``part-*.jsonl.gz`` with ``id`` and ``text`` (``corpussieve generate --no-html``).
Needs PyPI at setup time only; Java 17 for text-dedup's Spark.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DATA, REPO, machine, run_measured  # noqa: E402

ANCHORS_DIR = BENCH_DATA / "anchors"
ANCHOR_SCRIPTS = REPO / "scripts" / "anchors"
CORES = 2  # the machine's cores; both anchors get the same number

# text-dedup: the script, the commit it is byte-identical to, and its SHA-256 (checked before each run). The
# file is not in this repository (it is text-dedup's code, Apache-2.0, and the project does not carry other
# projects' code): put text_dedup/minhash_spark.py of that commit at TEXT_DEDUP_SCRIPT, or pass its path.
TEXT_DEDUP_SCRIPT = ANCHORS_DIR / "text_dedup_minhash_spark.py"
TEXT_DEDUP_COMMIT = "6bb8e89e1c0368003fb39654e79290e506ebf4ba"  # 2024-02-04, "update help message"
TEXT_DEDUP_SHA256 = "03d35447df380b898e33a07badb9daa1eadb9b2102f8cd87d9632892f8126c7a"
# Its imports are numpy, scipy and pyspark; pyspark is corpussieve's own 4.2 line (the script runs on it).
TEXT_DEDUP_REQUIREMENTS = ["pyspark==4.2.0", "numpy==2.3.5", "scipy==1.16.3"]
TEXT_DEDUP_ARGS = ["--threshold", "0.8", "--num_perm", "128", "--ngram_size", "5", "--column", "text"]

# datatrove: minhash imports its "processing" extra (datatrove.pipeline.dedup pulls in tokenizers), the
# JSON Lines reader needs orjson, and the English word tokenizer is spaCy's blank "en" (no model download).
DATATROVE_REQUIREMENTS = ["datatrove[processing]==0.10.1", "spacy==3.8.18", "orjson==3.13.0"]
DATATROVE_RUNNER = ANCHOR_SCRIPTS / "datatrove_minhash.py"

# Packages whose installed versions go into the output JSON.
REPORTED_PACKAGES = {"text-dedup": ["pyspark", "numpy", "scipy"],
                     "datatrove": ["datatrove", "spacy", "xxhash", "numpy", "orjson", "fsspec"]}

ANCHOR_NOTES = {
    "text-dedup": [
        f"minhash_spark.py at commit {TEXT_DEDUP_COMMIT} (2024-02-04), byte for byte (sha256 checked; "
        "Apache-2.0, not carried in this repository): the last version whose connected components are plain PySpark "
        "(large-star/small-star on RDDs, at most 20 rounds). The newest one (commit 22d6d78, the same file "
        "as PyPI text-dedup 0.4.0) calls GraphFrames' connectedComponents, whose JVM package "
        "(io.graphframes:graphframes-spark4_2.13) the Maven registry reachable here does not serve, and "
        "GitHub is not reachable from this machine; pass --text-dedup-script to run another copy.",
        "reads Parquet only: the JSON Lines corpus is converted to Parquet (id, text) before the timed run "
        "(prep_seconds, not counted in seconds)",
        "words: lowercase, then split on the regex \\W (so punctuation splits words, empty tokens kept); word "
        "5-grams hashed with the first 4 bytes of SHA-1; 128 permutations mod 2^32-5; bands x rows from its "
        "own optimal_param(0.8, 128) (false positive and negative weighted 0.5 each); no check of candidate "
        "pairs; a document with fewer than 5 tokens gets an all-max signature, so all of them but one are "
        "removed",
        f"Spark local[{CORES}] with the driver memory corpussieve uses locally (40% of RAM), Spark's default "
        "shuffle partitions (the script sets none), UI off; its own arrow setting",
    ],
    "datatrove": [
        "FineWeb's MinHash settings (datatrove's defaults): word 5-grams, 14 buckets x 8 hashes = 112 hashes, "
        "64-bit xxhash, no check of candidate pairs",
        "words: datatrove's simplify_text (lowercase, digits to 0, punctuation removed, diacritics and "
        "whitespace normalized), then spaCy's blank English tokenizer; corpussieve normalizes its own way "
        "and splits on whitespace",
        "LocalPipelineExecutor per stage: signatures and filter with tasks=2 (datatrove splits tasks by input "
        "file: a corpus in one file leaves one task idle), buckets with 14 tasks (one per bucket, datatrove "
        "requires a multiple), cluster with 1 task (required); 2 worker processes at most",
    ],
}


# --------------------------------------------------------------------------------------------- setup


def venv_python(name: str, requirements: list[str]) -> Path:
    """The python of ``bench-data/anchors/<name>-venv``, made and pip-installed once per requirement list."""
    venv = ANCHORS_DIR / f"{name}-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = "\n".join(requirements) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    ANCHORS_DIR.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"anchors: installing {' '.join(requirements)} into {venv}", file=sys.stderr, flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements], check=True)
    stamp.write_text(wanted)
    return python


def installed_versions(python: Path, packages: list[str]) -> dict[str, str]:
    code = ("import importlib.metadata as m, json, sys\n"
            "print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))")
    out = subprocess.run([str(python), "-c", code, *packages], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_dedup_bands(python: Path, script: Path) -> list[int]:
    """The (bands, rows) text-dedup picks for threshold 0.8 and 128 permutations, from its own function."""
    code = ("import importlib.util, json, sys\n"
            "spec = importlib.util.spec_from_file_location('td', sys.argv[1])\n"
            "td = importlib.util.module_from_spec(spec); spec.loader.exec_module(td)\n"
            "print(json.dumps(td.optimal_param(0.8, 128)))")
    out = subprocess.run([str(python), "-c", code, str(script)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def setup(anchor_names: list[str]) -> dict[str, Path]:
    """Make (or reuse) each anchor's virtualenv; the python of each."""
    pythons = {}
    if "text-dedup" in anchor_names:
        pythons["text-dedup"] = venv_python("text-dedup", TEXT_DEDUP_REQUIREMENTS)
    if "datatrove" in anchor_names:
        pythons["datatrove"] = venv_python("datatrove", DATATROVE_REQUIREMENTS)
    return pythons


def clean_env(python: Path, **extra: str) -> dict[str, str]:
    """This environment for another virtualenv's interpreter: no PYTHONPATH (corpussieve's lib stays out)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON",
                                                              "PYSPARK_SUBMIT_ARGS", "VIRTUAL_ENV")}
    env["PATH"] = str(python.parent) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


# --------------------------------------------------------------------------------------------- corpus


def read_corpus(corpus: Path) -> tuple[list[str], list[str]]:
    """The ids and texts of every ``part-*.jsonl.gz`` in ``corpus``, in file order."""
    ids, texts = [], []
    for part in sorted(corpus.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                doc = json.loads(line)
                ids.append(str(doc["id"]))
                texts.append(doc.get("text") or "")
    if not ids:
        raise SystemExit(f"no part-*.jsonl.gz documents in {corpus}")
    return ids, texts


def parquet_copy(corpus: Path, ids: list[str], texts: list[str]) -> tuple[Path, float]:
    """The corpus as Parquet (id, text) for text-dedup, written once per corpus; and the seconds it took."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = ANCHORS_DIR / "input" / f"{corpus.resolve().name}-parquet"
    marker = out / "_DONE"
    if marker.exists():
        return out, float(marker.read_text())
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    rows_per_file = 10_000  # several files, so Spark reads with more than one task
    for n, start in enumerate(range(0, len(ids), rows_per_file)):
        table = pa.table({"id": ids[start:start + rows_per_file], "text": texts[start:start + rows_per_file]})
        pq.write_table(table, out / f"part-{n:05d}.parquet")
    seconds = round(time.perf_counter() - started, 2)
    marker.write_text(f"{seconds}\n")
    return out, seconds


# --------------------------------------------------------------------------------------------- anchors


def run_text_dedup(python: Path, script: Path, parquet: Path, out: Path) -> tuple[dict, set[str]]:
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    from corpussieve.session import local_driver_memory

    # The script leaves master and memory to spark-submit: give it what corpussieve's local sessions get.
    submit = (f"--master local[{CORES}] --driver-memory {local_driver_memory()} "
              "--conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false pyspark-shell")
    env = clean_env(python, PYSPARK_PYTHON=str(python), PYSPARK_DRIVER_PYTHON=str(python),
                    PYSPARK_SUBMIT_ARGS=submit)
    measured = run_measured([str(python), str(script), "--input", str(parquet), "--output", str(out),
                             *TEXT_DEDUP_ARGS], env=env)
    import pyarrow.parquet as pq

    # Its output is partitioned by "__pid__=N/" folders, which pyarrow's dataset discovery would skip as
    # hidden (leading underscore): read the part files one by one.
    kept: set[str] = set()
    for part in sorted(out.rglob("part-*.parquet")):
        kept.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
    return measured, kept


def run_datatrove(python: Path, corpus: Path, out: Path) -> tuple[dict, set[str]]:
    measured = run_measured([str(python), str(DATATROVE_RUNNER), "--input", str(corpus), "--output", str(out),
                             "--tasks", str(CORES), "--workers", str(CORES)], env=clean_env(python))
    kept = set()
    for part in sorted((out / "kept").glob("*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            kept.update(str(json.loads(line)["id"]) for line in lines)
    return measured, kept


def quality(ids: list[str], texts: list[str], kept: set[str]) -> dict:
    """Removal precision and pair recall against exact ground truth, as scripts/bench_dedup.py scores corpussieve."""
    from corpussieve.dedup import DedupConfig
    from corpussieve.dedup.groundtruth import dedup_quality

    started = time.perf_counter()
    q = dedup_quality(ids, texts, {i: i in kept for i in ids}, DedupConfig()).as_dict()
    q["ground_truth_seconds"] = round(time.perf_counter() - started, 1)
    return {k: (round(v, 5) if isinstance(v, float) else int(v) if hasattr(v, "item") else v) for k, v in q.items()}


def anchors(corpus_dir: str | Path, names: list[str] | tuple[str, ...] = ("text-dedup", "datatrove"), *,
            with_quality: bool = True, text_dedup_script: str | Path | None = None) -> dict:
    """Run each named anchor once on ``corpus_dir``; one dict with the figures, versions and notes."""
    corpus = Path(corpus_dir).resolve()
    names = list(names)
    pythons = setup(names)
    ids, texts = read_corpus(corpus)
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    result: dict = {"benchmark": "dedup-anchors", "corpus": str(corpus), "docs": len(ids),
                    "text_mb": round(text_bytes / 1e6, 1), "cores": CORES, "machine": machine(),
                    "load_average_before": [round(x, 2) for x in os.getloadavg()], "anchors": {}}
    if len(ids) != len(set(ids)):
        raise SystemExit("document ids are not unique: kept documents could not be matched back")
    for name in names:
        python = pythons[name]
        out = ANCHORS_DIR / "out" / corpus.name / name
        row: dict = {"versions": installed_versions(python, REPORTED_PACKAGES[name]), "notes": ANCHOR_NOTES[name]}
        if name == "text-dedup":
            script = Path(text_dedup_script).resolve() if text_dedup_script else TEXT_DEDUP_SCRIPT
            if not script.exists():
                raise SystemExit(
                    f"text-dedup's script is not at {script}: download text_dedup/minhash_spark.py at commit "
                    f"{TEXT_DEDUP_COMMIT} of github.com/ChenghaoMou/text-dedup to that path (sha256 "
                    f"{TEXT_DEDUP_SHA256}), or pass --text-dedup-script PATH, or run --anchors datatrove")
            sha = file_sha256(script)
            if text_dedup_script is None and sha != TEXT_DEDUP_SHA256:
                raise SystemExit(f"{script} is not text-dedup's script at commit {TEXT_DEDUP_COMMIT} (sha256 {sha})")
            row["script"] = {"path": str(script), "sha256": sha,
                             "commit": TEXT_DEDUP_COMMIT if sha == TEXT_DEDUP_SHA256 else "unknown"}
            row["args"] = TEXT_DEDUP_ARGS
            row["bands_rows"] = text_dedup_bands(python, script)
            parquet, row["prep_seconds"] = parquet_copy(corpus, ids, texts)
            measured, kept = run_text_dedup(python, script, parquet, out)
        else:
            measured, kept = run_datatrove(python, corpus, out)
            row["stages"] = measured["summary"].get("stage_seconds")
            row["config"] = measured["summary"].get("config")
        seconds = measured["seconds"]
        row.update({"seconds": seconds, "peak_rss_gib": measured["peak_rss_gib"],
                    "cpu_seconds": measured["cpu_seconds"],
                    "docs_per_second": round(len(ids) / seconds, 1),
                    "mb_per_second": round(text_bytes / 1e6 / seconds, 2),
                    "kept": len(kept), "removed": len(ids) - len(kept), "out": str(out)})
        if not kept <= set(ids):
            row["kept_unknown_ids"] = len(kept - set(ids))  # would mean the anchor's output is not our corpus
        if with_quality:
            row["quality"] = quality(ids, texts, kept)
        result["anchors"][name] = row
        print(f"anchors: {name}: {seconds} s, removed {row['removed']}", file=sys.stderr, flush=True)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="folder of part-*.jsonl.gz with id and text")
    parser.add_argument("--anchors", nargs="+", choices=["text-dedup", "datatrove"],
                        default=["text-dedup", "datatrove"])
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--no-quality", action="store_true", help="skip the exact ground truth")
    parser.add_argument("--text-dedup-script", type=Path,
                        help="another copy of text-dedup's minhash_spark.py (its sha256 is recorded)")
    parser.add_argument("--dry-run", action="store_true", help="only make the virtualenvs, print their versions")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "lib"))
    if args.dry_run:
        pythons = setup(args.anchors)
        print(json.dumps({name: installed_versions(py, REPORTED_PACKAGES[name]) for name, py in pythons.items()},
                         indent=2))
        return
    if args.corpus is None:
        parser.error("--corpus is required (unless --dry-run)")
    result = anchors(args.corpus, args.anchors, with_quality=not args.no_quality,
                     text_dedup_script=args.text_dedup_script)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
