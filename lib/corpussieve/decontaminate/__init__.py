"""Benchmark decontamination: documents that share word n-grams with evaluation items are flagged, dropped or cut.

The pure core (no Spark): :mod:`.words` (normalization and words with their spans), :mod:`.ngrams` (n-gram
hashes), :mod:`.benchmarks` (reading the benchmark files), :mod:`.index` (``build_index``, the driver side) and
:mod:`.matching` (``decontaminate_texts``, the worker side per batch). The job: :mod:`.job`, :mod:`.stages`,
:mod:`.arrowfns`, :mod:`.report`, :mod:`.config`.
"""
