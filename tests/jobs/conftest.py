"""The replicated topology (tests/topology.py): one per session, shared with tests/replicas."""

from __future__ import annotations

import pytest

from topology import postgres_bin, redis_binary, session_topology


@pytest.fixture(scope="session")
def topology(settings, ingested, tmp_path_factory):
    """Redis, PostgreSQL, a Chroma server, two API replicas and two workers on loopback."""
    if redis_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server, or .ci/redis.sh)")
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (.ci/postgres.sh installs and starts one)")
    return session_topology(settings, tmp_path_factory.getbasetemp() / "topology")
