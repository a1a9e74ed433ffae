"""The README's webhook section as written: its Python receiver, run as a program, verifies
and prints what a real dispatcher delivers; its curl bodies are valid commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from ledger.store import store_env
from ledger.webhooks.commands import (
    CreateWebhookSubscription,
    EnableWebhookSubscription,
    ReplayWebhookSubscription,
)
from ledger.webhooks.targets import TargetPolicy
from ledger.writer import Ledger, WriterSettings
from mims.webhooks import WebhookDispatcher, WebhookSettings
from tests.support.plant import Plant
from tests.support.servers import free_port
from tests.support.webhook_receiver import dispatching, wait_until

README = Path(__file__).parents[2] / "README.md"


def section() -> str:
    text = README.read_text()
    return text.split("### Webhooks", 1)[1].split("\n### ", 1)[0]


def test_the_curl_bodies_are_valid_commands() -> None:
    bodies = re.findall(r"-d '(\{.*?\})'", section(), flags=re.DOTALL)
    by_path = dict(
        zip(re.findall(r"localhost:8000(/v1/webhooks[a-z/]*)", section()), bodies, strict=False)
    )
    CreateWebhookSubscription.model_validate(json.loads(by_path["/v1/webhooks"]))
    EnableWebhookSubscription.model_validate(json.loads(by_path["/v1/webhooks/enable"]))
    ReplayWebhookSubscription.model_validate(json.loads(by_path["/v1/webhooks/replay"]))


def test_the_python_receiver_verifies_what_is_delivered(tmp_path: Path) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", section(), flags=re.DOTALL)
    port = free_port()
    program = tmp_path / "receiver.py"
    program.write_text(code.replace("9000", str(port)))
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    outcome = ledger.execute(
        CreateWebhookSubscription(subscription_id="readme", url=f"http://127.0.0.1:{port}/")
    )
    env = {**os.environ, "MIMS_WEBHOOK_SECRET": outcome.data["secret"]}
    receiver = subprocess.Popen(
        [sys.executable, str(program)], env=env, stdout=subprocess.PIPE, text=True
    )
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(receiver.stdout or ()))
    reader.start()
    try:
        time.sleep(0.5)  # the receiver binds its port
        Plant(ledger)  # nine locations registered, each with its receipt
        settings = WebhookSettings(
            policy=TargetPolicy(allow_private=True, allow_http=True),
            retry_base=0.05,
            poll_interval=0.05,
        )
        with dispatching(WebhookDispatcher(ledger, settings)):
            wait_until(lambda: sum("location.registered" in line for line in printed) >= 9)
    finally:
        receiver.terminate()
        receiver.wait(10)
        reader.join(10)
        ledger.close()
    registered = [line for line in printed if line.startswith("com.mims.location.registered.v2")]
    assert len(registered) == 9
    positions = [int(line.split()[1]) for line in printed if line.strip()]
    assert positions == sorted(positions)
