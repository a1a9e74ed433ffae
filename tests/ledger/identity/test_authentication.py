"""Authentication: passwords, API keys and OpenID Connect tokens to a principal; a
deactivation or revocation is seen by every worker within a second."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from ledger.identity.authentication import (
    Authenticator,
    NotAuthenticated,
    OidcSettings,
    WrongPassword,
)
from ledger.identity.commands import (
    DeactivateUser,
    EndSession,
    GrantInput,
    IssueApiKey,
    ReactivateUser,
    RecordFailedLogin,
    RevokeApiKey,
    SetPassword,
)
from ledger.identity.principals import PrincipalKind
from ledger.identity.roles import Grant, Role
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.identity import PASSWORD, register

ISSUER = "https://idp.plant.example/realms/plant"
AUDIENCE = "mims"


def test_a_person_logs_in_with_their_password(sqlite_ledger: Ledger) -> None:
    register(sqlite_ledger, "Anna", grants=(("storekeeper", "PLANT-A"),))
    auth = Authenticator(sqlite_ledger)
    principal = auth.by_password(" ANNA ", PASSWORD, session_id="s-1")
    assert principal.kind is PrincipalKind.PERSON
    assert (principal.id, principal.printed_name, principal.session_id) == ("anna", "Anna", "s-1")
    assert principal.grants == (Grant(role=Role.STOREKEEPER, site="PLANT-A"),)
    for user, password in (("anna", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(NotAuthenticated):
            auth.by_password(user, password)
    register(sqlite_ledger, "bert", password=None)
    with pytest.raises(NotAuthenticated, match="with a password"):
        auth.by_password("bert", "")


def test_an_expired_password_is_refused(sqlite_ledger: Ledger) -> None:
    register(sqlite_ledger, "carl")
    now = datetime.now(UTC)
    sqlite_ledger.execute(
        SetPassword(user_id="carl", password=PASSWORD, expires_at=now + timedelta(days=1))  # type: ignore[arg-type]
    )
    assert Authenticator(sqlite_ledger).by_password("carl", PASSWORD).id == "carl"
    later = Authenticator(sqlite_ledger, clock=lambda: now + timedelta(days=2))
    with pytest.raises(NotAuthenticated, match="expired"):
        later.by_password("carl", PASSWORD)


def test_an_api_key_logs_in_and_its_last_use_is_kept(sqlite_ledger: Ledger) -> None:
    register(sqlite_ledger, "dora", password=None)
    issued = sqlite_ledger.execute(
        IssueApiKey(
            name="ERP inbound",
            grants=(GrantInput(role=Role.INTEGRATION, site="PLANT-A"),),
            on_behalf_of="dora",
        )
    )
    key, key_id = issued.data["key"], issued.data["key_id"]
    auth = Authenticator(sqlite_ledger)
    assert auth.last_used(key_id) is None
    principal = auth.by_api_key(key)
    assert principal.kind is PrincipalKind.KEY
    assert (principal.id, principal.printed_name, principal.on_behalf_of) == (
        key_id,
        "ERP inbound",
        "dora",
    )
    assert principal.actor == f"key:{key_id} for dora"
    assert principal.grants == (Grant(role=Role.INTEGRATION, site="PLANT-A"),)
    assert auth.last_used(key_id) is not None
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for wrong in (tampered, "mims_0000000000000000_x", "not a key", f"mims_{key_id}_"):
        with pytest.raises(NotAuthenticated):
            auth.by_api_key(wrong)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    """Two processes' ledgers on one store: a change made through one is seen by the
    other's authenticator."""
    url = f"sqlite:///{tmp_path}/events.db"
    first = Ledger(store_env(url), WriterSettings(batch_wait=0))
    second = Ledger(store_env(url), WriterSettings(batch_wait=0))
    yield first, second
    first.close()
    second.close()


def _refused_within(seconds: float, attempt: Any) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds + 0.5:
        try:
            attempt()
        except NotAuthenticated:
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail("still let in")


