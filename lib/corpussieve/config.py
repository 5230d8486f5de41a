"""Typed, validated configuration.

Precedence, lowest first: model defaults, each ``--conf`` YAML file in order, each ``--set key=value``,
then a job's own flags (``--threshold`` and friends). Everything is validated together, and an unknown
key, a wrong type or an impossible value becomes one ``ConfigError`` line naming the key.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corpussieve.errors import ConfigError


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, and assignments are validated too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SparkConfig(StrictModel):
    """How the SparkSession is built. Under spark-submit, whatever the submitter set wins."""

    master: str | None = Field(
        None, description="Spark master URL. Unset: local mode on every core, or the spark-submit master."
    )
    app_name: str = Field("corpussieve", description="Application name shown in the Spark UI and logs.")
    driver_memory: str | None = Field(
        None,
        description="Driver JVM heap in local mode, e.g. '8g'. Unset: 40% of physical memory, capped at 16g.",
    )
    shuffle_partitions: int | None = Field(
        None, ge=1, description="spark.sql.shuffle.partitions. Unset: 8 per core in local mode (AQE coalesces)."
    )
    arrow_batch_rows: int = Field(
        4096, ge=16, description="Rows per Arrow batch sent to Python workers; bounds worker memory on long texts."
    )
    ui: bool = Field(True, description="Start the Spark web UI (local mode).")
    local_dir: str | None = Field(None, description="spark.local.dir for shuffle spill. Unset: Spark's default.")
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = Field("WARN", description="JVM log level.")
    jit: Literal["auto", "full", "quick"] = Field(
        "auto",
        description="Driver JVM compilers in local mode. 'quick' stops at C1 (-XX:TieredStopAtLevel=1): about half "
        "the JVM CPU on a 2-core machine when the work is in Python; 'full' is the JVM default. 'auto': quick for "
        "clean and repetition, full for the others.",
    )
    delta_jars: str = Field(
        "auto",
        description="delta-spark jars for a local session: 'auto' ($CORPUSSIEVE_DELTA_JARS, else the ones make setup "
        "fetched into .jars/, if any), 'none', a folder, or comma-separated jar paths. With jars, the Delta SQL "
        "extension and catalog are set too and tables.backend 'auto' picks delta-spark. Ignored under spark-submit.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark properties, applied last (local mode) or if unset (submit)."
    )

    @field_validator("driver_memory")
    @classmethod
    def _memory_size(cls, value: str | None) -> str | None:
        if value is None:
            return value
        text = value.strip().lower()
        if not text or not text[:-1].isdigit() or text[-1] not in "kmgt":
            raise ValueError("must look like '512m' or '8g'")
        return text


class TablesConfig(StrictModel):
    """The Delta table layer."""

    backend: Literal["auto", "delta-spark", "delta-rs"] = Field(
        "auto",
        description="'auto' uses delta-spark when its classes are on the JVM classpath, else delta-rs.",
    )
    max_rows_per_file: int = Field(
        500_000, ge=1_000, description="delta-rs backend: a Parquet data file is rolled over after this many rows."
    )
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet compression codec of the data files both backends write."
    )
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="delta-rs storage options for object stores (credentials, endpoints)."
    )
    commit_retries: int = Field(
        15, ge=0, le=1000, description="delta-rs backend: retries of a commit that lost a race to another writer."
    )


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
        64 * 1024 * 1024, ge=1024, description="Records larger than this are rejected with reason 'too_large'."
    )
    warc_content_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"],
        description="WARC response records with these content types are ingested; others are rejected.",
    )
    files_per_task: int = Field(1, ge=1, description="Input files read by one Spark task.")


# Job sections build on StrictModel, so they are imported once it exists.
from corpussieve.clean.config import CleanConfig  # noqa: E402
from corpussieve.dedup.config import DedupConfig  # noqa: E402
from corpussieve.repetition.config import RepetitionConfig  # noqa: E402


class Config(StrictModel):
    """The whole configuration; each job reads its own section."""

    spark: SparkConfig = Field(default_factory=SparkConfig)
    tables: TablesConfig = Field(default_factory=TablesConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    clean: CleanConfig = Field(default_factory=CleanConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    repetition: RepetitionConfig = Field(default_factory=RepetitionConfig)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    if not all(keys):
        raise ConfigError(f"config error: {dotted!r} is not a valid key")
    node = tree
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = value


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_set(item: str) -> tuple[str, Any]:
    """Parse one ``--set key.path=value``; the value is read as a YAML scalar (so 0.8 is a float)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"config error: --set {item!r} must look like key.path=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"config error: --set {item!r}: value is not valid YAML ({exc.problem})") from None
    return key.strip(), value


def read_yaml_mapping(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Read a YAML file that must hold a mapping (an empty file is an empty mapping)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config error: {what} {str(file)!r} does not exist")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config error: {what} {str(file)!r} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config error: {what} {str(file)!r} must hold a mapping at the top level")
    return data


def format_validation_error(exc: ValidationError, prefix: str = "config") -> str:
    """One line for the first problem, naming the dotted key and the offending value."""
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    else:
        message = first["msg"]
        if "input" in first and not isinstance(first["input"], dict):
            message += f" (got {first['input']!r})"
    more = len(exc.errors()) - 1
    suffix = f" [and {more} more problem{'s' if more > 1 else ''}]" if more > 0 else ""
    return f"{prefix} error: {key}: {message}{suffix}"


def build_config(
    conf_files: list[str] | None = None,
    sets: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Merge every layer and validate the result."""
    tree: dict[str, Any] = {}
    for path in conf_files or []:
        tree = _deep_merge(tree, read_yaml_mapping(path))
    for item in sets or []:
        key, value = parse_set(item)
        _set_dotted(tree, key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(tree, key, value)
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def default_config_yaml() -> str:
    """The defaults as commented YAML; conf/defaults.yaml is this text (a test keeps them in step)."""
    lines = [
        "# corpussieve defaults. Generated by `corpussieve show-config --defaults`; a test keeps it in step",
        "# with the code. Copy the keys you want to change into your own profile and pass it with --conf.",
    ]

    def emit(model: BaseModel, indent: int) -> None:
        pad = "  " * indent
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            if field.description:
                lines.append(f"{pad}# {field.description}")
            if isinstance(value, BaseModel):
                lines.append(f"{pad}{name}:")
                emit(value, indent + 1)
            else:
                dumped = yaml.safe_dump({name: value}, default_flow_style=True, sort_keys=False).strip()
                if dumped.startswith("{") and dumped.endswith("}"):
                    dumped = dumped[1:-1]
                lines.append(f"{pad}{dumped}")

    emit(Config(), 0)
    return "\n".join(lines) + "\n"
