from __future__ import annotations

from pathlib import Path

from ledger.store import store_env
from ledger.writer import Ledger
from mims.demo import ITEMS_PER_KIND, load_demo


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
