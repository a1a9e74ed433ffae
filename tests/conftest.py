"""Shared fixtures. PostgreSQL and NATS tests talk to the real servers on this machine:
under CI=true they must run (a server that is down fails them); otherwise they skip,
saying so."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher

from ledger.identity import accounts
from tests.support.services import PG_BASE, require_service

# The suite sends thousands of requests a minute from 127.0.0.1, to servers in this process
# and in child processes (which inherit the environment): rate limits far above that, so
# the limiter still counts every request without refusing one. The tests of the limits set
# their own (tests/commands/test_rate_limits.py).
for _kind in ("COMMANDS", "GRAPHQL", "ADMIN", "LOGIN"):
    os.environ.setdefault(f"MIMS_RATE_LIMIT_{_kind}", "1000000/minute")

# The tests' people hash their passwords with argon2id at its lowest cost: every signed
# release checks a password, and the library's defaults take 0.1-0.4 s a check. Still
# argon2id (a hash names its own parameters, so checking follows them); servers in child
# processes keep the defaults.
accounts._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


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
