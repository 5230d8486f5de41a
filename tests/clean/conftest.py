"""Fixtures for the clean tests: the shared aeb-dev pages, when ../shared is next to the repo."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import shared_dir


@pytest.fixture(scope="session")
def aeb_dev() -> dict[str, dict[str, str]]:
    """{key: {"html", "truth", "url"}} for the 92 aeb-dev pages; skips when ../shared is missing."""
    folder = shared_dir("data", "aeb-dev")
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        pytest.skip(f"aeb-dev ground truth not found at {truth_file}")
    truths = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = {}
    for key in sorted(truths):
        with gzip.open(folder / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as fh:
            pages[key] = {"html": fh.read(), "truth": truths[key]["articleBody"], "url": truths[key]["url"]}
    return pages
