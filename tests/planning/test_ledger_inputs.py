"""The ledger adapter's conventions on their own: buckets, lead times, phantoms."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from planning.ledger_inputs import MrpSettings, explode_phantoms, to_decimal

START = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("offset", "period"),
    [(0, 1), (6, 1), (7, 2), (13, 2), (-1, 0), (-7, 0), (-8, -1), (83, 12), (84, 13)],
)
def test_dates_fall_in_weekly_buckets_from_today(offset: int, period: int) -> None:
    s = MrpSettings(start=START)
    assert s.period(START + timedelta(days=offset)) == period
    assert s.period_start(period) <= START + timedelta(days=offset) < s.period_start(period + 1)


@pytest.mark.parametrize(("days", "periods"), [(0, 0), (1, 1), (7, 1), (8, 2), (14, 2), (15, 3)])
def test_lead_times_round_up_to_whole_buckets(days: int, periods: int) -> None:
    assert MrpSettings(start=START).lead_periods(days) == periods


def test_settings_refuse_what_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MrpSettings(start=START, bucket_days=0)
    with pytest.raises(ValueError, match="negative"):
        MrpSettings(start=START, holding_rate=-0.1)


def test_phantoms_are_driven_through_at_every_depth() -> None:
    """CAR = BODY + 2 x AXLE-KIT (phantom); AXLE-KIT = AXLE + 2 x HUB-KIT (phantom) + 4 x
    BOLT; HUB-KIT = HUB + 3 x BOLT. A phantom without a BOM of its own (LOOSE) stays."""
    bom = pl.DataFrame(
        [
            ("CAR", "BODY", 1.0, False),
            ("CAR", "AXLE-KIT", 2.0, True),
            ("CAR", "LOOSE", 1.0, True),
            ("AXLE-KIT", "AXLE", 1.0, False),
            ("AXLE-KIT", "HUB-KIT", 2.0, True),
            ("AXLE-KIT", "BOLT", 4.0, False),
            ("HUB-KIT", "HUB", 1.0, False),
            ("HUB-KIT", "BOLT", 3.0, False),
        ],
        schema=["parent", "component", "quantity_per", "phantom"],
        orient="row",
    )
    exploded = {(p, c): q for p, c, q in explode_phantoms(bom).iter_rows()}
    assert exploded == {
        ("CAR", "BODY"): 1.0,
        ("CAR", "AXLE"): 2.0,
        ("CAR", "HUB"): 4.0,
        ("CAR", "BOLT"): 2 * 4 + 2 * 2 * 3.0,
        ("CAR", "LOOSE"): 1.0,
        ("AXLE-KIT", "AXLE"): 1.0,
        ("AXLE-KIT", "HUB"): 2.0,
        ("AXLE-KIT", "BOLT"): 4 + 2 * 3.0,
        ("HUB-KIT", "HUB"): 1.0,
        ("HUB-KIT", "BOLT"): 3.0,
    }


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [(9.4, 6, "9.4"), (100.0, 6, "100"), (0.1 + 0.2, 6, "0.3"), (2.0, 0, "2"), (25.2, 2, "25.2")],
)
def test_planning_floats_become_the_decimals_they_stand_for(
    value: float, places: int, text: str
) -> None:
    assert str(to_decimal(value, places)) == text
