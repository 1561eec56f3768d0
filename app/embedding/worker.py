"""The embedding model in a process of its own, for the server.

In the server, the model's ~125 runs per unseen design shared the interpreter lock with the event
loop and with the reviews being scored. Each run needs the lock to start and to return, and a
thread that asks for it waits up to the switch interval (5 ms) while another thread runs Python:
with one busy Python thread beside it, an unseen 2,000-word design took 1.0-1.1 s instead of 0.4.
In a process of its own, the model's threads wait for nothing but the cores.

`WorkerBackend` is a `Backend` (see app/embedder.py) that sends texts to `python -m
app.embedding.worker` over its stdin and reads vectors from its stdout. The child runs the same
`OnnxBackend`, one text per run, so a vector is the same bit for bit in either process. A child
that dies is started again at the next call; the child exits when its stdin closes, so it never
outlives the server.

Frames, both ways: 4-byte big-endian length, then the payload. A request is the texts as a JSON
list. A reply starts with one byte: b"v" and float32 vectors (row-major), or b"e" and an error
message (UTF-8).
"""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

from app.errors import DependencyError
from app.embedding.onnx import OnnxBackend

log = logging.getLogger("design_review")
_LENGTH = struct.Struct(">I")


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload, or None at end of stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return payload


class WorkerBackend:
    """Embeds through a child process that runs the int8 ONNX model (see the module docstring)."""

    name = OnnxBackend.name  # the same vectors: the same name in stored-review keys

    def __init__(self, model_file: Path, tokenizer_file: Path, max_length: int, threads: int,
                 dimensions: int) -> None:
        self._args = [str(Path(model_file).resolve()), str(Path(tokenizer_file).resolve()),
                      str(max_length), str(threads)]
        self.dimensions = dimensions
        self._lock = threading.Lock()  # one request at a time: the child's sessions serve it whole
        self._proc: subprocess.Popen | None = None
        with self._lock:
            self._start()
        # Answer once before the first caller does: a child that cannot load the model fails
        # here, where `load_backend` can still fall back (EMBEDDING_BACKEND=auto) or report it.
        self.encode(["ready"])

    def _start(self) -> None:
        # The child imports this package from where the parent did, whatever its working folder.
        root = str(Path(__file__).resolve().parent.parent.parent)
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=root + (os.pathsep + path if path else ""))
        self._proc = subprocess.Popen([sys.executable, "-m", "app.embedding.worker", *self._args],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        request = json.dumps(texts).encode("utf-8")
        with self._lock:
            for attempt in (1, 2):  # a child that died is started again, once per call
                if self._proc is None or self._proc.poll() is not None:
                    if self._proc is not None:
                        log.warning("embedding process exited (%s); starting it again",
                                    self._proc.returncode)
                    self._start()
                try:
                    write_frame(self._proc.stdin, request)
                    reply = read_frame(self._proc.stdout)
                except (BrokenPipeError, OSError, ValueError):
                    reply = None
                if reply is not None:
                    break
                status = self._stop()
                if attempt == 2:
                    raise DependencyError(f"the embedding process ended twice without answering (exit "
                                          f"status {status}); its error is on the server's stderr")
        if reply[:1] == b"e":
            raise DependencyError(f"the embedding process failed: {reply[1:].decode('utf-8', 'replace')}")
        return np.frombuffer(reply[1:], dtype=np.float32).reshape(len(texts), self.dimensions).copy()

    def _stop(self) -> int | None:
        """Close the child's pipes and wait for it; its exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def close(self) -> None:
        with self._lock:
            self._stop()


def serve(model_file: str, tokenizer_file: str, max_length: str, threads: str) -> int:
    """The child: read texts from stdin, write vectors to stdout, until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the reply stream
    backend = OnnxBackend(Path(model_file), Path(tokenizer_file), int(max_length), int(threads))
    while (request := read_frame(stdin)) is not None:
        try:
            texts = json.loads(request.decode("utf-8"))
            reply = b"v" + np.ascontiguousarray(backend.encode(texts), dtype=np.float32).tobytes()
        except Exception as exc:  # answered, not fatal: the next request may be fine
            reply = b"e" + f"{type(exc).__name__}: {exc}".encode("utf-8")
        write_frame(stdout, reply)
    return 0


if __name__ == "__main__":
    sys.exit(serve(*sys.argv[1:5]))
