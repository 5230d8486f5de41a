"""spark-submit entry point for `corpussieve maintain`: spark-submit [options] jobs/maintain.py TABLE [--compact] [--vacuum] ..."""

import sys

from corpussieve.cli import main

if __name__ == "__main__":
    sys.exit(main(["maintain", *sys.argv[1:]]))
