"""The spark-submit entries in jobs/: one per job, found by scripts/submit.sh, none shadowing the standard library."""

import subprocess
import sys
from pathlib import Path

from corpussieve.cli import JOBS

REPO = Path(__file__).resolve().parents[2]
ENTRIES = REPO / "jobs"


def test_no_entry_shadows_a_standard_library_module():
    # Python puts a script's folder first on sys.path: jobs/inspect.py would replace the standard library's
    # inspect in the driver of every job submitted from jobs/ (the standalone-cluster test caught it).
    names = {path.stem for path in ENTRIES.glob("*.py")}
    assert not names & set(sys.stdlib_module_names), names & set(sys.stdlib_module_names)


def test_every_job_has_the_entry_submit_sh_looks_for():
    for job in JOBS:
        entry = ENTRIES / f"{job}.py"
        if not entry.exists():
            entry = ENTRIES / f"{job}_job.py"
        assert entry.exists(), job
        assert f'main(["{job}", *sys.argv[1:]])' in entry.read_text(), entry


def test_submit_sh_names_the_jobs_when_one_is_unknown():
    done = subprocess.run(["bash", str(REPO / "scripts" / "submit.sh"), "--", "nosuchjob"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown job 'nosuchjob'" in done.stderr and " inspect " in done.stderr and " dedup " in done.stderr
