"""spark-submit entry point for `corpussieve inspect`: spark-submit [options] jobs/inspect.py --input ... --output ...

Python puts a script's folder first on sys.path, and this file's name would then shadow the standard library's
``inspect`` (which pyspark, dataclasses and pydantic import): drop the folder before importing anything else.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

from corpussieve.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["inspect", *sys.argv[1:]]))
