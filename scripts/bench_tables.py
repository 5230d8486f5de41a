"""Delta table backends side by side: the write and read cost of delta-spark against delta-rs on the same data.

Two inputs, each a cached Delta table in bench-data/:

* ``dedup``: the dedup benchmark's table, the generated text-only corpus ingested once
  (``bench_dedup.delta_corpus``; default 1,000,000 documents);
* ``clean``: the clean benchmark's input, generated pages with html (``bench_clean.generated_rows`` written
  with ``bench_clean._write_table``; default 100,000 pages).

Beside each, a slice of 10% of its rows (``pmod(xxhash64(id), 10) = 0``) is written once, untimed, by a
separate process with the delta-rs backend; it is the batch the append step adds.

For each input and each backend, a fresh process (its own JVM: the venv's Python with ``PYTHONPATH=lib``,
the session every job gets from ``build_session`` with ``spark.ui=false`` and ``spark.log_level=ERROR``,
the delta-spark jars on the classpath in BOTH, and ``--set tables.backend=<backend>``) runs, timing each step:

1. ``source_scan``: a full scan of the source table (a reference: the same work in both processes; it
   also warms the JVM and the page cache alike before the measured steps);
2. ``write``: ``Tables.write(source, target, mode="overwrite")`` into a new table: reading the source,
   delta-spark's staging (persist and count) and the commit included;
3. ``read``: ``Tables.read(target)`` and one aggregate that touches every column
   (``sum(octet_length(c))`` of string and binary columns, ``count(c)`` of the others, ``count(*)``);
4. ``append``: ``Tables.write(slice, target, mode="append", txn=Txn(...))``, the 10% slice under a Txn;
5. ``time_travel``: ``Tables.read(target, version=0).count()``;
6. ``read_again`` and ``time_travel_again``: steps 3 and 5 once more (the latest version now holds the
   append). Steps 1-5 are what a job pays, the first delta-spark read in a JVM included (it loads and
   compiles Delta's scan planning); the repeats show a read once that is paid. delta-spark still rebuilds
   the state of every snapshot it has not cached (the latest after a commit, and each time-travel read)
   with a Spark job: see ``--spark-conf`` below.

The source tables and the slice are always read with the delta-rs backend (``Tables`` with
``TablesConfig(backend="delta-rs")``), in both processes: only the write and the read of the target
differ between the two runs. The process does nothing but these steps and their clocks; files, bytes on
disk and the Parquet codec are measured afterwards by this script, from the table folder. Peak RSS is the
whole process tree's (driver Python, JVM, Python workers), sampled every 0.5 s (``benchlib.run_measured``).

Each backend writes with its own default codec, as the jobs do (delta-rs: ``tables.compression``, zstd;
delta-spark: Spark's ``spark.sql.parquet.compression.codec``, snappy); ``--codec`` sets both to one codec.
``--spark-conf KEY=VALUE`` (repeatable) adds a Spark property to both processes, for example
``spark.databricks.delta.snapshotPartitions=2``: delta-spark rebuilds the state of every new snapshot (a
read after a commit, a time travel) with a shuffle into that many partitions (50 by default), a fixed cost
of its own on a small local machine. With ``--rounds N`` every (input, backend) runs N times, the backends
alternating which goes first, and the medians are reported (every run is kept under ``runs``).

    PYTHONPATH=lib .venv/bin/python scripts/bench_tables.py [--docs 1000000] [--pages 100000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DATA, BENCH_OUT, REPO, machine, run_measured  # noqa: E402

BACKENDS = ("delta-rs", "delta-spark")
SETS = ["spark.ui=false", "spark.log_level=ERROR"]
APP_ID = "bench-tables"
SLICE_MODULO = 10  # the append adds the rows with pmod(xxhash64(id), 10) = 0: 10%
WORK = BENCH_OUT / "tables"


# -- inputs ---------------------------------------------------------------------------------------------
def dedup_input(docs: int) -> Path:
    from bench_dedup import delta_corpus

    return delta_corpus(docs)


def clean_input(pages: int) -> Path:
    """The clean benchmark's input table (generated pages with html), written once and reused."""
    table = BENCH_DATA / f"delta-{pages}-html"
    marker = BENCH_DATA / f"delta-{pages}-html.DONE"
    if not marker.exists():
        from bench_clean import _write_table, generated_rows

        _write_table(table, generated_rows(pages))
        marker.write_text("ok\n")
    return table


