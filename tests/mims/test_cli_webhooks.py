"""`mims webhooks run`: the dispatcher as a process of its own, on the store's file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ledger.store import store_env
from ledger.webhooks.commands import CreateWebhookSubscription
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant
from tests.support.webhook_receiver import Receiver, receiving, wait_until


def test_mims_webhooks_run_delivers_until_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    receiver = Receiver()
    env = {
        **os.environ,
        "MIMS_DATABASE_URL": url,
        "MIMS_WEBHOOKS_ALLOW_PRIVATE": "true",
        "MIMS_WEBHOOKS_ALLOW_HTTP": "true",
    }
    try:
        with receiving(receiver):
            outcome = ledger.execute(
                CreateWebhookSubscription(subscription_id="cli", url=receiver.url("/cli"))
            )
            receiver.secrets["/cli"] = outcome.data["secret"]
            Plant(ledger)  # nine locations
            process = subprocess.Popen(
                [sys.executable, "-m", "mims", "webhooks", "run"], env=env, cwd=tmp_path
            )
            try:
                wait_until(lambda: sum(r.verified for r in receiver.accepted()) >= 18)
            finally:
                process.send_signal(signal.SIGTERM)
                assert process.wait(30) == 0
    finally:
        ledger.close()
    types = [r.payload["type"] for r in receiver.accepted()]
    assert types.count("com.mims.location.registered.v2") == 9
