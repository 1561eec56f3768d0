"""Request ids and one JSON log line per request."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("design_review.access")


def request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is a safe token (1-128 of A-Z a-z 0-9 . _ : -), else a new one."""
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(fmt: str, level: str = "INFO") -> None:
    """Send the project's logs to stderr, as JSON lines or plain text; once per process."""
    root = logging.getLogger("design_review")
    if any(getattr(h, "_design_review", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._design_review = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s %(fields)s",
                                           defaults={"fields": ""}))
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def log_request(method: str, path: str, status: int, started: float, rid: str,
                key: str | None, client: str | None) -> None:
    """The one access-log line of a request: no body, no query string, no key."""
    access_log.info("request", extra={"fields": {
        "method": method, "path": path, "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "request_id": rid, "key_id": key, "client": client}})
