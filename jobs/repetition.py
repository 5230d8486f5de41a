"""spark-submit entry point for `corpussieve repetition`: spark-submit [options] jobs/repetition.py --input ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["repetition", *sys.argv[1:]]))
