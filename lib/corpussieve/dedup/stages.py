"""The dedup job's Spark stages (``DedupStages``), in the order they run; ``job.run`` times them.

input checks and exact keys -> exact groups -> signatures (one per exact group) -> LSH buckets ->
verified edges -> connected components -> keep rule -> outputs (documents, clusters, index rows).
The Python the workers run is in ``arrowfns``; the report's pure parts in ``report``.

Every document of the run is a *node*: the batch's documents, plus the index documents that meet them
(same id, same exact hash, or a shared LSH bucket). Nodes carry the columns the keep rule orders by;
index documents sort first (``origin`` 0), so an indexed document is never removed. Large intermediates
are written once as checkpoints, which keeps query plans short; the report's counts are measured by those
writes (``DataFrame.observe``), not by jobs of their own: at 50k documents a run made about 90 Spark jobs,
each a scheduling round trip, and now makes about 50.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from corpussieve.dedup import arrowfns
from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.index import INDEX_COLUMNS, SKETCH_VERSIONS, banding_id, sketch_id
from corpussieve.dedup.keep import KeepRule, keep_ordering
from corpussieve.dedup.lsh import BandingPlan
from corpussieve.errors import InputError
from corpussieve.validate import require_unique_ids

log = logging.getLogger("corpussieve.dedup")

ORIGIN_INDEX, ORIGIN_NEW = 0, 1
NODE_COLUMNS = ["id", "origin", "in_batch", "exact_hi", "exact_lo", "blank", "text_length", "fetch_time",
                "keep_value"]
TEXT_TYPES = (T.StringType, T.VarcharType, T.CharType)
TIME_TYPES = (T.TimestampType, T.TimestampNTZType, T.DateType)


def rule_columns(rule: KeepRule) -> list[str]:
    """Input columns the keep rule needs (beyond id and text). Not fetch_time: the default rule must run on
    the minimal id + text input, where every document lacks a fetch time and the lowest id wins."""
    if rule.kind == "highest":
        return [rule.column or ""]
    return []


def keep_order(rule: KeepRule) -> list[Column]:
    """Sort expressions whose first row a cluster keeps: indexed documents first, then the rule, then the id.

    The rule reads the node columns ``fetch_time``, ``text_length`` and ``keep_value`` (the rule's
    ``highest:`` column, renamed so it can never clash with the job's own columns).
    """
    internal = KeepRule("highest", "keep_value") if rule.kind == "highest" else rule
    order = [F.col("origin").asc()]
    for column, ascending in keep_ordering(internal, fetch_time_column="fetch_time",
                                           text_length_column="text_length"):
        order.append(F.col(column).asc_nulls_last() if ascending else F.col(column).desc_nulls_last())
    return order


def node_id(salt: int) -> Column:
    """The 64-bit integer a document's string id becomes for bucketing and connected components."""
    return F.xxhash64(F.lit(salt), F.col("id"))


def resolve_sketch(config: DedupConfig, index: DataFrame | None) -> DedupConfig:
    """``config`` with ``sketch: auto`` made concrete: the scheme of the index's rows when it has any (so that
    an upgrade never orphans an index built with the older scheme), else one_permutation. One row is read;
    ``check_index`` then checks that every row agrees."""
    if config.sketch != "auto":
        return config
    scheme = config.sketch_scheme
    if index is not None and "sketch" in index.columns:
        found = index.select("sketch").limit(1).collect()
        if found and found[0]["sketch"]:
            version = str(found[0]["sketch"]).split(":", 1)[0]
            scheme = next((name for name, v in SKETCH_VERSIONS.items() if v == version), scheme)
    return config.model_copy(update={"sketch": scheme})


@dataclass
class LocalEdges:
    """Verified edges held in the driver: graphs small enough get verified and solved there, with no Spark
    job between the LSH buckets and the keep rule but the ones that read what the driver needs."""

    src: np.ndarray
    dst: np.ndarray


def _hinted(df: DataFrame, rows: int, limit: int) -> DataFrame:
    """Broadcast a small side of a join: the other side (texts) then streams without a shuffle."""
    return F.broadcast(df) if rows <= limit else df


class DedupStages:
    """One run of the dedup job over ``batch`` (the input table's DataFrame), optionally against ``index``.

    ``checkpoint`` (``df -> df``) writes an intermediate and returns it read back (see ``ParquetCheckpoints``).
    """

    def __init__(self, spark, config: DedupConfig, plan: BandingPlan, batch: DataFrame, input_path: str,
                 checkpoint, index: DataFrame | None = None, index_path: str | None = None) -> None:
        self.spark = spark
        self.cfg = resolve_sketch(config, index)
        self.plan = plan
        self.rule = config.keep_rule
        self.batch = batch
        self.input_path = input_path
        self.index = index
        self.index_path = index_path
        self.checkpoint = checkpoint
        self.counts: dict[str, Any] = {}
        """Figures the stages collect for the report."""
        self.salt = 0

    # -- helpers ---------------------------------------------------------------------------------------
    def _materialize(self, df: DataFrame) -> DataFrame:
        """Write an intermediate that later stages reuse, and continue from the written copy.

        Persisting alone is not enough here: every stage would drag the whole lineage along, and with
        a dozen cached frames Spark spends seconds per query matching plans against its cache. A written
        checkpoint is a plain file scan: planning stays trivial and nothing is ever recomputed.
        """
        return self.checkpoint(df)

    def _materialize_observed(self, df: DataFrame, **aggregates: Column) -> tuple[DataFrame, dict[str, Any]]:
        """``_materialize``, plus ``aggregates`` over the rows written, measured by the write itself
        (``DataFrame.observe``) rather than by an aggregation over the checkpoint afterwards: that would be
        two more Spark jobs (the aggregation's shuffle stage and its result under adaptive execution), each a
        scheduling round trip. The checkpoint writes eagerly, so the figures are there when it returns.
        Missing values (sums over no rows) come back as 0."""
        from pyspark.sql import Observation

        observation = Observation()
        written = self.checkpoint(df.observe(observation, *[c.alias(k) for k, c in aggregates.items()]))
        found = observation.get
        return written, {k: (0 if found.get(k) is None else found[k]) for k in aggregates}

    def _rows(self, df: DataFrame) -> int:
        """Rows of a materialized intermediate, from its files' footers when the checkpointer can tell."""
        rows = getattr(self.checkpoint, "rows", None)
        return int(rows(df)) if rows is not None else int(df.count())

    def _shuffle_partitions(self) -> int:
        return int(self.spark.conf.get("spark.sql.shuffle.partitions"))

    # -- 1. input checks and exact keys ----------------------------------------------------------------
    def check_input_types(self) -> None:
        schema = self.batch.schema
        if not isinstance(schema["text"].dataType, TEXT_TYPES):
            raise InputError("expected a string column", table=self.input_path, column="text",
                             expected=f"string, found {schema['text'].dataType.simpleString()}")
        if self.rule.kind == "earliest_fetch_time" and "fetch_time" in schema.names:
            found = schema["fetch_time"].dataType
            if not isinstance(found, TIME_TYPES + TEXT_TYPES):
                raise InputError("the keep rule earliest_fetch_time needs a timestamp", table=self.input_path,
                                 column="fetch_time", expected=f"a timestamp, date or ISO string, found "
                                                               f"{found.simpleString()}")

    def _order_values(self) -> list[Column]:
        """text_length, fetch_time and keep_value of the batch rows, typed like the index columns."""
        columns = set(self.batch.columns)
        if "fetch_time" in columns and isinstance(self.batch.schema["fetch_time"].dataType, TEXT_TYPES):
            fetch_time = F.to_timestamp(F.col("fetch_time"))
        elif "fetch_time" in columns and isinstance(self.batch.schema["fetch_time"].dataType, TIME_TYPES):
            fetch_time = F.col("fetch_time").cast("timestamp")
        else:
            fetch_time = F.lit(None).cast("timestamp")
        keep_value = (F.col(f"`{self.rule.column}`") if self.rule.kind == "highest"
                      else F.lit(None).cast("double"))
        return [F.length("text").cast("long").alias("text_length"), fetch_time.alias("fetch_time"),
                keep_value.alias("keep_value")]

    def exact_keys(self) -> DataFrame:
        """The one pass over the texts: each document's 128-bit exact key (the hash of its normalized text),
        its order columns, and its MinHash signature and band keys from the same normalization.

        Without an index, repeats of an exact key within a partition are not signed again (the exact
        group's signature comes from the member that was); with an index, every document is signed, since
        the signed member might be a batch row the index already holds, which leaves the run.
        """
        source = self.batch.select(F.col("id").cast("string").alias("id"), "text",
                                   F.col("text").isNull().alias("text_null"),
                                   F.coalesce(F.octet_length("text"), F.lit(0)).cast("long").alias("text_bytes"),
                                   *self._order_values())
        passthrough = [f for f in source.schema.fields if f.name not in ("id", "text")]
        schema = T.StructType([*T.StructType.fromDDL(arrowfns.KEYS_AND_SKETCHES_DDL).fields, *passthrough])
        sketch = arrowfns.keys_and_sketches(self.cfg, self.plan.bands, self.plan.rows,
                                            skip_repeats=self.index is None)
        keys, stats = self._materialize_observed(
            source.mapInArrow(sketch, schema),
            documents=F.count(F.lit(1)), null_ids=F.sum(F.col("id").isNull().cast("long")),
            blank=F.sum(F.col("blank").cast("long")), null=F.sum(F.col("text_null").cast("long")),
            bytes=F.sum("text_bytes"), signatures=F.count("signature"))
        self.keys = keys
        self.counts["documents"] = int(stats["documents"])
        self.counts["blank_documents"] = int(stats["blank"] or 0)
        self.counts["null_text"] = int(stats["null"] or 0)
        self.counts["text_bytes"] = int(stats["bytes"] or 0)
        self.counts["null_ids"] = int(stats["null_ids"] or 0)
        self.counts["signatures_computed"] = int(stats["signatures"] or 0)
        return keys

    def check_ids(self) -> None:
        """Null or repeated ids fail with a message naming a few of them; and the 64-bit node ids derived
        from the ids must be distinct too (re-salted in the astronomically rare case they are not)."""
        nulls = self.counts["null_ids"]
        if nulls:
            require_unique_ids(self.keys, self.input_path)  # raises, naming them
        while True:
            groups = (self.keys.select("id", node_id(self.salt).alias("nid")).groupBy("nid")
                      .agg(F.count(F.lit(1)).alias("n"), F.min("id").alias("lo"), F.max("id").alias("hi"))
                      .filter(F.col("n") > 1))
            shared = groups.limit(1000).collect()  # one job; empty for valid input
            if not shared:
                return
            if all(r["lo"] != r["hi"] for r in shared):
                log.warning("distinct ids share a 64-bit node id; rehashing with salt %d", self.salt + 1)
                self.salt += 1
                continue
            require_unique_ids(self.keys, self.input_path)  # equal ids share a node id: raises, naming them
            return

    # -- 2. the index and the exact groups -------------------------------------------------------------
    def check_index(self) -> None:
        """The index must hold signatures made the way this run makes them."""
        if self.index is None:
            return
        missing = [c for c in INDEX_COLUMNS if c not in self.index.columns]
        if missing:
            raise InputError("column is missing; this is not a dedup index", table=self.index_path,
                             column=missing[0], expected=f"the columns {', '.join(INDEX_COLUMNS)}")
        wanted = sketch_id(self.cfg)
        found = [r["sketch"] for r in self.index.select("sketch").distinct().limit(3).collect()]
        other = [s for s in found if s != wanted]
        if other:
            raise InputError(f"the index holds signatures made as {other[0]!r}, this run makes {wanted!r}",
                             table=self.index_path, column="sketch",
                             expected="the same sketch scheme, normalization, shingling, num_perm and seed as the runs that built "
                                      "the index (or a new index path)")

    def _index_nodes(self, ids: DataFrame) -> DataFrame:
        """Index rows for ``ids`` as nodes (in_batch says whether the batch lists the same id)."""
        batch_ids = self.keys.select("id", F.lit(True).alias("listed"))
        rows = self.index.join(ids, "id", "left_semi").join(batch_ids, "id", "left")
        return rows.select("id", F.lit(ORIGIN_INDEX).alias("origin"),
                           F.coalesce(F.col("listed"), F.lit(False)).alias("in_batch"), "exact_hi", "exact_lo",
                           "blank", "text_length", "fetch_time",
                           F.lit(None).cast(self.keys.schema["keep_value"].dataType).alias("keep_value"))

    def exact_groups(self) -> DataFrame:
        """Group identical normalized texts; each group's best document by the keep order represents it.

        Only representatives go on to MinHash and LSH. A group that contains an indexed document is
        represented by it (its signature is stored: nothing to recompute).
        """
        keys = self.keys
        new = keys.select(*[F.lit(ORIGIN_NEW).alias(c) if c == "origin" else
                            F.lit(True).alias(c) if c == "in_batch" else F.col(c) for c in NODE_COLUMNS],
                          "signature", "band_keys")
        if self.index is not None:
            new = self._materialize(new.join(self.index.select("id"), "id", "left_anti"))
        self.new_docs = new
        members = new.filter(~F.col("blank"))
        if self.index is not None:
            live_hashes = members.select("exact_hi", "exact_lo").distinct()
            exact_ids = (self.index.filter(~F.col("blank")).join(live_hashes, ["exact_hi", "exact_lo"], "left_semi")
                         .select("id"))
            members = members.unionByName(self._index_nodes(exact_ids).select(
                "*", F.lit(None).cast("binary").alias("signature"),
                F.lit(None).cast("array<long>").alias("band_keys")))
        group = Window.partitionBy("exact_hi", "exact_lo")
        rep_id = F.first("id").over(group.orderBy(*keep_order(self.rule)))
        signs = (F.col("id") == rep_id) & (F.col("origin") == ORIGIN_NEW)
        # Members of one exact group share their signature: a representative takes whichever was computed.
        groups = members.select(*NODE_COLUMNS, rep_id.alias("rep_id"),
                                F.count(F.lit(1)).over(group).alias("exact_size"),
                                F.when(signs, F.first("signature", ignorenulls=True).over(group)).alias("signature"),
                                F.when(signs, F.first("band_keys", ignorenulls=True).over(group)).alias("band_keys"))
        is_rep = F.col("id") == F.col("rep_id")
        groups, row = self._materialize_observed(
            groups, groups=F.sum(is_rep.cast("long")),
            multi=F.sum((is_rep & (F.col("exact_size") > 1)).cast("long")),
            new_reps=F.sum((is_rep & (F.col("origin") == ORIGIN_NEW)).cast("long")))
        self.groups = groups
        self.counts["exact_groups"] = int(row["groups"] or 0)
        self.counts["exact_groups_multi"] = int(row["multi"] or 0)
        self.counts["representatives_to_sign"] = int(row["new_reps"] or 0)
        self.counts["batch_ids_in_index"] = 0
        if self.index is not None:
            self.counts["batch_ids_in_index"] = self.counts["documents"] - self._rows(new)
        return groups

    # -- 3. signatures ---------------------------------------------------------------------------------
    def signatures(self) -> DataFrame:
        """The signatures and band keys of the new representatives (computed in the first pass)."""
        reps = self.groups.filter((F.col("id") == F.col("rep_id")) & (F.col("origin") == ORIGIN_NEW))
        self.sketches = reps.select("id", "signature", "band_keys")
        self.counts["signed"] = self.counts["representatives_to_sign"]
        return self.sketches

    # -- 4. nodes and LSH buckets ----------------------------------------------------------------------
    def _index_band_keys(self) -> DataFrame:
        """(id, band_keys) of every live index row under this run's banding; rows stored under another
        banding get theirs recomputed from the stored signature."""
        current = banding_id(self.plan)
        live = self.index.filter(~F.col("blank"))
        same = live.filter(F.col("banding") == current).select("id", "band_keys")
        other = live.filter(F.col("banding") != current).select("id", "signature")
        rebanded = other.mapInArrow(arrowfns.rebanded(self.cfg, self.plan.bands, self.plan.rows),
                                    arrowfns.BAND_KEYS_DDL)
        return same.unionByName(rebanded)

    def nodes(self) -> DataFrame:
        """Every document of the run with its 64-bit node id and its exact-group representative."""
        node_rows = self.groups.select(*NODE_COLUMNS, "rep_id").unionByName(
            self.new_docs.filter(F.col("blank")).select(*NODE_COLUMNS, F.lit(None).cast("string").alias("rep_id")))
        self.index_members = None
        if self.index is not None:
            new_keys = self.sketches.select(F.explode("band_keys").alias("band_key")).distinct()
            index_keys = self._index_band_keys()
            banded = (index_keys.select("id", F.explode("band_keys").alias("band_key"))
                      .join(new_keys, "band_key", "left_semi").select("id"))
            listed = self.index.select("id").join(self.keys.select("id"), "id", "left_semi")
            extra = banded.unionByName(listed).distinct().join(self.groups.select("id"), "id", "left_anti")
            node_rows = node_rows.unionByName(
                self._index_nodes(extra).withColumn("rep_id", F.lit(None).cast("string")))
            members = (self.index.join(banded.distinct(), "id", "left_semi").select("id", "signature")
                       .join(index_keys, "id"))
            self.index_members = self._materialize(members)
        if self.index is None:
            with_nid = node_rows.withColumn("nid", node_id(self.salt))  # checked unique with the ids
        else:
            # Index documents joined the batch's: their node ids must not clash with the batch's either.
            node_rows = self._materialize(node_rows)
            while True:
                with_nid = node_rows.withColumn("nid", node_id(self.salt))
                if not with_nid.groupBy("nid").count().filter(F.col("count") > 1).limit(1).collect():
                    break
                log.warning("distinct ids share a 64-bit node id; rehashing with salt %d", self.salt + 1)
                self.salt += 1
        # xxhash64 skips null inputs rather than returning null: test for the representative explicitly.
        rep_nid = F.xxhash64(F.lit(self.salt), F.col("rep_id"))
        nodes = with_nid.withColumn("anchor", F.when(F.col("rep_id").isNotNull(), rep_nid).otherwise(F.col("nid")))
        is_index = F.col("origin") == ORIGIN_INDEX
        listed = {"index_nids": F.collect_list(F.when(is_index, F.col("nid")))} if self.index is not None else {}
        self.node_table, row = self._materialize_observed(
            nodes, n=F.count(F.lit(1)), index=F.sum(is_index.cast("long")), **listed)
        self.counts["nodes"], self.counts["index_nodes"] = int(row["n"]), int(row["index"])
        # the index documents' node ids, for verification in the driver (only index documents that share a
        # band key or an id with the batch are nodes: a refresh's few)
        self.index_nids = np.sort(np.asarray(row.get("index_nids") or [], dtype=np.int64))
        return self.node_table

    def signature_table(self) -> DataFrame:
        """(nid, signature) of every signed node: new representatives and the index documents involved."""
        sigs = self.sketches.select("id", "signature")
        if self.index is not None:
            index_sigs = (self.index.filter(~F.col("blank"))
                          .join(self.node_table.filter(F.col("origin") == ORIGIN_INDEX).select("id"), "id",
                                "left_semi").select("id", "signature"))
            sigs = sigs.unionByName(index_sigs)
        return sigs.select(node_id(self.salt).alias("nid"), "signature")

    def candidate_edges(self) -> DataFrame:
        """Verified edges from the LSH buckets that hold two or more members, at least one of them new."""
        members = self.sketches.select("id", "signature", "band_keys", F.lit(ORIGIN_NEW).alias("origin"))
        if self.index_members is not None:
            members = members.unionByName(self.index_members.select("id", "signature", "band_keys",
                                                                    F.lit(ORIGIN_INDEX).alias("origin")))
        members = members.withColumn("nid", node_id(self.salt))
        # Nearly every band key has one member. Counting members per key first (a hash aggregation of two
        # longs, compiled to a tight loop) and listing the members of the shared keys only, found by a
        # semi-join, costs less than listing every key's members (an object aggregation over all 15 keys of
        # every document): lsh_buckets at 1M documents 16.1 s against 22.2 s, and with C1 only (small runs,
        # spark.jit quick) 21.7 s against 70.5 s.
        exploded = members.select("nid", "origin", F.explode("band_keys").alias("band_key"))
        shared = (exploded.groupBy("band_key")
                  .agg(F.count(F.lit(1)).alias("n"), F.max("origin").alias("has_new"))
                  .filter((F.col("n") >= 2) & (F.col("has_new") == ORIGIN_NEW)).select("band_key"))
        buckets = (exploded.join(shared, "band_key", "left_semi")
                   .groupBy("band_key").agg(F.sort_array(F.collect_list("nid")).alias("members"))
                   .select("members").distinct())  # the same members found through several bands: once
        member_rows = buckets.select(F.xxhash64("members").alias("bucket"), F.explode("members").alias("nid"))
        rows = members.select("nid", "signature").join(member_rows, "nid")
        groups = max(64, 4 * self._shuffle_partitions())
        raw = (rows.withColumn("group", F.pmod(F.col("bucket"), F.lit(groups)))
               .groupBy("group")
               .applyInArrow(arrowfns.bucket_edges(self.cfg), arrowfns.BUCKET_EDGES_DDL))
        raw, work = self._materialize_observed(  # the counter rows have a null src; sums skip nulls
            raw, buckets=F.sum("buckets"), large=F.sum("large_buckets"), comparisons=F.sum("comparisons"),
            truncated=F.sum("truncated"), unled=F.sum("unled"), largest=F.max("largest"),
            edge_rows=F.count("src"))
        self.raw_edges = raw
        self.raw_edge_rows = int(work["edge_rows"])
        self.counts["buckets"] = int(work["buckets"] or 0)
        for key in ("large", "comparisons", "truncated", "unled", "largest"):
            self.counts[f"bucket_{key}"] = int(work[key] or 0)
        return (raw.filter(F.col("src").isNotNull()).groupBy("src", "dst")
                .agg(F.max("similarity").alias("similarity")))

    def verify(self, edges: DataFrame) -> DataFrame | LocalEdges:
        """Keep the edges whose similarity holds up.

        ``signature``: the buckets already kept estimates >= threshold. ``exact``: every edge between two
        batch documents is re-checked on the exact shingle Jaccard of their texts; ``borderline``: only
        those estimated within ``borderline_slack`` of the threshold. Index documents have no stored text,
        so an edge that reaches one keeps the estimate, at the full threshold.

        In the driver when the edges and the documents to check are few enough (``_verify_in_driver``),
        else on the executors (``_verify_on_executors``); both decide alike (tested).
        """
        local = self._verify_in_driver()
        return local if local is not None else self._verify_on_executors(edges)

    def _verify_in_driver(self) -> LocalEdges | None:
        """The candidate edges collected (16 bytes and an estimate each), the borderline ones checked on the
        shingle sets of just their documents, read in one pass over those texts (one ``mapInArrow`` after a
        broadcast semi-join on the node ids): no join of texts to pairs, no checkpoints. Three Spark jobs at
        most, against about 19 on the executors. None when the graph or the documents to read are too many
        for the driver (``components_local_max_edges``, ``verify_local_max_documents``)."""
        cfg = self.cfg
        if self.raw_edge_rows > cfg.components_local_max_edges:
            return None
        raw = self.raw_edges.filter(F.col("src").isNotNull()).select("src", "dst", "similarity").toArrow()
        src, dst, sim = (raw.column(c).to_numpy() for c in ("src", "dst", "similarity"))
        # one edge per pair (buckets report src < dst), at its best estimate over the bands that found it
        order = np.lexsort((-sim, dst, src))
        src, dst, sim = src[order], dst[order], sim[order]
        first = np.ones(src.size, dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, sim = src[first], dst[first], sim[first]
        verified = np.ones(src.size, dtype=bool)
        checks = 0
        if cfg.verification != "signature" and src.size:
            sure = np.zeros(src.size, bool) if cfg.verification == "exact" else \
                sim >= cfg.threshold + cfg.borderline_slack
            check = ~sure & ~np.isin(src, self.index_nids) & ~np.isin(dst, self.index_nids)
            needed = np.unique(np.concatenate([src[check], dst[check]]))
            if needed.size > cfg.verify_local_max_documents:
                return None
            verified = ~check & (sim >= cfg.threshold)
            if needed.size:
                verified[check] = self._exact_jaccard(needed, src[check], dst[check]) >= cfg.threshold
            checks = int(check.sum())
        self.counts["candidate_edges"] = int(src.size)
        self.counts["exact_checks"] = checks
        self.counts["verified_edges"] = int(verified.sum())
        return LocalEdges(src[verified], dst[verified])

    def _exact_jaccard(self, needed: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Exact shingle Jaccard of the node pairs (a[k], b[k]), batch documents all; ``needed`` (sorted) is
        every node of the pairs. Each needed text is shingled once on an executor and its set collected."""
        import pyarrow as pa

        from corpussieve.dedup.verify import binary_uint64_sets, set_pair_jaccard

        wanted = self.spark.createDataFrame(pa.table({"nid": pa.array(needed, pa.int64())}))
        found = (self.batch.select(F.col("id").cast("string").alias("id"), "text")
                 .select(node_id(self.salt).alias("nid"), "text")
                 .join(F.broadcast(wanted), "nid", "left_semi")
                 .mapInArrow(arrowfns.shingle_sets(self.cfg), arrowfns.SHINGLE_SETS_DDL)
                 .toArrow())
        nids = found.column("nid").to_numpy()
        offsets, hashes = binary_uint64_sets(found.column("shingles"))
        del found
        order = np.argsort(nids)
        if not np.array_equal(nids[order], needed):  # ids are unique and every needed node is a batch text
            raise RuntimeError(f"verification read {nids.size} texts for the {needed.size} documents it needs")
        return set_pair_jaccard(offsets, hashes, order[np.searchsorted(needed, a)], order[np.searchsorted(needed, b)])

    def _verify_on_executors(self, edges: DataFrame) -> DataFrame:
        """``verify`` for graphs too large for the driver: the texts of the pairs to check are joined to
        the pairs on the executors."""
        cfg = self.cfg
        edges = self._materialize(edges)
        self.counts["candidate_edges"] = self._rows(edges)
        self.counts["exact_checks"] = 0
        if cfg.verification == "signature" or self.counts["candidate_edges"] == 0:
            self.counts["verified_edges"] = self.counts["candidate_edges"]
            return edges
        sure = F.lit(False) if cfg.verification == "exact" else \
            F.col("similarity") >= cfg.threshold + cfg.borderline_slack
        ids = self.node_table.select("nid", "id", "origin")
        ends = (edges.join(ids.select(F.col("nid").alias("src"), F.col("id").alias("id_a"),
                                      F.col("origin").alias("origin_a")), "src")
                .join(ids.select(F.col("nid").alias("dst"), F.col("id").alias("id_b"),
                                 F.col("origin").alias("origin_b")), "dst"))
        checkable = (F.col("origin_a") == ORIGIN_NEW) & (F.col("origin_b") == ORIGIN_NEW) & ~sure
        to_check = self._materialize(ends.filter(checkable).select("src", "dst", "id_a", "id_b"))
        n_check = self._rows(to_check)
        self.counts["exact_checks"] = n_check
        estimated = ends.filter(~checkable & (F.col("similarity") >= cfg.threshold)).select("src", "dst", "similarity")
        if n_check == 0:  # nothing borderline (common for a small refresh batch): no pass over the texts
            verified = self._materialize(estimated)
            self.counts["verified_edges"] = self._rows(verified)
            return verified
        needed = to_check.select(F.col("id_a").alias("id")).unionByName(to_check.select(F.col("id_b").alias("id")))
        needed = needed.distinct()
        texts = self._materialize(
            self.batch.select(F.col("id").cast("string").alias("id"), "text")
            .join(_hinted(needed, 2 * n_check, cfg.broadcast_max_rows), "id", "left_semi"))
        checked = (to_check
                   .join(texts.select(F.col("id").alias("id_a"), F.col("text").alias("text_a")), "id_a")
                   .join(texts.select(F.col("id").alias("id_b"), F.col("text").alias("text_b")), "id_b")
                   .select("src", "dst", "text_a", "text_b")
                   .mapInArrow(arrowfns.exact_jaccard(cfg), arrowfns.EXACT_JACCARD_DDL))
        exact_ok = (checked.filter(F.col("jaccard") >= cfg.threshold).select("src", "dst")
                    .join(edges, ["src", "dst"]))
        verified = self._materialize(exact_ok.unionByName(estimated))
        self.counts["verified_edges"] = self._rows(verified)
        return verified

    # -- 5. clusters -----------------------------------------------------------------------------------
    def components(self, edges: DataFrame | LocalEdges) -> DataFrame:
        """(node, component) over the verified edges; nodes without edges are their own component."""
        from corpussieve.graph import components_of_edge_arrays, connected_components

        if self.counts["verified_edges"] == 0:
            self.counts["components"] = 0
            return self.spark.createDataFrame([], "node long, component long")
        if isinstance(edges, LocalEdges):  # the same scipy solution the distributed path uses when small
            labels = components_of_edge_arrays(edges.src, edges.dst)
            self.counts["components"] = int(np.unique(labels.column("component").to_numpy()).size)
            return self.spark.createDataFrame(labels)
        components = connected_components(edges, "src", "dst", checkpoint=self.checkpoint,
                                          local_max_edges=self.cfg.components_local_max_edges)
        components = self._materialize(components)
        self.counts["components"] = components.select("component").distinct().count()
        return components

    def assign(self, components: DataFrame) -> DataFrame:
        """Each node's cluster, the document the cluster keeps, and how each node matches it."""
        nodes = (self.node_table.join(components.withColumnRenamed("node", "anchor"), "anchor", "left")
                 .withColumn("cluster", F.coalesce(F.col("component"), F.col("anchor"))))
        cluster = Window.partitionBy("cluster")
        ordered = cluster.orderBy(*keep_order(self.rule))
        ranked = nodes.select(
            *NODE_COLUMNS, "nid", "anchor", "cluster",
            F.row_number().over(ordered).alias("rank"),
            F.first("id").over(ordered).alias("kept_id"),
            F.first("nid").over(ordered).alias("kept_nid"),
            F.first("origin").over(ordered).alias("kept_origin"),
            F.first("exact_hi").over(ordered).alias("kept_hi"),
            F.first("exact_lo").over(ordered).alias("kept_lo"),
            F.count(F.lit(1)).over(cluster).alias("cluster_size"),
            F.sum(F.col("in_batch").cast("long")).over(cluster).alias("batch_members"),
        )
        kept = (F.col("rank") == 1) | (F.col("origin") == ORIGIN_INDEX)
        exact = (F.col("exact_hi") == F.col("kept_hi")) & (F.col("exact_lo") == F.col("kept_lo")) & ~F.col("blank")
        ranked = ranked.withColumn("kept", kept).withColumn(
            "match", F.when(kept, F.lit(None).cast("string")).when(exact, F.lit("exact")).otherwise(F.lit("near")))
        near = ranked.filter(F.col("match") == "near").select(F.col("anchor").alias("a"),
                                                              F.col("kept_nid").alias("b")).distinct()
        sigs = self.signature_table()
        pairs = (near.join(sigs.select(F.col("nid").alias("a"), F.col("signature").alias("sig_a")), "a")
                 .join(sigs.select(F.col("nid").alias("b"), F.col("signature").alias("sig_b")), "b")
                 .select("a", "b", "sig_a", "sig_b")
                 .mapInArrow(arrowfns.pair_similarity(self.cfg), arrowfns.PAIR_SIMILARITY_DDL))
        assigned = (ranked.join(pairs.withColumnRenamed("a", "anchor").withColumnRenamed("b", "kept_nid"),
                                ["anchor", "kept_nid"], "left")
                    .withColumn("similarity", F.when(F.col("match") == "exact", F.lit(1.0))
                                .when(F.col("match") == "near", F.col("similarity"))))
        # Every figure of the report is measured by the checkpoint's write (no job of its own); the size
        # histogram as the list of the sizes above 1 (one long per cluster with copies) and a count of the rest.
        in_batch, removed = F.col("in_batch"), F.col("in_batch") & ~F.col("kept")
        head = (F.col("rank") == 1) & (F.col("batch_members") > 0)
        self.assigned, row = self._materialize_observed(
            assigned, kept=F.sum((in_batch & F.col("kept")).cast("long")),
            exact=F.sum((in_batch & (F.col("match") == "exact")).cast("long")),
            near=F.sum((in_batch & (F.col("match") == "near")).cast("long")),
            kept_in_clusters=F.sum((in_batch & F.col("kept") & (F.col("cluster_size") > 1)).cast("long")),
            singles=F.sum((head & (F.col("cluster_size") == 1)).cast("long")),
            sizes=F.collect_list(F.when(head & (F.col("cluster_size") > 1), F.col("cluster_size"))),
            against=F.sum((removed & (F.col("kept_origin") == ORIGIN_INDEX)).cast("long")),
            listed=F.sum((in_batch & (F.col("origin") == ORIGIN_INDEX)).cast("long")))
        self._count_clusters(row)
        return self.assigned

    def _count_clusters(self, row: dict[str, Any]) -> None:
        self.counts["kept"] = int(row["kept"])
        self.counts["kept_in_clusters"] = int(row["kept_in_clusters"])
        self.counts["removed_exact"] = int(row["exact"])
        self.counts["removed_near"] = int(row["near"])
        sizes, counts = np.unique(np.asarray(row["sizes"] or [], dtype=np.int64), return_counts=True)
        histogram = {int(k): int(v) for k, v in zip(sizes, counts, strict=True)}
        self.counts["cluster_sizes"] = {**({1: int(row["singles"])} if row["singles"] else {}), **histogram}
        if self.index is not None:  # (the kept document of the cluster is an index document)
            self.counts["removed_against_index"] = int(row["against"])
            self.counts["batch_ids_in_index"] = int(row["listed"])

    # -- 6. outputs ------------------------------------------------------------------------------------
    def clusters_table(self) -> DataFrame:
        """One row per input document."""
        return self.assigned.filter(F.col("in_batch")).select(
            "id", F.col("kept_id").alias("cluster_id"), "kept",
            F.when(F.col("kept"), F.lit(None).cast("string")).otherwise(F.col("kept_id")).alias("duplicate_of"),
            "match", F.col("similarity").cast("double").alias("similarity"),
        )

    def documents_table(self) -> DataFrame:
        """The kept input rows with every input column, plus cluster_id and cluster_size."""
        batch = self.assigned.filter(F.col("in_batch"))
        limit = self.cfg.broadcast_max_rows
        kept_n, removed_n = self.counts["kept"], self.counts["documents"] - self.counts["kept"]
        source = self.batch.withColumn("__key", F.col("id").cast("string"))
        if removed_n <= kept_n:
            # the removed documents and the kept ones with copies, in one side of one join (one broadcast,
            # where a join for each cost a Spark job more)
            marked = batch.filter(~F.col("kept") | (F.col("cluster_size") > 1)).select(
                F.col("id").alias("__key"), (~F.col("kept")).alias("__removed"),
                F.col("kept_id").alias("__cluster_id"), F.col("cluster_size").alias("__cluster_size"))
            marked_n = removed_n + self.counts["kept_in_clusters"]  # counted with the clusters: no job of its own
            joined = (source.join(_hinted(marked, marked_n, limit), "__key", "left")
                      .filter(F.col("__removed").isNull() | ~F.col("__removed")))
        else:
            kept = batch.filter(F.col("kept")).select(F.col("id").alias("__key"),
                                                      F.col("kept_id").alias("__cluster_id"),
                                                      F.col("cluster_size").alias("__cluster_size"))
            joined = source.join(_hinted(kept, kept_n, limit), "__key")
        columns = [F.col(f"`{c}`") for c in self.batch.columns if c not in ("cluster_id", "cluster_size")]
        return joined.select(
            *columns,
            F.coalesce(F.col("__cluster_id"), F.col("__key")).alias("cluster_id"),
            F.coalesce(F.col("__cluster_size"), F.lit(1).cast("long")).alias("cluster_size"),
        )

    def removed_table(self) -> DataFrame:
        """The removed input rows with every input column, plus cluster_id, duplicate_of (the kept document),
        match (exact or near) and similarity (1.0 for exact copies, the verified Jaccard or MinHash estimate
        for near ones)."""
        removed = self.assigned.filter(F.col("in_batch") & ~F.col("kept")).select(
            F.col("id").alias("__key"), F.col("kept_id").alias("cluster_id"), F.col("kept_id").alias("duplicate_of"),
            "match", F.col("similarity").cast("double").alias("similarity"))
        n = self.counts["documents"] - self.counts["kept"]
        source = self.batch.withColumn("__key", F.col("id").cast("string"))
        columns = [F.col(f"`{c}`") for c in self.batch.columns
                   if c not in ("cluster_id", "duplicate_of", "match", "similarity")]
        return source.join(_hinted(removed, n, self.cfg.broadcast_max_rows), "__key").select(
            *columns, "cluster_id", "duplicate_of", "match", "similarity")

    def index_rows(self, input_version: int) -> DataFrame:
        """The batch's kept new documents, as rows for the index."""
        kept_new = self.assigned.filter(F.col("in_batch") & F.col("kept") & (F.col("origin") == ORIGIN_NEW))
        return kept_new.join(self.sketches, "id", "left").select(
            "id", "exact_hi", "exact_lo", "blank", "signature", "band_keys",
            F.col("text_length").cast("long").alias("text_length"),
            F.col("fetch_time").cast("timestamp").alias("fetch_time"),
            F.lit(sketch_id(self.cfg)).alias("sketch"), F.lit(banding_id(self.plan)).alias("banding"),
            F.lit(self.input_path).alias("source_table"), F.lit(input_version).cast("long").alias("source_version"),
        )

    def largest_clusters(self, limit: int, sample_chars: int = 240) -> list[dict[str, Any]]:
        """The largest clusters that hold batch documents, with the kept text and one duplicate's text."""
        if limit == 0:
            return []
        # One aggregation over the clusters with copies, then the top ones (the cluster-wide columns are
        # equal on every member): one shuffle, where heads then their members took three.
        clusters = (self.assigned.filter((F.col("batch_members") > 0) & (F.col("cluster_size") > 1))
                    .groupBy("cluster").agg(
                        F.max("kept_id").alias("kept_id"), F.max("cluster_size").alias("cluster_size"),
                        F.max("kept_origin").alias("kept_origin"),
                        F.sum((F.col("match") == "exact").cast("long")).alias("exact"),
                        F.sum((F.col("match") == "near").cast("long")).alias("near"),
                        F.min("similarity").alias("min_similarity"),
                        F.min(F.when(F.col("rank") == 2, F.col("id"))).alias("sample_id")))
        rows = [r.asDict() for r in clusters.orderBy(F.col("cluster_size").desc(), F.col("kept_id"))
                .limit(limit).collect()]
        wanted = sorted({r["kept_id"] for r in rows} | {r["sample_id"] for r in rows if r["sample_id"]})
        texts = {}
        if wanted:
            found = (self.batch.select(F.col("id").cast("string").alias("id"), "text")
                     .filter(F.col("id").isin(wanted))
                     .select("id", F.substring("text", 1, sample_chars).alias("sample")).collect())
            texts = {r["id"]: r["sample"] for r in found}
        out = []
        for r in rows:
            out.append({
                "cluster_id": r["kept_id"], "size": int(r["cluster_size"]), "exact": int(r["exact"] or 0),
                "near": int(r["near"] or 0),
                "min_similarity": None if r["min_similarity"] is None else round(float(r["min_similarity"]), 4),
                "kept_is_indexed": r["kept_origin"] == ORIGIN_INDEX,
                "kept_sample": texts.get(r["kept_id"]),
                "duplicate_id": r["sample_id"], "duplicate_sample": texts.get(r["sample_id"]),
            })
        return out


def deduplicate(run, stages: DedupStages, prefix: str = "") -> None:
    """Run the dedup stages from the input checks to the keep rule, each a timed stage of ``run`` (named
    ``prefix`` + read, exact_groups, nodes, lsh_buckets, verify, components, keep); the outputs are then
    ``stages.documents_table()``, ``clusters_table()``, ``removed_table()`` and ``index_rows()``."""
    c = stages.counts
    # read: the input checked and counted; the ids are checked on the output of the one pass over the
    # texts (exact keys and signatures), so that pass belongs here
    with run.stage(f"{prefix}read") as st:
        stages.check_input_types()
        stages.exact_keys()
        stages.check_ids()
        stages.check_index()
        st.rows_in = st.rows_out = c["documents"]
        st.details["signatures_computed"] = c["signatures_computed"]
    with run.stage(f"{prefix}exact_groups") as st:
        stages.exact_groups()
        stages.signatures()
        st.rows_in, st.rows_out = c["documents"], c["representatives_to_sign"]
        st.details["groups_with_copies"] = c["exact_groups_multi"]
    with run.stage(f"{prefix}nodes") as st:
        stages.nodes()
        st.rows_out = c["nodes"]
        st.details["index_nodes"] = c["index_nodes"]
    with run.stage(f"{prefix}lsh_buckets") as st:
        edges = stages.candidate_edges()
        st.rows_out = c["buckets"]
        st.details["comparisons"] = c["bucket_comparisons"]
    with run.stage(f"{prefix}verify") as st:
        edges = stages.verify(edges)
        st.rows_in, st.rows_out = c["candidate_edges"], c["verified_edges"]
    with run.stage(f"{prefix}components") as st:
        components = stages.components(edges)
        st.rows_in, st.rows_out = c["verified_edges"], c["components"]
    with run.stage(f"{prefix}keep") as st:
        stages.assign(components)
        st.rows_in, st.rows_out = c["documents"], c["kept"]
