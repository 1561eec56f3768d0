"""Embed corpus/ into the Chroma store: `python ingest.py` (same as `design-review ingest`)."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
