"""The one place tests start servers: a free loopback port, uvicorn in a thread, the app in a
process, and the wait until a server answers.

- free_port(): a port nothing listens on (the stand-ins, the apps, a URL that refuses connections).
- serve(app): any ASGI app (the real app, a stand-in) served by uvicorn in a thread; yields its base URL
  once uvicorn has started, or once /healthz answers 200 with healthy=True.
- wait_healthy(url, alive, timeout): poll a health route until it answers 200, failing early when the
  reviewer reports an error or the server (a thread or a process) has died.
- app_server(settings): the real app, configured by settings, through serve().
- ProcessServer: `uvicorn app.main:app` in a subprocess configured by DESIGN_REVIEW_* variables, which
  a restart, a kill or the log lines need.

Apps are imported lazily: the stand-ins (and bench/, which imports them) use this module without
loading the app.
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
from typing import Callable, Iterator

import httpx
import uvicorn

from helpers import REPO


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive_check(alive) -> Callable[[], bool]:
    """A liveness test from a thread, a process, a callable or nothing."""
    if alive is None:
        return lambda: True
    if isinstance(alive, threading.Thread):
        return alive.is_alive
    if isinstance(alive, subprocess.Popen):
        return lambda: alive.poll() is None
    return alive


def wait_healthy(url: str, alive=None, timeout: float = 120, *, path: str = "/healthz",
                 allow_error: bool = False) -> httpx.Response:
    """Poll url+path until it answers 200; that answer.

    alive: the server's thread or process (or a callable): fail at once when it has died.
    A body with "status": "error" (the reviewer could not start) fails at once, or, with
    allow_error, is returned: for the tests of a server that should report an error.
    """
    is_alive = _alive_check(alive)
    deadline = time.monotonic() + timeout
    last: httpx.Response | Exception | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{url}{path}", timeout=5)
            if last.status_code == 200:
                return last
            try:
                status = last.json().get("status")
            except (ValueError, AttributeError):
                status = None
            if status == "error":
                if allow_error:
                    return last
                raise AssertionError(f"the server at {url} failed to start: {last.json()}")
        except httpx.TransportError as exc:
            last = exc
        if not is_alive():
            raise AssertionError(f"the server at {url} died while starting (last answer: {last!r})")
        time.sleep(0.1)
    raise AssertionError(f"the server at {url} never became healthy within {timeout} s: {last!r}")


@contextlib.contextmanager
def serve(app, *, healthy: bool = False, timeout: float = 120, lifespan: str = "on",
          log_level: str = "warning") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free loopback port; yield its base URL.

    The URL is yielded once uvicorn has started (its lifespan start-up done), and with healthy=True
    once /healthz answers 200. The server is stopped on exit.
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level,
                                           lifespan=lifespan))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise AssertionError(f"uvicorn on port {port} stopped while starting")
            if time.monotonic() > deadline:
                raise AssertionError(f"uvicorn on port {port} did not start within {timeout} s")
            time.sleep(0.02)
        if healthy:
            wait_healthy(url, thread, timeout)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def app_server(settings, *, healthy: bool = True, timeout: float = 120) -> Iterator[str]:
    """The real app built from settings, served in a thread; yields its base URL."""
    from app.main import create_app

    with serve(create_app(settings), healthy=healthy, timeout=timeout) as url:
        yield url


class Subprocess:
    """A process a test started (`proc`), stopped politely, killed if it will not stop."""

    proc: subprocess.Popen | None = None
    stop_wait = 15  # seconds a terminated process has before it is killed

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.stop_wait)
            except subprocess.TimeoutExpired:
                self.kill()


class ProcessServer(Subprocess):
    """`uvicorn app.main:app` in a subprocess, its stderr (the JSON logs) in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, command: list[str] | None = None) -> None:
        """`command`: the server's command line before its port (default: uvicorn on app.main:app)."""
        self.env = env
        self.log_path = log_path
        self.command = command
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "ProcessServer":
        log = open(self.log_path, "ab")
        command = self.command or [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                                   "--no-access-log"]
        self.proc = subprocess.Popen([*command, "--port", str(self.port)],
                                     cwd=REPO, env=self.env, stdout=log, stderr=log)
        if wait:
            try:
                wait_healthy(self.url, self.proc)
            except BaseException:  # never leave a server running behind a failed start
                self.stop()
                raise
        return self

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def process_env(settings, **variables: str) -> dict[str, str]:
    """The environment for a subprocess server over the session store and corpus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGN_REVIEW_")}
    env.update(DESIGN_REVIEW_STORE_PATH=str(settings.store_path),
               DESIGN_REVIEW_CORPUS_DIR=str(settings.corpus_dir), PYTHONPATH=str(REPO))
    env.update({f"DESIGN_REVIEW_{k.upper()}": str(v) for k, v in variables.items()})
    return env
