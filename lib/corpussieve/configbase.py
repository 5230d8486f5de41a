"""The dependency-free base of every config section: ``StrictModel`` and the YAML and error helpers.

Job config modules (``corpussieve.<job>.config``) build on this module only, so a Spark worker that
unpickles a job's config imports pydantic and that one module, never the whole ``Config`` tree.
``corpussieve.config`` assembles the sections into ``Config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from corpussieve.errors import ConfigError


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, and assignments are validated too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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
