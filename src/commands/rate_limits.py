"""Per-principal rate limits in front of the command API, GraphQL and the admin routes
(OWASP API4:2023, unrestricted resource consumption).

One ASGI middleware counts each request against the limit of its kind (``/v1``
commands, ``/graphql``, ``/admin``) for its caller: the authenticated principal's id when
the identity layer has put one in ``scope["state"]["principal"]``, else the client's
address. Over the limit it answers 429 with a problem body and ``Retry-After`` before the
route runs. Counting is the ``limits`` library's sliding window counter, kept in Redis
(shared by every worker and server) or, without Redis, in the process's memory. Health,
metrics, problem pages, the dashboards' files and the API docs are not counted.

When Redis cannot be reached the request is let through and the failure logged (at most
once a minute): a plant's shop floor must not stop because its rate limiter's store did.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from commands.problems import problem, send_problem

log = structlog.get_logger("mims.rate_limits")

# The kinds of request that are counted, by path prefix.
KINDS = (
    ("/v1/", "commands"),
    ("/graphql", "graphql"),
    ("/admin/", "admin"),
    # Password guessing: counted by address, before any credentials are checked.
    ("/auth/login", "login"),
)
STORAGE_LOG_EVERY = 60.0


@dataclass(frozen=True)
class RateLimits:
    """Limits in the ``limits`` notation ("600/minute", "10/second;300/minute"), one per
    kind; None or "" for no limit. ``storage``: ``memory://`` or ``redis://host:port/db``."""

    commands: str | None = None
    graphql: str | None = None
    admin: str | None = None
    login: str | None = None
    storage: str = "memory://"

    def items(self) -> dict[str, list[RateLimitItem]]:
        found = {
            "commands": self.commands,
            "graphql": self.graphql,
            "admin": self.admin,
            "login": self.login,
        }
        return {kind: parse_limits(text) for kind, text in found.items() if text}


def parse_limits(text: str) -> list[RateLimitItem]:
    """ "600/minute" or several separated by ";"; ValueError naming the one not understood."""
    found = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        try:
            found.append(parse(part))
        except ValueError:
            msg = f"{part!r} is not a rate limit such as 600/minute or 10/second"
            raise ValueError(msg) from None
    return found


def storage_uri(url: str) -> str:
    """The ``limits`` async storage for a plain URL (``redis://``, ``rediss://``,
    ``memory://``)."""
    scheme = urlsplit(url).scheme
    if scheme not in ("memory", "redis", "rediss"):
        msg = f"rate-limit storage must be memory:// or redis://host:port, not {scheme}://"
        raise ValueError(msg)
    return f"async+{url}"


def open_storage(url: str) -> Storage:
    uri = storage_uri(url)
    if uri.startswith("async+redis"):
        # redis-py's asyncio client (installed with the limits[redis] extra).
        return RedisStorage(uri, implementation="redispy")
    return MemoryStorage()


def caller(scope: Scope) -> str:
    """Who is counted: the principal the identity layer authenticated, else the client's
    address (behind a proxy, the address uvicorn takes from X-Forwarded-For when told to
    trust it)."""
    state: Mapping[str, Any] = scope.get("state") or {}
    principal = state.get("principal")
    if principal is not None:
        found = principal.get("id") if isinstance(principal, Mapping) else None
        found = found if found is not None else getattr(principal, "id", principal)
        return f"principal:{found}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


def kind_of(path: str) -> str | None:
    for prefix, kind in KINDS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return kind
    return None


async def send_too_many(send: Send, path: str, retry_after: int, limit: RateLimitItem) -> None:
    refused = problem(
        429,
        "too-many-requests",
        "Too Many Requests",
        f"more than {limit} from this caller; retry after {retry_after} s",
        instance=path,
        extensions={"retry_after": retry_after},
    )
    await send_problem(send, refused, {"retry-after": str(retry_after)})


class RateLimit:
    """``kinds``: the kinds this instance counts (all when None): the login's limiter runs
    outside the identity layer, which answers ``/auth/login`` itself."""

    def __init__(
        self, app: ASGIApp, limits: RateLimits, kinds: frozenset[str] | None = None
    ) -> None:
        self.app = app
        self.limits = {
            kind: items for kind, items in limits.items().items() if kinds is None or kind in kinds
        }
        self.storage = open_storage(limits.storage)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self._storage_failed_at = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limits:
            await self.app(scope, receive, send)
            return
        kind = kind_of(scope["path"])
        limits = self.limits.get(kind) if kind is not None else None
        if limits:
            who = caller(scope)
            refused = await self._refused(limits, kind or "", who)
            if refused is not None:
                await send_too_many(send, scope["path"], *refused)
                return
        await self.app(scope, receive, send)

    async def _refused(
        self, limits: list[RateLimitItem], kind: str, who: str
    ) -> tuple[int, RateLimitItem] | None:
        try:
            for limit in limits:
                if not await self.limiter.hit(limit, "mims", kind, who):
                    stats = await self.limiter.get_window_stats(limit, "mims", kind, who)
                    return max(1, math.ceil(stats.reset_time - time.time())), limit
        except Exception as e:  # noqa: BLE001 - the store of counts is down: serve, and say so
            now = time.monotonic()
            if now - self._storage_failed_at > STORAGE_LOG_EVERY:
                self._storage_failed_at = now
                log.warning("rate-limit storage unavailable: requests not counted", error=str(e))
        return None
