"""datatrove's MinHash deduplication, the four stages as FineWeb ran them, over a folder of JSON Lines.

Run by ``scripts/bench_dedup_anchors.py`` with the python of its datatrove virtualenv (this file imports
nothing from corpussieve). The settings are datatrove's defaults, which are the ones FineWeb used: word
5-grams, 14 buckets x 8 hashes (112 hashes), 64-bit xxhash, text simplified by ``simplify_text`` and split
into words by the English word tokenizer (spaCy's blank "en"). Each stage is a ``LocalPipelineExecutor``:

1. signatures: ``tasks`` tasks over the input files (datatrove splits by file, so a one-file corpus keeps
   one task busy and the others idle);
2. buckets: one task per bucket (14; datatrove requires a multiple of the bucket count);
3. cluster: one task (datatrove requires it);
4. filter: ``tasks`` tasks again (each reads the ``.remove`` file of its own stage-1 rank), writing the
   kept documents to ``OUTPUT/kept/`` and the removed ones to ``OUTPUT/removed/``.

All stages run with ``workers`` processes at most. Prints one JSON object: seconds per stage and the number
of documents kept and removed.

    python datatrove_minhash.py --input CORPUS_DIR --output OUT_DIR [--tasks 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.typeshelper import Languages

# FineWeb's MinHash settings (datatrove's examples/fineweb.py); also datatrove's defaults.
FINEWEB_CONFIG = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8, n_grams=5)


def reader(corpus: Path) -> JsonlReader:
    return JsonlReader(str(corpus), glob_pattern="part-*.jsonl.gz", text_key="text", id_key="id")


def run(corpus: Path, out: Path, tasks: int, workers: int) -> dict:
    # datatrove skips tasks its logs say are completed: start from an empty folder so every stage runs.
    shutil.rmtree(out, ignore_errors=True)
    config = FINEWEB_CONFIG
    stages = {
        "signatures": LocalPipelineExecutor(
            pipeline=[reader(corpus), MinhashDedupSignature(output_folder=str(out / "signatures"), config=config,
                                                            language=Languages.english)],
            tasks=tasks, workers=workers, logging_dir=str(out / "logs" / "signatures")),
        "buckets": LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=str(out / "signatures"), output_folder=str(out / "buckets"),
                                          config=config)],
            tasks=config.num_buckets, workers=workers, logging_dir=str(out / "logs" / "buckets")),
        "cluster": LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=str(out / "buckets"), output_folder=str(out / "remove_ids"),
                                          config=config)],
            tasks=1, workers=1, logging_dir=str(out / "logs" / "cluster")),
        "filter": LocalPipelineExecutor(
            pipeline=[reader(corpus),
                      MinhashDedupFilter(input_folder=str(out / "remove_ids"),
                                         exclusion_writer=JsonlWriter(str(out / "removed"))),
                      JsonlWriter(str(out / "kept"))],
            tasks=tasks, workers=workers, logging_dir=str(out / "logs" / "filter")),
    }
    seconds = {}
    for name, executor in stages.items():
        started = time.perf_counter()
        executor.run()
        seconds[name] = round(time.perf_counter() - started, 2)
    return {"stage_seconds": seconds, "kept": count_lines(out / "kept"), "removed": count_lines(out / "removed"),
            "config": str(config), "tasks": tasks, "workers": workers, "kept_dir": str(out / "kept")}


def count_lines(folder: Path) -> int:
    return sum(sum(1 for _ in gzip.open(f, "rt")) for f in folder.glob("*.jsonl.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.input, args.output, args.tasks, args.workers)))


if __name__ == "__main__":
    main()
