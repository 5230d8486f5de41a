"""spark-submit entry point for `corpussieve decontaminate`: spark-submit [options] jobs/decontaminate.py --input ... --benchmarks ... --output ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["decontaminate", *sys.argv[1:]]))
