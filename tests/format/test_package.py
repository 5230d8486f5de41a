"""The format package has the rooms of every job, a pure report, and light worker imports: its Arrow functions
load the repetition job's tokenizers (shared on purpose) and nothing of dedup, clean, ingest, the assembled
config or the table layer."""

from __future__ import annotations

from pathlib import Path

from tests.foundation.test_imports import loaded_by

PACKAGE = Path(__file__).resolve().parents[2] / "lib" / "corpussieve" / "format"


def test_the_package_has_the_rooms_of_every_job_and_a_pure_report():
    assert {"job.py", "stages.py", "arrowfns.py", "report.py", "config.py"} <= {p.name for p in PACKAGE.iterdir()}
    assert "pyspark" not in (PACKAGE / "report.py").read_text()
    for pure in ("megatron.py", "mixing.py"):
        assert "pyspark" not in (PACKAGE / pure).read_text()


def test_the_worker_functions_load_no_other_job_but_the_tokenizers():
    loaded = loaded_by("corpussieve.format.arrowfns")
    strangers = sorted(m for m in loaded if m.startswith(("corpussieve.dedup", "corpussieve.clean",
                                                          "corpussieve.ingest", "corpussieve.refresh")))
    assert not strangers, strangers
    assert "corpussieve.config" not in loaded and not any(m.startswith("corpussieve.tables") for m in loaded)
    assert "corpussieve.repetition.tokenizers" in loaded


def test_the_config_section_loads_only_the_config_base():
    loaded = loaded_by("corpussieve.format.config")
    assert loaded <= {"corpussieve", "corpussieve.format", "corpussieve.format.config", "corpussieve.configbase",
                      "corpussieve.errors"}, sorted(loaded)