def test_deactivation_and_revocation_reach_every_worker_within_a_second(
    two_workers: tuple[Ledger, Ledger],
) -> None:
    here, there = two_workers
    register(here, "emil", password=None)
    issued = here.execute(
        IssueApiKey(name="scanner", grants=(GrantInput(role=Role.OPERATOR, site="P"),))
    )
    person_key = here.execute(
        IssueApiKey(
            name="for emil",
            grants=(GrantInput(role=Role.OPERATOR, site="P"),),
            on_behalf_of="emil",
        )
    )
    auth = Authenticator(there)
    auth.by_api_key(issued.data["key"])  # read, and kept for up to a second
    auth.by_api_key(person_key.data["key"])
    here.execute(RevokeApiKey(key_id=issued.data["key_id"], reason="scanner lost"))
    assert _refused_within(1.0, lambda: auth.by_api_key(issued.data["key"])) <= 1.1
    # A key acting for a person stops when the person is deactivated.
    here.execute(DeactivateUser(user_id="emil", reason="left"))
    assert _refused_within(1.0, lambda: auth.by_api_key(person_key.data["key"])) <= 1.1
    here.execute(ReactivateUser(user_id="emil", reason="back"))
    time.sleep(1.05)
    assert auth.by_api_key(person_key.data["key"]).on_behalf_of == "emil"


def test_an_ended_session_stops_on_every_worker_within_a_second(
    two_workers: tuple[Ledger, Ledger],
) -> None:
    here, there = two_workers
    register(here, "fritz")
    auth = Authenticator(there)
    assert auth.by_session("fritz", "session-one").session_id == "session-one"
    auth.by_session("fritz", "session-two")  # read, and kept for up to a second
    until = datetime.now(UTC) + timedelta(hours=8)
    here.execute(EndSession(user_id="fritz", session_id="session-one", expires_at=until))
    assert _refused_within(1.0, lambda: auth.by_session("fritz", "session-one")) <= 1.1
    assert auth.by_session("fritz", "session-two").id == "fritz"  # only that one ended


def test_a_wrong_password_is_told_apart_only_for_an_account_that_may_log_in(
    sqlite_ledger: Ledger,
) -> None:
    """`WrongPassword` (counted at login) only where counting means something: never for
    an unknown user, and not once the account is locked or deactivated."""
    register(sqlite_ledger, "gina")
    auth = Authenticator(sqlite_ledger, freshness=0)
    with pytest.raises(WrongPassword):
        auth.by_password("gina", "wrong password")
    with pytest.raises(NotAuthenticated) as unknown:
        auth.by_password("nobody", "wrong password")
    assert not isinstance(unknown.value, WrongPassword)
    for _ in range(5):
        sqlite_ledger.execute(RecordFailedLogin(user_id="gina"))
    with pytest.raises(NotAuthenticated) as locked:
        auth.by_password("gina", "wrong password")
    assert not isinstance(locked.value, WrongPassword)
    with pytest.raises(NotAuthenticated, match="locked"):
        auth.by_password("gina", PASSWORD)


# --- OpenID Connect: a real JWKS over real HTTP ---------------------------------------


class _Jwks(BaseHTTPRequestHandler):
    keys: KeySet
    served = 0

    def do_GET(self) -> None:
        body = json.dumps(type(self).keys.as_dict(private=False)).encode()
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[tuple[type[_Jwks], str]]:
    handler = type("Jwks", (_Jwks,), {})
    handler.keys = KeySet([RSAKey.generate_key(2048, parameters={"kid": "k1"})])
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()
    server.server_close()


def _token(key: RSAKey, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f3a1",
        "preferred_username": "Anna",
        "iat": now,
        "exp": now + 300,
        "sid": "idp-session-7",
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)


@pytest.fixture
def oidc(
    sqlite_ledger: Ledger, provider: tuple[type[_Jwks], str]
) -> tuple[Authenticator, type[_Jwks]]:
    register(sqlite_ledger, "anna", password=None, grants=(("planner", "PLANT-A"),))
    handler, url = provider
    settings = OidcSettings(
        issuer=ISSUER, audience=AUDIENCE, jwks_url=url, leeway_seconds=30, jwks_refetch_seconds=0
    )
    return Authenticator(sqlite_ledger, oidc=settings), handler


