"""A real HTTP receiver of webhooks on a free local port (stdlib ``http.server`` in a
thread): it verifies each delivery with the Standard Webhooks library's verifier, fails a
share of requests with 500 and hangs some beyond the dispatcher's read timeout (both
drawn from a seeded random), and records every request it got."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    attempt: int
    verified: bool
    answered: int  # the status this receiver answered (200 after a hang too)
    hung: bool
    payload: Any
    at: float  # time.time() when the request was read


@dataclass
class Receiver:
    """``fail``: share of requests answered 500; ``hang``: share that sleep
    ``hang_seconds`` first. ``secrets``: path -> the subscription's secret."""

    fail: float = 0.0
    hang: float = 0.0
    hang_seconds: float = 1.0
    seed: int = 7
    secrets: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    # A status to answer every request with (None: the random behaviour), e.g. 503 to
    # make a subscription fail for good.
    always: int | None = None
    # Bytes of the answer to a failed request (0: a short JSON error).
    answer_bytes: int = 0
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def draw(self) -> tuple[bool, bool]:
        with self._lock:
            roll = self._rng.random()
        return roll < self.hang, self.hang <= roll < self.hang + self.fail

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def accepted(self, path: str | None = None) -> list[Received]:
        """Requests answered 2xx, in the order they arrived."""
        with self._lock:
            return [
                r
                for r in self.received
                if 200 <= r.answered < 300 and (path is None or r.path == path)
            ]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as receivers usually are
        # Headers and body go out as two writes: with Nagle's algorithm the body waits for
        # the client's delayed ACK (40 ms a request), which no real server does.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            return

        def do_POST(self) -> None:
            at = time.time()
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            secret = receiver.secrets.get(self.path)
            verified = False
            if secret is not None:
                try:
                    Webhook(secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
            hung, failed = receiver.draw()
            if receiver.always is not None:
                hung, failed = False, False
            if hung:
                time.sleep(receiver.hang_seconds)
            status = receiver.always or (500 if failed else 200)
            receiver.record(
                Received(
                    path=self.path,
                    webhook_id=headers.get("webhook-id", ""),
                    attempt=int(headers.get("webhook-attempt", "0")),
                    verified=verified,
                    answered=status,
                    hung=hung,
                    payload=json.loads(body) if body else None,
                    at=at,
                )
            )
            answer = b'{"ok": true}' if status < 300 else b'{"error": "receiver says no"}'
            if status >= 300 and receiver.answer_bytes:
                answer = b"receiver says no " + b"x" * receiver.answer_bytes
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the dispatcher gave up waiting (a hang): nobody is listening

    return Handler


@contextmanager
def receiving(receiver: Receiver, port: int = 0) -> Iterator[Receiver]:
    """Serve ``receiver`` on ``port`` (0: a free one) of 127.0.0.1 until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def positions(received: list[Received]) -> list[int]:
    """The positions of the events in the deliveries, in delivery order (batches opened)."""
    found: list[int] = []
    for r in received:
        data = r.payload["data"]
        events = data.get("events", [r.payload])
        found.extend(e["data"]["position"] for e in events)
    return found


@contextmanager
def dispatching(dispatcher: Any) -> Iterator[Any]:
    """Run a `mims.webhooks.WebhookDispatcher` on its own event loop in a thread until the
    block ends; the stop is graceful (the attempt in flight finishes and is recorded)."""
    import asyncio

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    errors: list[BaseException] = []

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(dispatcher.run(stop))
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        yield dispatcher
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
    if errors:
        raise errors[0]


def wait_until(condition: Any, timeout: float = 60.0, what: str = "the condition") -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            msg = f"{what} did not happen within {timeout} s"
            raise AssertionError(msg)
        time.sleep(0.05)
