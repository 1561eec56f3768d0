"""Servers for the operations tests: the real app on a free loopback port, in a thread or a process.

A thread is quick to start and shares the process-wide embedder; a subprocess (`uvicorn app.api.app:app`
configured by DESIGN_REVIEW_* variables) is what a restart, a kill or the log lines need.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from app.main import create_app
from helpers import ONNX_DIR, REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, alive=lambda: True, timeout: float = 120) -> httpx.Response:
    """The first 200 from /healthz; fails when the reviewer reports an error or the server dies."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{url}/healthz", timeout=5)
            if last.status_code == 200:
                return last
            if last.json().get("status") == "error":
                raise AssertionError(f"the reviewer failed to start: {last.json()}")
        except httpx.TransportError as exc:
            last = exc
        if not alive():
            raise AssertionError("the server died while starting")
        time.sleep(0.1)
    raise AssertionError(f"the server never became healthy: {last!r}")


@contextlib.contextmanager
def thread_server(settings, wait: bool = True):
    """The app served by uvicorn in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        if wait:
            wait_healthy(url, thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


class ProcessServer:
    """`uvicorn app.api.app:app` in a subprocess, its stderr (the JSON logs) in a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "ProcessServer":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"],
            cwd=REPO, env=self.env, stdout=log, stderr=log)
        if wait:
            wait_healthy(self.url, lambda: self.proc.poll() is None)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def process_env(settings, **variables: str) -> dict[str, str]:
    """The environment for a subprocess server over the session store and corpus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGN_REVIEW_")}
    env.update(DESIGN_REVIEW_STORE_PATH=str(settings.store_path),
               DESIGN_REVIEW_CORPUS_DIR=str(settings.corpus_dir),
               DESIGN_REVIEW_ONNX_CACHE_DIR=str(ONNX_DIR), PYTHONPATH=str(REPO))
    env.update({f"DESIGN_REVIEW_{k.upper()}": str(v) for k, v in variables.items()})
    return env