def append_slice(source: Path, text_column: str) -> tuple[Path, dict]:
    """10% of ``source``'s rows as a table of their own (written once with delta-rs), and its scan figures."""
    table = source.parent / f"{source.name}-slice{SLICE_MODULO}"
    marker = source.parent / f"{source.name}-slice{SLICE_MODULO}.json"
    if not marker.exists():
        shutil.rmtree(table, ignore_errors=True)
        spec = {"source": str(source), "out": str(table), "sets": SETS}
        measured = run_measured([sys.executable, str(Path(__file__)), "--prepare", json.dumps(spec)])
        marker.write_text(json.dumps(measured["summary"]) + "\n")
    scan = json.loads(marker.read_text())
    return table, {"rows": scan["rows"], "text_bytes": scan[f"bytes_{text_column}"] or 0}


# -- inside the measured process ------------------------------------------------------------------------
def _session(sets: list[str], spark_conf: dict[str, str], app: str):
    from corpussieve.config import build_config
    from corpussieve.session import build_session

    config = build_config(sets=sets)
    config.spark.conf.update(spark_conf)
    return build_session(config.spark, app_name=app), config


def _scan_exprs(schema) -> list[str]:
    """One aggregate that reads every value of every column."""
    from pyspark.sql.types import BinaryType, StringType

    exprs = []
    for i, field in enumerate(schema.fields):
        name = f"`{field.name.replace('`', '``')}`"
        if isinstance(field.dataType, StringType | BinaryType):
            exprs.append(f"sum(octet_length({name})) AS `bytes_{field.name}`")
        else:
            exprs.append(f"count({name}) AS `nonnull_{i}`")
    return [*exprs, "count(*) AS rows"]


def prepare(spec: dict) -> dict:
    """Write the append slice with delta-rs; return its scan (rows and bytes per string column)."""
    from corpussieve.tables import Tables

    spark, config = _session(spec["sets"], {}, "bench-tables-prepare")
    try:
        rs = Tables(spark, config.tables.model_copy(update={"backend": "delta-rs"}))
        source = rs.read(spec["source"])
        rs.write(source.where(f"pmod(xxhash64(`id`), {SLICE_MODULO}) = 0"), spec["out"], mode="overwrite")
        sliced = rs.read(spec["out"])
        return sliced.selectExpr(*_scan_exprs(sliced.schema)).first().asDict()
    finally:
        spark.stop()


