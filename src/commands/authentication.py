"""Authentication at the HTTP edge: every request names a principal, or is answered 401.

An ASGI middleware in front of every route but the open ones (`OPEN_PATHS`,
`OPEN_PREFIXES`: health, metrics when configured open, documentation, problem type
pages, the login page and static files). Credentials, in this order:

- ``Authorization: Bearer mims_<key id>_<secret>``: an API key (`Authenticator.by_api_key`);
- ``Authorization: Bearer mimss.<...>``: a session token from ``POST /auth/login`` (for curl);
- ``Authorization: Bearer <JWT>``: an OpenID Connect token, when a provider is configured;
- the session cookie set by ``POST /auth/login`` (browsers). An unsafe request (POST)
  authenticated by the cookie must carry ``X-CSRF-Token`` equal to the csrf cookie and
  bound to the session (double submit), else 403: a page of another site can make the
  browser send the cookie, never read it.

``POST /auth/login`` counts wrong passwords on the account (`RecordFailedLogin`, through
the writer once argon2 has run in a worker thread); the fifth in a row locks it (a
security event, logged as an alert). An unknown user, a wrong password and a locked
account get the same 401. ``POST /auth/logout`` ends the session of the token it is sent
with (`EndSession`): every worker refuses that token within a second.

The principal goes to ``scope["state"]["principal"]``, where the rate limiter, the command
lane, GraphQL and the admin routes read it. A session token holds only the user id, the
session id and its expiry, signed with HMAC-SHA256 (MIMS_SECRET_KEY): the account is read
again through the `Authenticator` (at most 1 s old) on every request, so a deactivation
stops every session on every worker within a second.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

import orjson
import structlog
from eventsourcing.persistence import OperationalError as StoreOperationalError
from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from commands.problems import (
    from_validation_errors,
    problem,
    register_problem_type,
    send_problem,
    store_unavailable,
)
from ledger.identity.authentication import Authenticator, NotAuthenticated, WrongPassword
from ledger.identity.commands import ClearFailedLogins, EndSession, RecordFailedLogin
from ledger.identity.principals import SYSTEM, Principal
from ledger.writer import Ledger

log = structlog.get_logger("commands.authentication")

SESSION_COOKIE = "mims_session"
CSRF_COOKIE = "mims_csrf"
CSRF_HEADER = b"x-csrf-token"
SESSION_PREFIX = "mimss."
API_KEY_PREFIX = "mims_"
LOGIN_PAGE = "/login"
MIN_SECRET_BYTES = 32
MAX_LOGIN_BODY = 4096
# Who records a failed login (nobody is authenticated yet): the login endpoint itself.
LOGIN_ACTOR = "system:login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The one list of what anyone may read without credentials (documentation, health, the
# way in). Everything else needs a principal: a new route is protected unless it is
# added here (tests/commands/test_authentication.py checks every route of the app).
OPEN_PATHS = frozenset(
    {
        "/health",
        "/health/live",
        "/health/ready",
        "/docs",
        "/openapi.json",
        LOGIN_PAGE,
        "/auth/login",
        "/auth/logout",
        "/favicon.ico",
    }
)
OPEN_PREFIXES = ("/problems/", "/api-docs/")
# Pages a person opens in a browser: without a session, redirected to the login page.
# Their scripts and styles are static files, open (they hold no data).
PAGE_PREFIX = "/dashboards/"
PAGE_SUFFIXES = (".html", "/")

register_problem_type(
    "not-authenticated",
    401,
    "Not authenticated",
    "The request carries no valid credentials: send `Authorization: Bearer <API key,"
    " session token or OpenID Connect token>`, or log in at /auth/login.",
)
register_problem_type(
    "csrf-token-missing",
    403,
    "CSRF token missing or wrong",
    "A request authenticated by the session cookie that changes something must carry the"
    " X-CSRF-Token header equal to the mims_csrf cookie.",
)
register_problem_type(
    "forbidden",
    403,
    "Forbidden",
    "The authenticated principal holds no grant that permits this here.",
)


def is_open(path: str, *, metrics_open: bool = True) -> bool:
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return True
    if path == "/metrics":
        return metrics_open
    return path.startswith(PAGE_PREFIX) and not path.endswith(PAGE_SUFFIXES)


def is_page(path: str) -> bool:
    return path in {"/", PAGE_PREFIX.rstrip("/")} or (
        path.startswith(PAGE_PREFIX) and path.endswith(PAGE_SUFFIXES)
    )


# --- sessions -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user_id: str
    session_id: str
    expires: int
    # "person": a login; "system": the `mims` CLI asking a running server (``user_id``
    # is then the job's name), signed with the same secret the CLI reads from the settings.
    kind: str = "person"


class Sessions:
    """Signed, expiring session tokens (HMAC-SHA256 with the server's secret key)."""

    def __init__(self, secret: bytes, ttl_seconds: int = 8 * 3600) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            msg = "the session secret must be at least 32 bytes"
            raise ValueError(msg)
        self._key = hashlib.sha256(b"mims session\x00" + secret).digest()
        self._csrf_key = hashlib.sha256(b"mims csrf\x00" + secret).digest()
        self.ttl = ttl_seconds

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(
        self,
        user_id: str,
        now: float | None = None,
        *,
        kind: str = "person",
        ttl: int | None = None,
    ) -> tuple[str, Session]:
        expires = int((now or time.time()) + (ttl or self.ttl))
        session = Session(user_id, secrets.token_urlsafe(16), expires, kind)
        payload = _b64(
            orjson.dumps(
                {"u": session.user_id, "s": session.session_id, "e": session.expires, "k": kind}
            )
        )
        return f"{SESSION_PREFIX}{payload}.{self._sign(payload)}", session

    def read(self, token: str, now: float | None = None) -> Session | None:
        if not token.startswith(SESSION_PREFIX):
            return None
        payload, _, signature = token.removeprefix(SESSION_PREFIX).partition(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            found = orjson.loads(_unb64(payload))
            session = Session(
                str(found["u"]), str(found["s"]), int(found["e"]), str(found.get("k", "person"))
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > (now or time.time()) else None

    def csrf(self, session_id: str) -> str:
        """The session's CSRF token: derived from it, so a cookie planted by another
        site's page (without the secret) cannot match."""
        return _b64(hmac.new(self._csrf_key, session_id.encode(), hashlib.sha256).digest())


# --- the middleware ---------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def cookies(scope: Scope) -> dict[str, str]:
    text = _header(scope, b"cookie")
    if not text:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(text)
    except Exception:  # noqa: BLE001 - a malformed cookie header proves nothing
        return {}
    return {k: v.value for k, v in jar.items()}


async def send_answer(
    send: Send, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A 200 of the identity layer's own (a login, a logout); problems go through
    `commands.problems.send_problem`, like every other layer's."""
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


# Credentials and refusals of them are never kept by a cache on the way.
NO_STORE = {"cache-control": "no-store"}


async def send_not_authenticated(send: Send, path: str, detail: str) -> None:
    found = problem(401, "not-authenticated", "Not authenticated", detail, instance=path)
    await send_problem(send, found, {**NO_STORE, "www-authenticate": 'Bearer realm="mims"'})


async def send_forbidden(send: Send, path: str, detail: str, type_: str = "forbidden") -> None:
    title = "CSRF token missing or wrong" if type_ == "csrf-token-missing" else "Forbidden"
    await send_problem(send, problem(403, type_, title, detail, instance=path), NO_STORE)


class Credentials(BaseModel):
    user: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


def _cookie(name: str, value: str, *, max_age: int, http_only: bool, secure: bool) -> bytes:
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Strict"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode()


class Authentication:
    """Puts the principal in ``scope["state"]["principal"]``, or answers 401 (403 for a
    cookie-authenticated POST without its CSRF token). Serves ``POST /auth/login`` and
    ``POST /auth/logout`` itself. ``authenticator`` is read from the app's state
    (``app.state.authenticator``, set when the ledger opens) unless one is given."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: Sessions,
        metrics_open: bool = True,
        authenticator: Callable[[Scope], Authenticator] | None = None,
        ledger: Callable[[Scope], Ledger] | None = None,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.metrics_open = metrics_open
        self._authenticator = authenticator or (lambda scope: scope["app"].state.authenticator)
        self._ledger = ledger or (lambda scope: scope["app"].state.ledger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/auth/login" and method == "POST":
            await self._login(scope, receive, send)
            return
        if path == "/auth/logout" and method == "POST":
            await self._logout(scope, send)
            return
        # A CORS preflight carries no credentials (the CORS middleware outside answers it).
        if method == "OPTIONS" or is_open(path, metrics_open=self.metrics_open):
            await self.app(scope, receive, send)
            return
        try:
            principal, by_cookie = await self._principal(scope)
        except NotAuthenticated as e:
            log.info("not authenticated", path=path, reason=e.reason)
            principal, by_cookie = None, None
        if principal is None:
            # A browser opening a page (a dashboard, GraphiQL) is sent to log in first.
            browsing = "text/html" in (_header(scope, b"accept") or "")
            if method in SAFE_METHODS and (is_page(path) or browsing):
                await self._redirect_to_login(send)
            else:
                await send_not_authenticated(send, path, "valid credentials are required")
            return
        if by_cookie is not None and method not in SAFE_METHODS:
            sent = _header(scope, CSRF_HEADER)
            expected = self.sessions.csrf(by_cookie)
            cookie = cookies(scope).get(CSRF_COOKIE)
            if not sent or cookie != sent or not hmac.compare_digest(sent, expected):
                await send_forbidden(
                    send,
                    path,
                    "send the X-CSRF-Token header with the mims_csrf cookie's value",
                    "csrf-token-missing",
                )
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope) -> tuple[Principal | None, str | None]:
        """The principal and, when the session cookie proved it, the session id."""
        authenticator = self._authenticator(scope)
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise NotAuthenticated("not a bearer token")
            # Each reads the store when what it read is over a second old: off the event
            # loop, which a slow or saturated database would otherwise stall (and the
            # worker's health check with it).
            if token.startswith(API_KEY_PREFIX):
                return await asyncio.to_thread(authenticator.by_api_key, token), None
            if token.startswith(SESSION_PREFIX):
                return await asyncio.to_thread(self._by_session, authenticator, token), None
            # An OpenID Connect token: the provider's keys may have to be fetched.
            return await asyncio.to_thread(authenticator.by_bearer, token), None
        cookie = cookies(scope).get(SESSION_COOKIE)
        if cookie:
            principal = await asyncio.to_thread(self._by_session, authenticator, cookie)
            return principal, principal.session_id
        return None, None

    def _by_session(self, authenticator: Authenticator, token: str) -> Principal:
        session = self.sessions.read(token)
        if session is None:
            raise NotAuthenticated("no valid session token")
        if session.kind == "system":
            return SYSTEM(session.user_id)
        return authenticator.by_session(session.user_id, session.session_id)

    async def _redirect_to_login(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", LOGIN_PAGE.encode()), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_LOGIN_BODY:
                await send_not_authenticated(send, path, "credentials too long")
                return
        try:
            credentials = Credentials.model_validate_json(body)
        except ValidationError as e:
            await send_problem(send, from_validation_errors(e.errors(include_url=False), path))
            return
        authenticator = self._authenticator(scope)
        try:
            # argon2 costs a quarter of a second: never on the event loop.
            principal = await asyncio.to_thread(
                authenticator.by_password, credentials.user, credentials.password
            )
        except NotAuthenticated as e:
            log.info("login refused", reason=e.reason)
            if isinstance(e, WrongPassword):
                await self._count_wrong_password(scope, e.user_id)
            # Unknown user, wrong password, locked or deactivated: one answer for all.
            await send_not_authenticated(send, path, "wrong user or password")
            return
        account = authenticator.account(principal.id)
        if account is not None and account.failed_logins:
            await self._record(scope, ClearFailedLogins(user_id=principal.id))
        token, session = self.sessions.issue(principal.id)
        csrf = self.sessions.csrf(session.session_id)
        secure = scope.get("scheme") == "https"
        max_age = self.sessions.ttl
        await send_answer(
            send,
            {
                "user": principal.id,
                "printed_name": principal.printed_name,
                "token": token,
                "csrf_token": csrf,
                "expires": session.expires,
            },
            [
                (
                    b"set-cookie",
                    _cookie(SESSION_COOKIE, token, max_age=max_age, http_only=True, secure=secure),
                ),
                (
                    b"set-cookie",
                    _cookie(CSRF_COOKIE, csrf, max_age=max_age, http_only=False, secure=secure),
                ),
            ],
        )

    async def _record(self, scope: Scope, command: RecordFailedLogin | ClearFailedLogins) -> str:
        """Record a login's outcome on the account, through the writer (the argon2 work is
        done by then, in a worker thread). Whether the login gets in never waits on it
        going wrong: a store that cannot record is logged, and the answer stands."""
        try:
            outcome = await self._ledger(scope).execute_async(command, actor=LOGIN_ACTOR)
        except Exception:
            log.exception("a login could not be recorded", command=command.command_name)
            return ""
        self._authenticator(scope).forget(command.user_id)
        return outcome.data.get("locked_now", "")

    async def _count_wrong_password(self, scope: Scope, user_id: str) -> None:
        if await self._record(scope, RecordFailedLogin(user_id=user_id)) == "true":
            # A security event: someone may be guessing this person's password.
            log.warning(
                "security alert: account locked after wrong passwords at login",
                user=user_id,
                alert=True,
            )

    def _session_token(self, scope: Scope) -> str | None:
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
        return cookies(scope).get(SESSION_COOKIE)

    async def _end_session(self, scope: Scope) -> None:
        """The session of the token (bearer or cookie) ends on every worker within a
        second (``Account.SessionEnded``): a copy of the token kept elsewhere stops too."""
        token = self._session_token(scope)
        session = self.sessions.read(token) if token else None
        if session is None or session.kind != "person":
            return
        authenticator = self._authenticator(scope)
        try:
            principal = await asyncio.to_thread(
                authenticator.by_session, session.user_id, session.session_id
            )
        except NotAuthenticated:
            return  # already ended, or the person can no longer log in at all
        command = EndSession(
            user_id=session.user_id,
            session_id=session.session_id,
            expires_at=datetime.fromtimestamp(session.expires, UTC),
        )
        await self._ledger(scope).execute_async(command, principal=principal)
        authenticator.forget(session.user_id)

    async def _logout(self, scope: Scope, send: Send) -> None:
        try:
            await self._end_session(scope)
        except StoreOperationalError as e:
            # The token would stay valid: say so rather than pretend it ended.
            await send_problem(send, store_unavailable(e, scope["path"]), NO_STORE)
            return
        secure = scope.get("scheme") == "https"
        await send_answer(
            send,
            {"logged_out": True},
            [
                (
                    b"set-cookie",
                    _cookie(SESSION_COOKIE, "", max_age=0, http_only=True, secure=secure),
                ),
                (
                    b"set-cookie",
                    _cookie(CSRF_COOKIE, "", max_age=0, http_only=False, secure=secure),
                ),
            ],
        )


def system_token(secret: bytes, job: str, ttl_seconds: int = 600) -> str:
    """A short-lived token for the plant's own tools (``SYSTEM(job)``): whoever holds the
    server's secret key, as the `mims` CLI at a terminal does, is trusted like the server."""
    token, _ = Sessions(secret).issue(job, kind="system", ttl=ttl_seconds)
    return token


def principal_of(scope: Scope) -> Principal | None:
    state = scope.get("state") or {}
    found = state.get("principal")
    return found if isinstance(found, Principal) else None
