"""The converting process: `python -m app.document.child FORMAT LIMITS_JSON` < file > JSON.

It limits its own address space and CPU time before it reads a byte, converts the file from
standard input, and answers one JSON object: the text and its locations, or the error (with 413
or 422) that says what to fix.
"""

from __future__ import annotations

import json
import resource
import sys

from app.document.convert import Limits, convert_here
from app.errors import UserError


def limit_self(limits: Limits) -> None:
    """Past these the kernel stops this process, whatever the parser does."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory_bytes, limits.max_memory_bytes))
    seconds = int(limits.max_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def main(argv: list[str]) -> int:
    fmt, limits = argv[0], Limits(**json.loads(argv[1]))
    limit_self(limits)
    data = sys.stdin.buffer.read(limits.max_file_bytes + 1)
    try:
        converted = convert_here(data, fmt, limits)
        answer = {"text": converted.text, "locations": converted.locations, "title": converted.title,
                  "sha256": converted.sha256}
    except UserError as exc:
        answer = {"error": str(exc), "status": exc.status_code}
    except MemoryError:
        answer = {"error": f"the file needs more than the {limits.max_memory_bytes // 1_000_000:,} MB a "
                           "conversion may use: send a smaller or simpler file", "status": 413}
    except RecursionError:
        answer = {"error": "the file nests too deep to read: save it again from its editor", "status": 422}
    answer["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
