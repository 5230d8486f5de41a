"""``corpussieve why`` (what happened to one document) and ``corpussieve forget`` (delete documents by id
from every lake table, for privacy and takedown requests)."""

from __future__ import annotations

from typing import Any

from corpussieve.errors import InputError
from corpussieve.refresh.lake import ID_TABLES, Lake, LakeLock


def _rows(tables, path: str, doc_id: str, column: str = "id") -> list[dict[str, Any]]:
    from pyspark.sql import functions as F

    if not tables.exists(path):
        return []
    df = tables.read(path)
    if column not in df.columns:
        return []
    return [r.asDict(recursive=True) for r in df.filter(F.col(column).cast("string") == doc_id).collect()]


def _short(row: dict[str, Any], drop: tuple[str, ...] = ("text", "html")) -> dict[str, Any]:
    return {k: (str(v) if hasattr(v, "isoformat") else v) for k, v in row.items() if k not in drop}


def why(tables, lake: Lake, doc_id: str) -> dict[str, Any]:
    """Where ``doc_id`` is in the lake and why: kept (in which refresh), removed as a duplicate of which
    document (exact or near, similarity), rejected by which filters with which signals, rejected by ingest,
    or ingested and not refreshed yet."""
    out: dict[str, Any] = {"id": doc_id, "lake": lake.root, "verdicts": []}
    verdicts = out["verdicts"]
    for row in _rows(tables, lake.path("documents"), doc_id):
        verdicts.append({"status": "kept", "refresh": row.get("refresh"),
                         "says": f"kept: in documents since refresh {row.get('refresh')}",
                         "row": _short(row)})
    for row in _rows(tables, lake.path("removed"), doc_id):
        other = row.get("duplicate_of")
        where = "documents" if _rows(tables, lake.path("documents"), other) else (
            "the index" if _rows(tables, lake.path("index"), other) else "neither documents nor the index (forgotten?)")
        similarity = row.get("similarity")
        verdicts.append({
            "status": "removed", "refresh": row.get("refresh"), "duplicate_of": other, "match": row.get("match"),
            "similarity": similarity, "duplicate_of_is_in": where,
            "says": (f"removed by dedup in refresh {row.get('refresh')}: {row.get('match')} duplicate of {other} "
                     f"(similarity {similarity if similarity is None else round(float(similarity), 4)}; "
                     f"{other} is in {where})"),
            "row": _short(row)})
    for row in _rows(tables, lake.path("rejected"), doc_id):
        verdicts.append({
            "status": "rejected", "refresh": row.get("refresh"), "reasons": row.get("reject_reasons"),
            "signals": row.get("quality"),
            "says": f"rejected by clean in refresh {row.get('refresh')}: {', '.join(row.get('reject_reasons') or [])}",
            "row": _short(row)})
    for row in _rows(tables, lake.path("raw_rejected"), doc_id):
        verdicts.append({"status": "rejected_by_ingest", "reasons": row.get("reject_reasons"),
                         "says": f"rejected by ingest: {row.get('reject_reason')} ({row.get('reject_detail') or ''})",
                         "row": _short(row, ("raw_excerpt",))})
    in_raw = _rows(tables, lake.path("raw"), doc_id)
    out["in_raw"] = bool(in_raw)
    out["in_index"] = bool(_rows(tables, lake.path("index"), doc_id))
    if not verdicts:
        if in_raw:
            verdicts.append({"status": "pending", "says": "ingested into raw, not refreshed yet (a refresh was "
                                                          "interrupted: rerun it)"})
        else:
            verdicts.append({"status": "absent", "says": "not in this lake (never ingested, or forgotten)"})
    out["says"] = "; ".join(v["says"] for v in verdicts)
    return out


def read_ids(path: str) -> list[str]:
    """One id per line; blank lines and lines starting with # are skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            ids = [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]
    except OSError as exc:
        raise InputError(f"cannot read the id list ({exc.strerror})", table=path) from None
    if not ids:
        raise InputError("the id list is empty", table=path, expected="one document id per line")
    return sorted(set(ids))


def paragraphs_held_by(tables, path: str, ids: list[str]) -> list[int]:
    """The paragraph hashes whose first document (``first_id``) is one of ``ids``."""
    from pyspark.sql import functions as F

    wanted = tables.spark.createDataFrame([(i,) for i in ids], "first_id string")
    found = (tables.read(path).join(F.broadcast(wanted), "first_id", "left_semi").select("hash").distinct()
             .collect())
    return sorted(int(r["hash"]) for r in found)


def forget(ctx, lake: Lake, ids: list[str], ids_file: str) -> dict[str, Any]:
    """Delete ``ids`` from every lake table that holds documents by id (a committed Delta DELETE each, none
    where no row matches), then log it in ``refresh_log`` (step ``forget``).

    ``paragraphs`` holds a document's id as ``first_id``, the document that kept a paragraph: every row of such
    a paragraph goes (those of later batches too, which only say an earlier batch held it), so the id leaves
    the lake and a later copy of the paragraph is new to the lake, as a re-crawl of a forgotten page is."""
    from corpussieve.refresh import stages

    tables, run = ctx.tables, ctx.run
    config = ctx.config
    with LakeLock(lake, run.run_id, "forget", config.refresh.stale_lock_after_hours):
        present = lake.check(tables)
        log_rows = stages.read_log(tables, lake)
        done = stages.refreshed_batches(log_rows)
        pending = tables.txn_version(lake.path("raw"), lake.app_id("ingest")) if present["raw"] else None
        if pending is not None and (not done or pending > done[-1]):
            raise InputError(f"refresh {pending} was interrupted after its ingest", table=lake.path("raw"),
                             expected=f"that refresh rerun (the same command) before forget: its rows are not in "
                                      "the curated tables yet; nothing was deleted")
        metadata = {"job": "forget", "run_id": run.run_id, "ids": len(ids), "ids_file": ids_file}
        results = []
        with run.stage("delete") as st:
            if present.get("paragraphs"):
                # before the documents: the hashes are found by their first_id, so a forget killed between
                # two deletes finds them again on its rerun
                held = paragraphs_held_by(tables, lake.path("paragraphs"), ids)
                if held:
                    results.append(tables.delete_ids(lake.path("paragraphs"), "hash", held, metadata))
            for table in ID_TABLES:
                if present.get(table):
                    results.append(tables.delete_ids(lake.path(table), "id", ids, metadata))
            st.rows_out = sum(r["rows_deleted"] for r in results)
        row = stages.log_row(done[-1] if done else -1, "forget", run.run_id, run.elapsed(), input_table=None,
                             rows_in=len(ids), rows_out=sum(r["rows_deleted"] for r in results),
                             outputs=[{"table": r["table"], "version": r["version"], "rows": r["rows_deleted"],
                                       "committed": r["committed"]} for r in results],
                             details={"ids_file": ids_file, "ids": ids[:20], "ids_total": len(ids)})
        with run.stage("log"):
            tables.write(stages.log_frame(ctx.spark, [row]), lake.path("refresh_log"), "append",
                         metadata={"job": "forget", "run_id": run.run_id})
    return {"lake": lake.root, "ids": len(ids), "rows_deleted": sum(r["rows_deleted"] for r in results),
            "tables": {r["table"].rsplit("/", 1)[-1]: r["rows_deleted"] for r in results},
            "seconds": round(run.elapsed(), 1)}


__all__ = ["forget", "read_ids", "why"]
