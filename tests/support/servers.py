"""A real uvicorn server in a thread, on a free port, for tests that talk HTTP."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            msg = "the test server did not start"
            raise RuntimeError(msg)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# The administrator key of each event store the tests serve (`ServerProcess.headers`).
_KEYS: dict[str, dict[str, str]] = {}
_KEYS_LOCK = threading.Lock()


class ServerProcess:
    """`mims serve` in a child process of its own (a real OS process, as in production)."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "MIMS_DATABASE_URL": database_url,
            "MIMS_LOG_LEVEL": "warning",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.database_url = database_url

    @property
    def headers(self) -> dict[str, str]:
        """An administrator's credentials for this server: an API key issued into its
        event store once, on first use, and shared by every server of that store. The
        test's client is one caller whichever process answers it (a command id resent
        through another server is the same sender's, not someone else's)."""
        with _KEYS_LOCK:  # client threads may ask at once: one key, one ledger
            if self.database_url not in _KEYS:
                from tests.support.identity import admin_key_for, bearer

                _KEYS[self.database_url] = bearer(admin_key_for(self.database_url))
            return _KEYS[self.database_url]

    @property
    def system_headers(self) -> dict[str, str]:
        """Credentials of the plant's own tools (``SYSTEM("test")``: reads, rebuilds, audit,
        expiry, planning), signed with the server's secret key as the `mims` CLI does:
        unlike `headers`, they add no event to the store."""
        from commands.authentication import system_token

        secret = self.env.get("MIMS_SECRET_KEY")
        if secret is None:
            path = Path(self.env.get("MIMS_SECRET_KEY_FILE", "var/secret_key"))
            found = path.read_bytes().strip()  # written by the server when it started
        else:
            found = secret.encode()
        return {"Authorization": f"Bearer {system_token(found, 'test')}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client of this server, logged in as an administrator."""
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)

    def start(self, timeout: float = 60) -> Self:
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full one
        # would block its logging.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server object
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mims", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers too are stopped with it (a process group)
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.log()
                msg = f"mims serve exited with {self.process.returncode}: {err[-2000:]}"
                raise RuntimeError(msg)
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()  # never leave a server (and its database connections) behind
        msg = f"mims serve did not answer /health: {self.log()[-2000:]}"
        raise RuntimeError(msg)

    def log(self) -> str:
        """What the server wrote so far (its structured log)."""
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies between any two instructions, no cleanup runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._kill_group()

    def _kill_group(self) -> None:
        """Worker processes left behind by a supervisor that was killed."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` is one of this server's processes (in its process group)."""
        try:
            return self.process is not None and os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        self._kill_group()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
