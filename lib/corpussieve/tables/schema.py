"""Schema helpers shared by both backends: Spark <-> Delta conversion and the append check."""

from __future__ import annotations

import json
from typing import Any

from corpussieve.errors import SchemaMismatchError

# Partition values are stored as strings in the Delta log; these types round-trip losslessly.
PARTITION_TYPES = {"string", "byte", "short", "integer", "long", "boolean", "date", "timestamp", "timestamp_ntz"}


def _nullable(type_json: Any) -> Any:
    """Mark every nested field nullable: file formats cannot enforce NOT NULL, and Spark forgets it anyway."""
    if isinstance(type_json, dict):
        out = {}
        for key, value in type_json.items():
            if key in ("nullable", "containsNull", "valueContainsNull"):
                out[key] = True
            elif key == "metadata":
                out[key] = {}
            else:
                out[key] = _nullable(value)
        return out
    if isinstance(type_json, list):
        return [_nullable(v) for v in type_json]
    return type_json


def spark_to_delta_json(spark_schema) -> str:
    """Delta's schemaString is Spark's StructType JSON; we store every field nullable."""
    return json.dumps(_nullable(json.loads(spark_schema.json())))


def delta_json_to_spark(schema_json: str):
    from pyspark.sql.types import StructType

    return StructType.fromJson(json.loads(schema_json))


def _type_key(data_type) -> str:
    return json.dumps(_nullable(data_type.jsonValue()), sort_keys=True)


def describe_type(data_type) -> str:
    return data_type.simpleString()


def check_append_schema(table: str, table_schema, data_schema) -> None:
    """Refuse an append whose columns or types differ from the table's; name every difference."""
    table_fields = {f.name: f.dataType for f in table_schema.fields}
    data_fields = {f.name: f.dataType for f in data_schema.fields}
    missing = [name for name in table_fields if name not in data_fields]
    extra = [name for name in data_fields if name not in table_fields]
    changed = [
        f"{name} (table {describe_type(table_fields[name])}, data {describe_type(data_fields[name])})"
        for name in table_fields
        if name in data_fields and _type_key(table_fields[name]) != _type_key(data_fields[name])
    ]
    problems = []
    if missing:
        problems.append("missing from the data: " + ", ".join(missing))
    if extra:
        problems.append("not in the table: " + ", ".join(extra))
    if changed:
        problems.append("type differs: " + "; ".join(changed))
    if problems:
        raise SchemaMismatchError(
            f"append to table {table} refused, the schemas differ: " + " | ".join(problems)
            + ". Write with mode 'overwrite' to replace the table, or align the columns."
        )


def check_partition_columns(table: str, schema, partition_by: list[str]) -> None:
    names = {f.name: f.dataType for f in schema.fields}
    for col in partition_by:
        if col not in names:
            raise SchemaMismatchError(f"table {table}: partition column {col!r} is not a column of the data")
        type_name = names[col].typeName()
        if type_name not in PARTITION_TYPES:
            raise SchemaMismatchError(
                f"table {table}: partition column {col!r} has type {names[col].simpleString()}; "
                f"partition by one of: {', '.join(sorted(PARTITION_TYPES))}"
            )
    if partition_by and len(partition_by) == len(schema.fields):
        raise SchemaMismatchError(f"table {table}: every column is a partition column; keep at least one data column")
