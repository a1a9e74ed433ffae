"""Which real services this machine runs, and what a test does when one is down: under
CI=true it must run (a server that is down fails it); otherwise it skips, saying so."""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
