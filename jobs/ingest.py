"""spark-submit entry point for `corpussieve ingest`: spark-submit [options] jobs/ingest.py --input ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
