"""spark-submit entry point for `corpussieve format`: spark-submit [options] jobs/format.py --input ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["format", *sys.argv[1:]]))