def driver(spec: dict) -> dict:
    """The measured process: the timed steps on one backend, nothing else (see the module docstring)."""
    import time

    from corpussieve.tables import Tables, Txn

    spark, config = _session([*spec["sets"], f"tables.backend={spec['backend']}"], spec["spark_conf"],
                             f"bench-tables-{spec['backend']}")
    try:
        source = Tables(spark, config.tables.model_copy(update={"backend": "delta-rs"}))
        target = Tables(spark, config.tables)
        if target.backend_name != spec["backend"]:
            raise RuntimeError(f"asked for {spec['backend']}, got {target.backend_name}")
        exprs = _scan_exprs(source.read(spec["source"]).schema)
        seconds: dict[str, float] = {}

        def timed(step, fn):
            started = time.perf_counter()
            value = fn()
            seconds[step] = round(time.perf_counter() - started, 3)
            return value

        src, dst = spec["source"], spec["target"]
        base = timed("source_scan", lambda: source.read(src).selectExpr(*exprs).first().asDict())
        written = timed("write", lambda: target.write(source.read(src), dst, mode="overwrite"))
        scanned = timed("read", lambda: target.read(dst).selectExpr(*exprs).first().asDict())
        appended = timed("append", lambda: target.write(source.read(spec["slice"]), dst, mode="append",
                                                        txn=Txn(APP_ID, 1)))
        v0_rows = timed("time_travel", lambda: target.read(dst, version=0).count())
        again = timed("read_again", lambda: target.read(dst).selectExpr(*exprs).first().asDict())
        v0_again = timed("time_travel_again", lambda: target.read(dst, version=0).count())
    finally:
        spark.stop()
    # checks, off the clock: the target holds what the source held, and the steps did what they say
    if scanned != base:
        raise RuntimeError(f"{spec['backend']}: the target's scan {scanned} differs from the source's {base}")
    if again["rows"] != base["rows"] + appended.rows:
        raise RuntimeError(f"{spec['backend']}: {again['rows']} rows after the append, expected "
                           f"{base['rows']} + {appended.rows}")
    if v0_rows != base["rows"] or v0_again != v0_rows or written.rows != base["rows"] or not appended.committed:
        raise RuntimeError(f"{spec['backend']}: rows {base['rows']}, written {written.rows}, version 0 "
                           f"{v0_rows}, append committed {appended.committed}")
    return {"backend": spec["backend"], "seconds": seconds, "scan": base,
            "write": written.as_dict(), "append": appended.as_dict()}


# -- the benchmark --------------------------------------------------------------------------------------
def _codec_conf(codec: str | None) -> tuple[list[str], dict[str, str]]:
    if not codec:
        return [], {}
    return [f"tables.compression={codec}"], {"spark.sql.parquet.compression.codec": codec}


def on_disk(table: Path) -> dict:
    """Data files and bytes as they lie in the folder (delta-spark also leaves Hadoop's .crc files)."""
    import pyarrow.parquet as pq

    data, other = [], []
    for f in table.rglob("*"):
        if f.is_file():
            in_log = "_delta_log" in f.relative_to(table).parts
            (data if f.name.endswith(".parquet") and not in_log else other).append(f)
    codecs = set()
    for f in data[:3]:
        meta = pq.ParquetFile(f).metadata
        if meta.num_row_groups:
            codecs.add(meta.row_group(0).column(0).compression.lower())
    data_bytes = sum(f.stat().st_size for f in data)
    other_bytes = sum(f.stat().st_size for f in other)
    return {"data_files": len(data), "data_mb": round(data_bytes / 1e6, 2),
            "other_mb": round(other_bytes / 1e6, 3), "disk_mb": round((data_bytes + other_bytes) / 1e6, 2),
            "codec": ",".join(sorted(codecs)) or None}


def run_backend(name: str, backend: str, source: Path, sliced: Path, codec: str | None,
                extra_conf: dict[str, str]) -> dict:
    target = WORK / f"{name}-{backend}"
    shutil.rmtree(target, ignore_errors=True)
    sets, spark_conf = _codec_conf(codec)
    spark_conf.update(extra_conf)
    spec = {"backend": backend, "source": str(source), "slice": str(sliced), "target": str(target),
            "sets": [*SETS, *sets], "spark_conf": spark_conf}
    measured = run_measured([sys.executable, str(Path(__file__)), "--driver", json.dumps(spec)])
    inner = measured["summary"]
    return {"backend": backend, "wall_seconds": measured["seconds"], "peak_rss_gib": measured["peak_rss_gib"],
            "cpu_seconds": measured["cpu_seconds"], **inner, "disk": on_disk(target), "target": str(target)}


