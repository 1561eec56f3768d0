"""The replicated topology as processes on loopback: Redis (Debian's redis-server), a private
PostgreSQL cluster, a Chroma server, API replicas and review workers. Used by tests/replicas,
tests/jobs and bench/replicas.py; each server can be stopped and started again on its port.
"""

from __future__ import annotations

import contextlib

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from helpers import REPO
from servers import ProcessServer, Subprocess, free_port, process_env


def redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None)


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _wait(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not start within {timeout} s")


class RedisServer(Subprocess):
    """redis-server on a loopback port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="design-review-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        import redis
        self.proc = subprocess.Popen([redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: redis.Redis.from_url(self.url).ping(), "redis-server")
        return self


class PostgresServer:
    """A throwaway PostgreSQL cluster (Debian's binaries) that a test may stop and start."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="design-review-pg-")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def start(self) -> "PostgresServer":
        if not (Path(self.dir) / "PG_VERSION").exists():
            if os.getuid() == 0:
                shutil.chown(self.dir, "postgres", "postgres")
            subprocess.run([*self._as, str(self.bin / "initdb"), "-D", self.dir, "-A", "trust", "-U", "postgres"],
                           check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", self.dir, "-l", f"{self.dir}/server.log", "-w",
                        "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", self.dir, "-m", "fast", "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class ChromaServer(Subprocess):
    """`chroma run` on a loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="design-review-chroma-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        chroma = Path(sys.executable).with_name("chroma")
        self.proc = subprocess.Popen([str(chroma), "run", "--path", self.dir, "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _wait(lambda: httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2).is_success,
              "chroma run")
        return self


class WorkerProcess(Subprocess):
    """`design-review worker` in a subprocess, its log in a file."""

    stop_wait = 20

    def __init__(self, env: dict[str, str], log_path: Path, name: str) -> None:
        self.env, self.log_path, self.name = env, log_path, name
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--name", self.name],
                                     cwd=REPO, env=self.env, stdout=log, stderr=log)
        _wait(lambda: "review worker ready" in self.log_path.read_text(errors="replace"),
              f"worker {self.name}", timeout=120)
        return self



def ingest_into(settings, chroma: ChromaServer) -> None:
    """The corpus into the Chroma server (once per server)."""
    from app.review.build import ingest
    ingest(settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma.port}), progress=False)


def topology_env(settings, redis: RedisServer, database_url: str, chroma: ChromaServer,
                 **variables: object) -> dict[str, str]:
    """The environment of an API replica or worker of the topology."""
    base = dict(REDIS_URL=redis.url, DATABASE_URL=database_url, CHROMA_HOST="127.0.0.1",
                CHROMA_PORT=chroma.port, LOG_FORMAT="json", JOB_LEASE_S=3)
    base.update(variables)
    return process_env(settings, **{k: str(v) for k, v in base.items()})


def start_replicas(env: dict[str, str], log_dir: Path, count: int = 2, tag: str = "api") -> list[ProcessServer]:
    """`count` API replicas, started together (they load their models at once), healthy."""
    from servers import wait_healthy
    servers = [ProcessServer(env, log_dir / f"{tag}{n}.log").start(wait=False) for n in range(count)]
    for server in servers:
        wait_healthy(server.url, server.proc, timeout=180)
    return servers


SLACK_TOKEN, SLACK_SECRET, CALLBACK_SECRET = "xoxb-replica-token", "replica-signing-secret", "replica-callback-secret"


class Topology:
    """Redis, PostgreSQL, Chroma, a Slack stand-in, two API replicas and two workers."""

    def __init__(self, settings, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.settings, self.log_dir = settings, log_dir
        self.redis, self.postgres, self.chroma = RedisServer(), PostgresServer(), ChromaServer()
        self.apis: list[ProcessServer] = []
        self.workers: list[WorkerProcess] = []
        self._stops: list = []

    def start(self, standin_url: str | None = None, workers: int = 2, **variables: object) -> "Topology":
        self.redis.start(), self.postgres.start(), self.chroma.start()
        ingest_into(self.settings, self.chroma)
        slack = dict(SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_SIGNING_SECRET=SLACK_SECRET,
                     SLACK_API_URL=f"{standin_url}/api/") if standin_url else {}
        self.env = topology_env(self.settings, self.redis, self.postgres.url, self.chroma,
                                RATE_LIMIT_PER_MINUTE=0, CALLBACK_SECRET=CALLBACK_SECRET,
                                CALLBACK_ALLOWED_HOSTS="127.0.0.1", **slack, **variables)
        self.workers = [WorkerProcess(self.env, self.log_dir / f"worker{n}.log", f"w{n}-{os.getpid()}")
                        for n in range(workers)]
        for worker in self.workers:
            worker.start()
        self.apis = start_replicas(self.env, self.log_dir)
        return self

    def stop(self) -> None:
        for process in (*self.apis, *self.workers):
            process.stop()
        self.chroma.stop(), self.redis.stop(), self.postgres.stop()


@contextlib.contextmanager
def running_topology(settings, log_dir: Path):
    """The topology with a Slack stand-in (topology.standin), stopped when the block ends."""
    from servers import serve
    from slack_standin import SlackStandIn

    standin = SlackStandIn(SLACK_TOKEN)
    with serve(standin.app) as standin.url:
        running = Topology(settings, log_dir)
        running.standin = standin
        try:
            yield running.start(standin.url)
        finally:
            running.stop()
