"""spark-submit entry point for `corpussieve inspect`: spark-submit [options] jobs/inspect_job.py --input ... --output ...

Not ``jobs/inspect.py``: Python puts a script's folder first on ``sys.path``, so a file of that name would shadow
the standard library's ``inspect`` (which pyspark, dataclasses and pydantic import) in the driver of *every*
job submitted from this folder. A job named like a standard-library module has its entry as ``<job>_job.py``
(``scripts/submit.sh`` finds it; ``tests/foundation/test_entries.py`` checks no entry shadows one).
"""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["inspect", *sys.argv[1:]]))
