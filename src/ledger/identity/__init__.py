"""Identity: who may act on the ledger (people, API keys, the system's own jobs), what
each may do where (roles granted per site), and electronic signatures (21 CFR Part 11).

Accounts and API keys are aggregates of the ledger like any other, so a grant, a
revocation or a deactivation is an event with its actor and time. Their events hold
password hashes, hashes of key secrets and TOTP secrets: whatever publishes or exports
the log (the relay, exports, replays for an auditor) must filter this feature's events
out (`IDENTITY_TOPIC_PREFIX`), and ``docs/identity.md`` says what is stored where.
"""

# Every stored topic of this feature starts with it (relay and exports filter on it).
IDENTITY_TOPIC_PREFIX = "ledger.identity."
