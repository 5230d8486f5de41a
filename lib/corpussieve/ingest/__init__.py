"""``corpussieve ingest``: JSON Lines, Parquet and WARC files into a Delta table, bad records kept aside."""
