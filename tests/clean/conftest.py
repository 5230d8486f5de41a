"""Fixtures for the clean job's pure core: the shared aeb-dev pages, when present next to the repo."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
AEB_DEV = REPO_ROOT / ".." / "shared" / "data" / "aeb-dev"


@pytest.fixture(scope="session")
def aeb_dev() -> dict[str, dict[str, str]]:
    """{key: {"html", "truth", "url"}} for the 92 aeb-dev pages; skips when ../shared is missing."""
    truth_file = AEB_DEV / "ground-truth.json"
    if not truth_file.is_file():
        pytest.skip(f"aeb-dev benchmark data not found at {AEB_DEV.resolve()} (../shared is developer-only)")
    truths = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = {}
    for key in sorted(truths):
        with gzip.open(AEB_DEV / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as fh:
            pages[key] = {"html": fh.read(), "truth": truths[key]["articleBody"], "url": truths[key]["url"]}
    return pages
