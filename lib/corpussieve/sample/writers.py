"""Writing generated documents as gzipped JSON Lines or WARC shards, in parallel processes."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec

BAD_KINDS = ("invalid_utf8", "invalid_json", "empty_body")


def shard_ranges(docs: int, shards: int) -> list[tuple[int, int]]:
    shards = max(1, min(shards, docs))
    step = -(-docs // shards)
    return [(start, min(docs, start + step)) for start in range(0, docs, step)]


def _bad_line(spec: CorpusSpec, index: int) -> bytes | None:
    if spec.bad_record_rate <= 0:
        return None
    rng = random.Random(f"bad:{spec.seed}:{index}")
    if rng.random() >= spec.bad_record_rate:
        return None
    kind = BAD_KINDS[index % len(BAD_KINDS)]
    if kind == "invalid_utf8":
        return b'{"id": "bad-%d", "text": "caf\xe9 latin-1 bytes \xff\xfe"}\n' % index
    if kind == "invalid_json":
        return b'{"id": "bad-%d", "text": "unterminated\n' % index
    return json.dumps({"id": f"bad-{index}", "url": f"https://empty.example/{index}", "text": "  "}).encode() + b"\n"


def write_jsonl_shard(spec: CorpusSpec, path: str, start: int, stop: int) -> dict[str, Any]:
    gen = CorpusGenerator(spec)
    tmp = path + ".tmp"
    with gzip.open(tmp, "wb", compresslevel=3) as out:
        for index in range(start, stop):
            out.write(json.dumps(gen.record(index), ensure_ascii=False).encode("utf-8") + b"\n")
            bad = _bad_line(spec, index)
            if bad is not None:
                out.write(bad)
    os.replace(tmp, path)
    return {"path": path, "docs": stop - start, "bytes": os.path.getsize(path)}


def write_warc_shard(spec: CorpusSpec, path: str, start: int, stop: int) -> dict[str, Any]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    gen = CorpusGenerator(spec)
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(os.path.basename(path),
                                                          {"software": "corpussieve sample generator"}))
        for index in range(start, stop):
            record = gen.record(index)
            body = (record.get("html") or record.get("text") or "").encode("utf-8")
            content_type = "text/html; charset=utf-8" if record.get("html") else "text/plain; charset=utf-8"
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            warc_headers = {"WARC-Date": record["fetch_time"]}
            rec = writer.create_warc_record(record["url"], "response", payload=io.BytesIO(body),
                                            http_headers=http, warc_headers_dict=warc_headers)
            writer.write_record(rec)
    os.replace(tmp, path)
    return {"path": path, "docs": stop - start, "bytes": os.path.getsize(path)}


def _write(args: tuple) -> dict[str, Any]:
    spec, fmt, path, start, stop = args
    if fmt == "warc":
        return write_warc_shard(spec, path, start, stop)
    return write_jsonl_shard(spec, path, start, stop)


def write_corpus(spec: CorpusSpec, output: str, fmt: str = "jsonl", shards: int | None = None,
                 workers: int | None = None) -> dict[str, Any]:
    """Write ``spec.docs`` documents under ``output`` as shards; returns what was written."""
    if fmt not in ("jsonl", "warc"):
        raise ValueError(f"format must be jsonl or warc, got {fmt!r}")
    os.makedirs(output, exist_ok=True)
    shards = shards or max(1, min(64, spec.docs // 5000 or 1))
    ext = "warc.gz" if fmt == "warc" else "jsonl.gz"
    jobs = [(spec, fmt, os.path.join(output, f"part-{n:05d}.{ext}"), start, stop)
            for n, (start, stop) in enumerate(shard_ranges(spec.docs, shards))]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    started = time.perf_counter()
    if workers <= 1 or len(jobs) == 1:
        results = [_write(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_write, jobs))
    seconds = time.perf_counter() - started
    total = sum(r["bytes"] for r in results)
    return {"output": output, "format": fmt, "docs": spec.docs, "files": len(results), "bytes": total,
            "seconds": round(seconds, 2), "docs_per_second": round(spec.docs / seconds, 1) if seconds else None}
