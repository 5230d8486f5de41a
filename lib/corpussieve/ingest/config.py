"""Configuration of the ingest job: input formats, source field names, append or overwrite."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpussieve.configbase import StrictModel


class FieldNames(StrictModel):
    """Source field names that map onto corpussieve's standard columns."""

    id: str = Field("id", description="Record id. Missing: derived from the record's content.")
    url: str = Field("url", description="Page URL.")
    text: str = Field("text", description="Plain text body.")
    html: str = Field("html", description="Raw HTML body.")
    source: str = Field("source", description="Source or crawl label. Missing: the input file's name.")
    fetch_time: str = Field("fetch_time", description="Fetch timestamp (ISO 8601 or epoch seconds).")


class IngestConfig(StrictModel):
    """``corpussieve ingest``: raw JSON Lines, Parquet or WARC files into a Delta table."""

    format: Literal["auto", "jsonl", "parquet", "warc"] = Field(
        "auto", description="Input format. 'auto' decides from each file's extension."
    )
    fields: FieldNames = Field(default_factory=FieldNames, description="Source field names.")
    mode: Literal["append", "overwrite"] = Field(
        "append", description="Append is idempotent per input set: rerunning the same files commits nothing."
    )
    source: str | None = Field(None, description="Value for the source column when records carry none.")
    max_record_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Records larger than this are rejected with reason 'ingest:too_large'."
    )
    warc_content_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"],
        description="WARC response records with these content types are ingested; others are rejected.",
    )
    files_per_task: int = Field(1, ge=1, description="Input files read by one Spark task.")
