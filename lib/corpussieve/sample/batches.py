"""A follow-up crawl batch for lake refresh demos and tests: fresh documents (their own ids) plus exact and
near-duplicate copies of documents an earlier batch held, under new ids, as a re-crawl brings them."""

from __future__ import annotations

import gzip
import json
import os
import random
import tempfile
from typing import Any

from corpussieve.sample.corpus import CorpusSpec
from corpussieve.sample.writers import write_corpus


def _records(folder: str, limit: int | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in sorted(os.listdir(folder)):
        if limit is not None and len(out) >= limit:
            break
        if not name.endswith(".jsonl.gz"):
            continue
        with gzip.open(os.path.join(folder, name), "rb") as handle:
            for line in handle:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue  # the generator's deliberately broken lines
    return out


def near_copy(text: str, rng: random.Random, rate: float = 0.01) -> str:
    """``text`` with about ``rate`` of its words replaced: a re-crawl's small edits."""
    words = text.split(" ")
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(("updated", "edited", "revised", "new", "today"))
    return " ".join(words)


def write_next_batch(previous: str, output: str, docs: int, seed: int, prefix: str, copies: float = 0.1,
                     exact_share: float = 0.3, include_html: bool = True, previous_limit: int | None = None
                     ) -> dict[str, Any]:
    """Write ``docs`` fresh documents (ids ``prefix``-...) and copies of ``copies`` x ``docs`` documents of
    the batch in ``previous`` (a share ``exact_share`` exact, the rest near duplicates; drawn from its first
    ``previous_limit`` records when given) to ``output`` as one JSON Lines shard; returns the counts and the
    copied ids."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(CorpusSpec(docs=docs, seed=seed, include_html=include_html), tmp, workers=1)
        fresh = _records(tmp)
    for record in fresh:
        record["id"] = f"{prefix}-{record['id']}"
    earlier = [r for r in _records(previous, previous_limit) if r.get("text") and len(r["text"].split()) >= 80]
    picked = rng.sample(earlier, min(len(earlier), int(docs * copies)))
    copied = []
    for n, record in enumerate(picked):
        copy = dict(record)
        exact = n < int(len(picked) * exact_share)
        copy["id"] = f"{prefix}-copy-{record['id']}"
        if not exact:
            copy["text"] = near_copy(record["text"], rng)
        copied.append({"id": copy["id"], "of": record["id"], "exact": exact})
        fresh.append(copy)
    rng.shuffle(fresh)
    os.makedirs(output, exist_ok=True)
    with gzip.open(os.path.join(output, "part-00000.jsonl.gz"), "wt", encoding="utf-8") as handle:
        for record in fresh:
            handle.write(json.dumps(record) + "\n")
    return {"docs": len(fresh), "fresh": docs, "copies": copied, "path": output}


__all__ = ["near_copy", "write_next_batch"]
