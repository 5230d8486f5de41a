"""spark-submit entry point for `corpussieve dedup`: spark-submit [options] jobs/dedup.py --input ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["dedup", *sys.argv[1:]]))
