"""Shared fixtures. PostgreSQL and NATS tests talk to the real servers on this machine:
under CI=true they must run (a server that is down fails them); otherwise they skip,
saying so."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The suite sends thousands of requests a minute from 127.0.0.1, to servers in this process
# and in child processes (which inherit the environment): rate limits far above that, so
# the limiter still counts every request without refusing one. The tests of the limits set
# their own (tests/commands/test_rate_limits.py).
for _kind in ("COMMANDS", "GRAPHQL", "ADMIN"):
    os.environ.setdefault(f"MIMS_RATE_LIMIT_{_kind}", "1000000/minute")


def service_up(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    if service_up(port):
        return
    if IN_CI:
        pytest.fail(f"{name} is not reachable on 127.0.0.1:{port}, and CI=true needs it")
    pytest.skip(f"{name} is not reachable on 127.0.0.1:{port} (runs under CI=true)")


PG_BASE = os.environ.get("MIMS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a schema of its own, dropped after the test."""
    require_service("PostgreSQL", 5432)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield f"{PG_BASE}?schema={schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


STORES = [
    pytest.param("memory", id="popo"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One behavioural suite, three stores: in-memory, SQLite file, PostgreSQL schema."""
    kind = request.param
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    return str(request.getfixturevalue("pg_url"))
