"""``corpussieve format``: training shards from a table, mixed by a training plan.

The pure core, testable without Spark: ``megatron`` (the MMIDIDX .bin/.idx writer), ``mixing`` (passes, whole
epochs and the seeded fractional subset per source), ``vocab`` (end-of-document token and token type per
tokenizer), ``files`` (writing, hashing and moving shard files on any pyarrow filesystem). The Spark job:
``job`` (arguments and stage order), ``stages`` (Spark), ``arrowfns`` (what the workers run), ``report`` (pure).
"""
