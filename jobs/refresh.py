"""spark-submit entry point for `corpussieve refresh`: spark-submit [options] jobs/refresh.py --lake DIR --input ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["refresh", *sys.argv[1:]]))