def _measures(run: dict, text_mb: float, slice_mb: float) -> dict:
    s = run["seconds"]
    return {
        "write_seconds": s["write"], "write_mb_per_second": round(text_mb / s["write"], 2),
        "read_seconds": s["read"], "read_mb_per_second": round(text_mb / s["read"], 2),
        "append_seconds": s["append"], "append_mb_per_second": round(slice_mb / s["append"], 2),
        "time_travel_seconds": s["time_travel"],
        "read_again_seconds": s["read_again"],
        "read_again_mb_per_second": round((text_mb + slice_mb) / s["read_again"], 2),
        "time_travel_again_seconds": s["time_travel_again"], "source_scan_seconds": s["source_scan"],
        "write_files": run["write"]["files"], "append_files": run["append"]["files"],
        "data_files": run["disk"]["data_files"], "data_mb": run["disk"]["data_mb"],
        "disk_mb": run["disk"]["disk_mb"], "peak_rss_gib": run["peak_rss_gib"],
        "wall_seconds": run["wall_seconds"], "codec": run["disk"]["codec"],
    }


def _median(values: list[dict]) -> dict:
    out = {}
    for key, first in values[0].items():
        if isinstance(first, int | float) and not isinstance(first, bool):
            median = statistics.median(v[key] for v in values)
            if all(isinstance(v[key], int) for v in values) and float(median).is_integer():
                median = int(median)  # counts stay counts
            out[key] = round(median, 3) if isinstance(median, float) else median
        else:
            out[key] = first if all(v[key] == first for v in values) else [v[key] for v in values]
    return out


def _ratio(spark: dict, rs: dict) -> dict:
    return {k: round(spark[k] / rs[k], 2) for k, v in rs.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v and isinstance(spark.get(k), int | float)}


def bench_input(name: str, source: Path, text_column: str, rounds: int, codec: str | None,
                keep_tables: bool, extra_conf: dict[str, str]) -> dict:
    sliced, slice_scan = append_slice(source, text_column)
    runs: dict[str, list[dict]] = {b: [] for b in BACKENDS}
    order_log = []
    for r in range(rounds):
        order = BACKENDS if r % 2 == 0 else tuple(reversed(BACKENDS))
        order_log.append(list(order))
        for backend in order:
            print(f"-- tables: {name} round {r + 1}/{rounds} {backend}", flush=True)
            run = run_backend(name, backend, source, sliced, codec, extra_conf)
            if not keep_tables:
                shutil.rmtree(run["target"], ignore_errors=True)
            runs[backend].append(run)
    scan = runs[BACKENDS[0]][0]["scan"]
    text_mb = (scan[f"bytes_{text_column}"] or 0) / 1e6
    slice_mb = slice_scan["text_bytes"] / 1e6
    medians = {b: _median([_measures(run, text_mb, slice_mb) for run in runs[b]]) for b in BACKENDS}
    row = {"input": name, "table": str(source), "rows": scan["rows"], "text_column": text_column,
           "text_mb": round(text_mb, 1), "append_rows": slice_scan["rows"], "append_text_mb": round(slice_mb, 1),
           "order": order_log, **medians, "ratio_spark_over_rs": _ratio(medians["delta-spark"], medians["delta-rs"]),
           "runs": runs}
    return row


MARKDOWN_ROWS = [
    # (label, measure key, MB/s key or None, unit)
    ("write (overwrite, new table)", "write_seconds", "write_mb_per_second", "s"),
    ("read + full scan", "read_seconds", "read_mb_per_second", "s"),
    ("append 10% under a txn", "append_seconds", "append_mb_per_second", "s"),
    ("time travel: count of version 0", "time_travel_seconds", None, "s"),
    ("read + full scan again (after the append)", "read_again_seconds", "read_again_mb_per_second", "s"),
    ("time travel again", "time_travel_again_seconds", None, "s"),
    ("source scan (delta-rs in both: reference)", "source_scan_seconds", None, "s"),
    ("files written (write + append)", None, None, "files"),
    ("bytes on disk", "disk_mb", None, "MB"),
    ("peak RSS (process tree)", "peak_rss_gib", None, "GiB"),
    ("process wall (JVM start included)", "wall_seconds", None, "s"),
]


