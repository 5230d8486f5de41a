"""The ``refresh`` section: the lake's table names and what a refresh does beyond ingest, dedup and clean.

The steps themselves read their own sections (``ingest.*``, ``dedup.*``, ``clean.*``, ``repetition.*``), so
a lake is refreshed with exactly the settings the one-shot jobs use.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from corpussieve.configbase import StrictModel

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class LakeTableNames(StrictModel):
    """Each lake table's folder under the lake's root."""

    raw: str = Field("raw", description="what ingest appends (ingest's rejected records go to <raw>_rejected)")
    index: str = Field("index", description="dedup's index of every document kept so far")
    documents: str = Field("documents", description="the curated, cleaned documents")
    rejected: str = Field("rejected", description="every document clean dropped, with its reasons and signals")
    removed: str = Field("removed", description="every document dedup dropped: duplicate_of, match, similarity")
    site_lines: str = Field("site_lines", description="clean's per-site line counts, one row set per refresh")
    paragraphs: str = Field("paragraphs", description="clean's paragraph hashes (paragraph dedup), one row set per "
                                                      "refresh: hash, docs, the document that keeps it")
    refresh_log: str = Field("refresh_log", description="one row per step per refresh")

    @field_validator("*")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a plain folder name (letters, digits, _ . -)")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> LakeTableNames:
        names = list(self.model_dump().values())
        names.append(f"{self.raw}_rejected")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"two lake tables share the folder {repeated[0]!r}")
        return self


class RefreshConfig(StrictModel):
    tables: LakeTableNames = Field(default_factory=LakeTableNames)
    repetition: bool = Field(False, description="after each refresh, the repetition report of the whole documents "
                                                "table, with the trend across refreshes (also --repetition)")
    stale_lock_after_hours: float = Field(
        24.0, gt=0, description="a lock left by a process this machine cannot see (another host) is taken over "
                                "after this long; a dead process's lock on this host is taken over at once")


__all__ = ["LakeTableNames", "RefreshConfig"]
