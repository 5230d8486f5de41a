"""spark-submit entry point for `corpussieve clean`: spark-submit [options] jobs/clean.py --input ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["clean", *sys.argv[1:]]))