def test_a_bearer_token_names_a_person_of_the_ledger(
    oidc: tuple[Authenticator, type[_Jwks]],
) -> None:
    auth, jwks = oidc
    (key,) = jwks.keys.keys
    principal = auth.by_bearer(_token(key))  # type: ignore[arg-type]
    assert principal.kind is PrincipalKind.PERSON
    assert (principal.id, principal.session_id) == ("anna", "idp-session-7")
    assert principal.grants == (Grant(role=Role.PLANNER, site="PLANT-A"),)
    assert jwks.served == 1
    auth.by_bearer(_token(key))  # type: ignore[arg-type]
    assert jwks.served == 1  # the JWKS is kept for its time to live


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://evil.example"}, "iss"),
        ({"aud": "another-api"}, "aud"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "exp"),
        ({"preferred_username": "nobody"}, "no user"),
        ({"preferred_username": None}, "no preferred_username"),
    ],
    ids=["issuer", "audience", "expired", "no-expiry", "unknown-user", "no-user-claim"],
)
def test_a_bearer_token_is_refused(
    oidc: tuple[Authenticator, type[_Jwks]], claims: dict[str, Any], why: str
) -> None:
    auth, jwks = oidc
    (key,) = jwks.keys.keys
    with pytest.raises(NotAuthenticated, match=why):
        auth.by_bearer(_token(key, **claims))  # type: ignore[arg-type]


def test_a_token_within_the_leeway_passes(oidc: tuple[Authenticator, type[_Jwks]]) -> None:
    auth, jwks = oidc
    (key,) = jwks.keys.keys
    assert auth.by_bearer(_token(key, exp=int(time.time()) - 10)).id == "anna"  # type: ignore[arg-type]


def test_a_token_signed_by_another_key_is_refused(
    oidc: tuple[Authenticator, type[_Jwks]],
) -> None:
    auth, _ = oidc
    forger = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, other key
    with pytest.raises(NotAuthenticated, match="BadSignature"):
        auth.by_bearer(_token(forger))
    tampered = _token(forger).split(".")
    with pytest.raises(NotAuthenticated):
        auth.by_bearer(".".join([tampered[0], tampered[1], "AAAA"]))
    with pytest.raises(NotAuthenticated):
        auth.by_bearer("not a token")
    # An unsigned token ("alg": "none") with the right claims.
    claims = json.loads(_b64decode(_token(forger).split(".")[1]))
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'kid': 'k1'}))}.{_b64(json.dumps(claims))}."
    with pytest.raises(NotAuthenticated):
        auth.by_bearer(unsigned)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_rotated_key_is_fetched(oidc: tuple[Authenticator, type[_Jwks]]) -> None:
    auth, jwks = oidc
    (old,) = jwks.keys.keys
    auth.by_bearer(_token(old))  # type: ignore[arg-type]
    new = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    jwks.keys = KeySet([old, new])  # type: ignore[list-item]
    assert auth.by_bearer(_token(new)).id == "anna"
    assert jwks.served == 2


def test_a_deactivated_person_is_refused_with_a_valid_token(
    sqlite_ledger: Ledger, oidc: tuple[Authenticator, type[_Jwks]]
) -> None:
    auth, jwks = oidc
    (key,) = jwks.keys.keys
    sqlite_ledger.execute(DeactivateUser(user_id="anna", reason="left"))
    time.sleep(1.05)
    with pytest.raises(NotAuthenticated, match="deactivated"):
        auth.by_bearer(_token(key))  # type: ignore[arg-type]


def test_without_a_provider_bearer_tokens_are_refused(sqlite_ledger: Ledger) -> None:
    with pytest.raises(NotAuthenticated, match="no identity provider"):
        Authenticator(sqlite_ledger).by_bearer("x.y.z")


def test_made_up_key_ids_are_not_kept(sqlite_ledger: Ledger) -> None:
    auth = Authenticator(sqlite_ledger)
    for n in range(200):
        with pytest.raises(NotAuthenticated):
            auth.by_api_key(f"mims_{n:016x}_secret")
    assert auth._read == {}  # the memory an attacker would fill
