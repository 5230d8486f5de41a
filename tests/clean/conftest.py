"""Fixtures for the clean tests: the shared aeb-dev pages, when ../shared is next to the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpussieve.clean.scoring import load_aeb_dev

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def aeb_dev() -> dict[str, dict[str, str]]:
    """{key: {"html", "truth", "url"}} for the 92 aeb-dev pages; skips when ../shared is missing."""
    folder = SHARED / "data" / "aeb-dev"
    pages = load_aeb_dev(folder) if folder.is_dir() else None
    if pages is None:
        pytest.skip(f"aeb-dev ground truth not found in {folder} (only developers and CI have ../shared)")
    return pages
