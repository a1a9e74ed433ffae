"""Settings from the environment (prefix ``MIMS_``), with the embedded default when unset."""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from commands.rate_limits import RateLimits, parse_limits, storage_uri
from ledger.identity.authentication import OidcSettings
from ledger.store import database_scheme, store_env
from ledger.webhooks.targets import TargetPolicy
from ledger.writer import WriterSettings
from mims.relay import RelaySettings
from mims.webhooks import WebhookSettings
from queries.guards import DEFAULT_MAX_COST, DEFAULT_TIMEOUT_SECONDS, GraphQLLimits

MIN_SECRET_KEY = 32  # characters of MIMS_SECRET_KEY


class Settings(BaseSettings):
    # No input in a validation error: MIMS_DATABASE_URL may hold a password.
    model_config = SettingsConfigDict(env_prefix="MIMS_", extra="ignore", hide_input_in_errors=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///var/mims.db",
        description="Event store: sqlite:///path (embedded) or postgresql://user@host/db",
    )
    read_model_path: Path = Field(
        default=Path("var/read_models.duckdb"), description="DuckDB file of the read models"
    )
    nats_url: str | None = Field(
        default=None,
        description="NATS JetStream, e.g. nats://127.0.0.1:4222: the server relays every event",
    )
    nats_stream: str = Field(default="MIMS_EVENTS", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    nats_subject_prefix: str = Field(default="mims.events", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    nats_duplicate_window_seconds: float = Field(
        default=120,
        gt=0,
        le=7 * 24 * 3600,
        description="How long JetStream remembers an event's id to drop a republish of it"
        " (the relay's stream; consumers de-duplicate by ce-id beyond it)",
    )
    plant: str = Field(
        default="plant",
        pattern=r"^[A-Za-z0-9_.~-]{1,64}$",
        description="This plant's name in published events (CloudEvents source"
        " /mims/<plant>/<site>)",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes")
    worker_start_seconds: float = Field(
        default=120,
        gt=0,
        description="How long a starting worker may take to serve before it is restarted",
    )
    worker_healthcheck_seconds: float = Field(
        default=10,
        gt=0,
        description="How long a serving worker may take to answer the supervisor's ping",
    )
    batch_max: int = Field(default=256, ge=1, le=10_000)
    batch_wait_ms: float = Field(default=1.0, ge=0, le=1_000)
    cache_size: int = Field(default=50_000, ge=100)
    max_retries: int = Field(default=5, ge=0, le=100)
    backdating_window_days: int = Field(default=7, ge=0, le=366)
    idempotency_window_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 366,
        description="How long a resent refused command gets the same refusal (accepted: always)",
    )
    separation_of_duties: bool = Field(
        default=True,
        description="Whoever placed a hold or recorded an inspection may not sign its release"
        " (21 CFR Part 11, EU GMP Annex 11); on unless turned off",
    )
    postgres_pool_size: int = Field(default=10, ge=1, le=200)
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        le=1 << 30,
        description="Largest request body on any route; a larger one is answered 413",
    )
    expiry_interval_minutes: float = Field(
        default=60, ge=0, description="How often the server holds expired lots (0: never)"
    )
    anchor_interval_seconds: float = Field(
        default=60,
        ge=0,
        description="How often the server appends the chain's head to the anchor file and"
        " NATS, when it moved (0: never; `mims audit anchor` on demand)",
    )
    anchor_file: Path = Field(
        default=Path("var/anchors.jsonl"),
        description="Append-only file of chain heads; keep a copy off the database's machine",
    )
    imports_dir: Path = Field(
        default=Path("var/imports"),
        description="Where finished import jobs (POST /v1/imports) keep their result",
    )
    epcis_urn_prefix: str = Field(
        default="urn:mims:plant",
        pattern=r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(:[A-Za-z0-9._~-]+)+$",
        description="EPCIS exports name what has no GS1 key (an item without a GTIN, a"
        " location without a GLN, parties, orders) under this URN: urn:mims:plant ->"
        " urn:mims:plant:item:SKU:lot:LOT",
    )
    webhooks_enabled: bool = Field(
        default=True, description="The server delivers webhooks to their subscriptions"
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="Webhook targets may resolve to private, loopback or link-local addresses"
        " (off: only outside receivers, against SSRF)",
    )
    webhooks_allow_http: bool = Field(
        default=False, description="Webhook targets may be plain http:// (off: https only)"
    )
    webhooks_connect_timeout_seconds: float = Field(default=5, gt=0, le=120)
    webhooks_read_timeout_seconds: float = Field(
        default=10, gt=0, le=600, description="How long a receiver may take to answer"
    )
    webhooks_retry_base_seconds: float = Field(
        default=1,
        gt=0,
        le=3600,
        description="First retry's backoff; it doubles each attempt (full jitter)",
    )
    webhooks_retry_cap_seconds: float = Field(default=3600, gt=0, description="Longest backoff")
    webhooks_retry_window_hours: float = Field(
        default=72,
        gt=0,
        description="How long a delivery is retried before its subscription is disabled",
    )
    webhooks_retention_days: float = Field(
        default=30, gt=0, description="How long the delivery log keeps its rows"
    )
    ready_max_lag: int = Field(
        default=10_000,
        ge=0,
        description="/health/ready answers 503 while a read model is more events behind",
    )
    cors_origins: str = Field(
        default="",
        description="Origins (scheme://host[:port], comma-separated) whose web pages may call"
        " the API from a browser; empty: none, CORS stays closed",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counts are kept: memory:// (each process alone) or"
        " redis://host:port/db (shared by every worker and server)",
    )
    rate_limit_commands: str = Field(
        default="600/minute",
        description="Requests to /v1 per caller (principal, else address); empty: no limit",
    )
    rate_limit_graphql: str = Field(
        default="300/minute", description="Requests to /graphql per caller; empty: no limit"
    )
    rate_limit_admin: str = Field(
        default="60/minute", description="Requests to /admin per caller; empty: no limit"
    )
    rate_limit_login: str = Field(
        default="10/minute",
        description="Logins (POST /auth/login) per client address, right or wrong; empty: no limit",
    )
    graphql_introspection: bool | None = Field(
        default=None,
        description='GraphQL introspection and "did you mean" hints; default: on in'
        " development, off in production",
    )
    graphql_max_cost: int = Field(
        default=DEFAULT_MAX_COST,
        ge=1,
        description="Largest cost of one GraphQL query (docs/limits.md says how it is counted)",
    )
    graphql_timeout_seconds: float = Field(
        default=DEFAULT_TIMEOUT_SECONDS,
        gt=0,
        le=3600,
        description="Longest a GraphQL request may run before it is stopped",
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics")
    metrics_open: bool = Field(
        default=True, description="/metrics answers without credentials (for the scraper)"
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs session tokens (32+ characters); required in production, generated"
        " into var/secret_key in development",
    )
    secret_key_file: Path = Field(default=Path("var/secret_key"))
    session_hours: float = Field(default=8, gt=0, le=24 * 30, description="A login's lifetime")
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer (iss)")
    oidc_audience: str | None = Field(default=None, description="This API's audience (aud)")
    oidc_jwks_url: str | None = Field(default=None, description="The provider's JWKS URL")
    oidc_user_claim: str = Field(default="preferred_username")
    log_level: str = "info"
    log_json: bool = False
    access_log: bool = Field(default=True, description="One log line per HTTP request")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        database_scheme(url)  # a mistyped scheme is named here, its password never
        return url

    @model_validator(mode="after")
    def _production_is_not_embedded(self) -> Settings:
        if self.environment == "production" and not self.uses_postgres:
            msg = "MIMS_ENVIRONMENT=production needs MIMS_DATABASE_URL=postgresql://..."
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _identity_is_configured(self) -> Settings:
        oidc = [self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url]
        if any(oidc) and not all(oidc):
            msg = "MIMS_OIDC_ISSUER, MIMS_OIDC_AUDIENCE and MIMS_OIDC_JWKS_URL go together"
            raise ValueError(msg)
        if self.environment == "production" and self.secret_key is None:
            msg = "MIMS_ENVIRONMENT=production needs MIMS_SECRET_KEY (signs the login sessions)"
            raise ValueError(msg)
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < MIN_SECRET_KEY:
            msg = "MIMS_SECRET_KEY must have at least 32 characters"
            raise ValueError(msg)
        return self

    def oidc(self) -> OidcSettings | None:
        if not (self.oidc_issuer and self.oidc_audience and self.oidc_jwks_url):
            return None
        return OidcSettings(
            issuer=self.oidc_issuer,
            audience=self.oidc_audience,
            jwks_url=self.oidc_jwks_url,
            user_claim=self.oidc_user_claim,
        )

    def session_secret(self) -> bytes:
        """MIMS_SECRET_KEY, or in development a key generated once into var/ and read by
        every worker (created exclusively: two workers starting at once agree)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.secret_key_file
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):
                text = path.read_bytes().strip()
                if len(text) >= MIN_SECRET_KEY:
                    return text
                time.sleep(0.05)  # another worker is writing it
            msg = f"{path} holds no secret key"
            raise RuntimeError(msg) from None
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_urlsafe(48).encode())
        return path.read_bytes().strip()

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, text: str) -> str:
        for origin in (o.strip() for o in text.split(",") if o.strip()):
            if origin == "*" or not re.fullmatch(r"https?://[^/\s]+", origin):
                msg = f"MIMS_CORS_ORIGINS: {origin!r} is not an origin such as https://mes.plant.example"
                raise ValueError(msg)
        return text

    @field_validator(
        "rate_limit_commands", "rate_limit_graphql", "rate_limit_admin", "rate_limit_login"
    )
    @classmethod
    def _rate(cls, text: str) -> str:
        parse_limits(text)
        return text

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_storage(cls, url: str) -> str:
        storage_uri(url)  # the scheme is named, never the URL (it may hold a password)
        return url

    def rate_limits(self) -> RateLimits:
        return RateLimits(
            commands=self.rate_limit_commands,
            graphql=self.rate_limit_graphql,
            admin=self.rate_limit_admin,
            login=self.rate_limit_login,
            storage=self.rate_limit_storage,
        )

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def uses_postgres(self) -> bool:
        return database_scheme(self.database_url) == "postgresql"

    def store_env(self) -> dict[str, str]:
        return store_env(self.database_url, pool_size=self.postgres_pool_size)

    def relay_settings(self) -> RelaySettings:
        if not self.nats_url:
            msg = "MIMS_NATS_URL is not set: there is no NATS to relay to"
            raise ValueError(msg)
        return RelaySettings(
            url=self.nats_url,
            stream=self.nats_stream,
            subject_prefix=self.nats_subject_prefix,
            plant=self.plant,
            duplicate_window=self.nats_duplicate_window_seconds,
        )

    def webhook_policy(self) -> TargetPolicy:
        return TargetPolicy(
            allow_private=self.webhooks_allow_private, allow_http=self.webhooks_allow_http
        )

    def webhook_settings(self) -> WebhookSettings:
        return WebhookSettings(
            policy=self.webhook_policy(),
            connect_timeout=self.webhooks_connect_timeout_seconds,
            read_timeout=self.webhooks_read_timeout_seconds,
            retry_base=self.webhooks_retry_base_seconds,
            retry_cap=self.webhooks_retry_cap_seconds,
            retry_window=self.webhooks_retry_window_hours * 3600,
            retention=self.webhooks_retention_days * 86400,
        )

    def anchor_nats(self) -> RelaySettings | None:
        """Where anchors are published: the relay's NATS, when there is one."""
        return self.relay_settings() if self.nats_url else None

    def graphql_limits(self) -> GraphQLLimits:
        open_schema = self.graphql_introspection
        if open_schema is None:
            open_schema = self.environment == "development"
        return GraphQLLimits(
            introspection=open_schema,
            suggestions=open_schema,
            max_cost=self.graphql_max_cost,
            timeout_seconds=self.graphql_timeout_seconds,
        )

    def writer_settings(self) -> WriterSettings:
        return WriterSettings(
            batch_max=self.batch_max,
            batch_wait=self.batch_wait_ms / 1000,
            cache_size=self.cache_size,
            max_retries=self.max_retries,
            backdating_window=timedelta(days=self.backdating_window_days),
            idempotency_window=timedelta(hours=self.idempotency_window_hours),
            separation_of_duties=self.separation_of_duties,
        )