def markdown(result: dict) -> str:
    lines = ["| input | measure | delta-rs | delta-spark | delta-spark / delta-rs |", "| --- | --- | --- | --- | --- |"]
    for row in result["inputs"]:
        rs, sp, ratio = row["delta-rs"], row["delta-spark"], row["ratio_spark_over_rs"]
        label = f"{row['input']}: {row['rows']:,} rows, {row['text_mb']:,.1f} MB of {row['text_column']}"
        for i, (what, key, mbs, unit) in enumerate(MARKDOWN_ROWS):
            if key is None:
                a = f"{rs['write_files']} + {rs['append_files']}"
                b = f"{sp['write_files']} + {sp['append_files']}"
                total_rs, total_sp = rs["write_files"] + rs["append_files"], sp["write_files"] + sp["append_files"]
                r = f"{total_sp / total_rs:.2f}×" if total_rs else "–"
            else:
                def cell(m, key=key, mbs=mbs, unit=unit):
                    text = f"{m[key]:,.2f} {unit}" if unit != "MB" else f"{m[key]:,.1f} MB"
                    return f"{text} ({m[mbs]:,.1f} MB/s)" if mbs else text
                a, b = cell(rs), cell(sp)
                r = f"{ratio[key]:.2f}×" if key in ratio else "–"
                if key == "disk_mb":
                    a, b = f"{a} ({rs['codec']})", f"{b} ({sp['codec']})"
            lines.append(f"| {label if i == 0 else ''} | {what} | {a} | {b} | {r} |")
    return "\n".join(lines)


def bench(docs: int = 1_000_000, pages: int = 100_000, rounds: int = 1, codec: str | None = None,
          keep_tables: bool = False, spark_conf: dict[str, str] | None = None) -> dict:
    """Both backends on the dedup table (``docs`` documents) and on the clean input (``pages`` pages);
    a size of 0 leaves that input out."""
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict = {"benchmark": "tables", "machine": machine(), "cores": os.cpu_count(), "rounds": rounds,
                    "codec": codec or "each backend's default", "spark_conf": dict(spark_conf or {}),
                    "source_read_by": "delta-rs", "inputs": []}
    if docs:
        result["inputs"].append(bench_input(f"dedup-{docs}", dedup_input(docs), "text", rounds, codec, keep_tables,
                                            dict(spark_conf or {})))
    if pages:
        result["inputs"].append(bench_input(f"clean-{pages}", clean_input(pages), "html", rounds, codec,
                                            keep_tables, dict(spark_conf or {})))
    print(markdown(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000, help="documents of the dedup table (0: skip)")
    parser.add_argument("--pages", type=int, default=100_000, help="generated html pages of the clean input (0: skip)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per input and backend, alternating their order")
    parser.add_argument("--codec", choices=["zstd", "snappy", "gzip", "none"], default=None,
                        help="one Parquet codec for both backends (default: each backend's own)")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark property for both backends' processes (repeatable)")
    parser.add_argument("--keep-tables", action="store_true", help=f"keep the written tables under {WORK}")
    parser.add_argument("--driver", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver or args.prepare:
        sys.path.insert(0, str(REPO / "lib"))
        summary = driver(json.loads(args.driver)) if args.driver else prepare(json.loads(args.prepare))
        print(json.dumps(summary, default=str))
        return
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    spark_conf = {}
    for item in args.spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            parser.error(f"--spark-conf {item!r} must look like KEY=VALUE")
        spark_conf[key.strip()] = value.strip()
    result = bench(args.docs, args.pages, args.rounds, args.codec, args.keep_tables, spark_conf)
    BENCH_OUT.mkdir(exist_ok=True)
    (BENCH_OUT / "tables.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
