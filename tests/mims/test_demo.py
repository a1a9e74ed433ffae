from __future__ import annotations

from pathlib import Path

from ledger.identity.authentication import Authenticator
from ledger.identity.roles import Role
from ledger.store import store_env
from ledger.writer import Ledger
from mims.demo import DEMO_PASSWORD, ITEMS_PER_KIND, SITE, demo_people, demo_user, load_demo


def test_the_demo_plant_loads_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    ledger = Ledger(store_env(url))
    try:
        posted, _ = load_demo(ledger, show_progress=False)
        assert posted > 6 * ITEMS_PER_KIND
        position = ledger.max_position()
        assert load_demo(ledger, show_progress=False) == (0, posted)
        assert ledger.max_position() == position
        assert ledger.location("QA").kind == "quarantine"  # type: ignore[union-attr]
        assert ledger.stock("RM-001").on_hand > 0  # type: ignore[union-attr]
    finally:
        ledger.close()


def test_demo_people_one_per_role_log_in_once_created(tmp_path: Path) -> None:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"))
    try:
        created, key = demo_people(ledger)
        assert created == [demo_user(role) for role in Role if role is not Role.SYSTEM]
        assert key is not None and key.startswith("mims_")
        authenticator = Authenticator(ledger)
        keeper = authenticator.by_password("demo-storekeeper", DEMO_PASSWORD)
        assert [(g.role, g.site) for g in keeper.grants] == [(Role.STOREKEEPER, SITE)]
        admin = authenticator.by_api_key(key)
        assert admin.on_behalf_of == "demo-administrator"
        assert demo_people(ledger) == ([], None)  # once: a second run adds nobody
    finally:
        ledger.close()
