"""Importing sheets: every bad row reported at once, nothing posted while one is bad,
the good ones with --skip-invalid, nothing posted twice, and each broken file of the
issue (wrong headers, unknown SKUs, bad decimals, duplicate keys, a lot-tracked row
without a lot, 20 MB, formulas and merged cells, a BOM with ``;`` separators)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.imports.importer import import_file
from mims.imports.tables import errors_copy
from tests.support.plant import Plant

HEADER = "sku,location,quantity,unit_cost,lot,expiry"


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    led = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    yield led
    led.close()


@pytest.fixture
def plant(ledger: Ledger) -> Plant:
    plant = Plant(ledger)
    plant.item("STEEL", precision=2)
    plant.item("RESIN", tracking="lot", precision=3)
    plant.item("BOLT", unit_of_measure="ea", precision=0)
    return plant


def csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()


def found(result: object) -> set[tuple[int, str | None, str]]:
    return {(p.row, p.column, p.type) for p in result.errors}  # type: ignore[attr-defined]


def test_every_bad_row_is_reported_at_once_and_nothing_is_posted(plant: Plant) -> None:
    before = plant.ledger.max_position()
    sheet = csv(
        "STEEL,A,10.5,2,,",  # 2: good
        "NOPE,A,1,1,,",  # 3: unknown SKU
        'STEEL,B,"1,5",2,,',  # 4: a comma decimal
        "RESIN,A,4,3,,",  # 5: lot-tracked without a lot
        "BOLT,A,2.5,1,,",  # 6: more decimals than the unit allows
        "BOLT,B,3,1,,",  # 7: duplicate key (with 8)
        "bolt,b,4,1,,",  # 8: the same key, written in lower case
        "STEEL,NOWHERE,1,1,,",  # 9: unknown location
        "STEEL,QA,1,abc,,",  # 10: not a number
        "RESIN,A,1,1,L1,2001-01-01",  # 11: expired
        "STEEL,W,1,1,,",  # 12: a warehouse holds stock only in its zones
    )
    result, _ = import_file(plant.ledger, "opening-balances", "ob.csv", sheet)
    assert found(result) == {
        (3, "sku", "not-found"),
        (4, "quantity", "decimal-comma"),
        (5, "lot", "lot-rule"),
        (6, "quantity", "precision-exceeded"),
        (7, "sku", "duplicate-key"),
        (8, "sku", "duplicate-key"),
        (9, "location", "not-found"),
        (10, "unit_cost", "decimal-text"),
        (11, "expiry", "lot-expired"),
        (12, "location", "location-not-stockable"),
    }
    comma = next(p for p in result.errors if p.row == 4)
    assert comma.value == "1,5"
    assert "1.5" in comma.message
    assert result.posted == 0
    assert plant.ledger.max_position() == before


def test_skip_invalid_posts_exactly_the_good_rows(plant: Plant) -> None:
    sheet = csv("STEEL,A,10.5,2,,", "NOPE,A,1,1,,", "RESIN,A,4.125,3,L7,", "BOLT,B,x,1,,")
    result, _ = import_file(plant.ledger, "opening_balances", "ob.csv", sheet, skip_invalid=True)
    assert (result.posted, result.skipped) == (2, 2)
    assert {p.row for p in result.errors} == {3, 5}
    assert plant.card("STEEL").balances == {("A", "", "available"): Decimal("10.5")}
    assert plant.card("RESIN").balances == {("A", "L7", "available"): Decimal("4.125")}
    assert not plant.card("BOLT").balances


def test_importing_the_same_file_again_posts_nothing_twice(plant: Plant) -> None:
    sheet = csv("STEEL,A,10,2,,", "RESIN,B,4,3,L1,2099-01-31")
    first, _ = import_file(plant.ledger, "opening-balances", "ob.csv", sheet)
    assert (first.posted, first.duplicates) == (2, 0)
    after_first = plant.ledger.max_position()
    again, _ = import_file(plant.ledger, "opening-balances", "renamed.csv", sheet)
    assert (again.posted, again.duplicates, again.errors) == (0, 2, [])
    assert plant.ledger.max_position() == after_first
    assert plant.card("STEEL").balances == {("A", "", "available"): Decimal(10)}
    # The same rows in another file are other rows: posted again, on purpose.
    other, _ = import_file(plant.ledger, "opening-balances", "ob.csv", sheet + b"\n")
    assert other.posted == 2


def test_master_data_again_is_a_duplicate_not_an_error(ledger: Ledger) -> None:
    items = csv("A1,Steel,raw_material,kg", header="sku,description,kind,unit_of_measure")
    first, _ = import_file(ledger, "items", "items.csv", items)
    assert first.posted == 1
    again, _ = import_file(ledger, "items", "items.csv", items)
    assert (again.posted, again.duplicates, again.errors) == (0, 1, [])
    # Another file registering the same SKU is refused before anything is posted.
    other = items.replace(b"Steel", b"Steel sheet")
    refused, _ = import_file(ledger, "items", "other.csv", other)
    assert found(refused) == {(2, "sku", "already-exists")}


def test_wrong_headers_are_reported_by_column(plant: Plant) -> None:
    before = plant.ledger.max_position()
    sheet = csv("STEEL,A,1,1", header="SKU,loc,quantity,unit cost")
    result, _ = import_file(plant.ledger, "opening-balances", "ob.csv", sheet)
    assert found(result) == {
        (1, "location", "missing-column"),
        (1, "unit_cost", "missing-column"),
        (1, "loc", "unknown-column"),
        (1, "unit cost", "unknown-column"),
    }
    assert plant.ledger.max_position() == before


def test_a_csv_with_a_bom_and_semicolons(plant: Plant) -> None:
    sheet = b"\xef\xbb\xbf" + b"sku;location;quantity;unit_cost\r\nSTEEL;A;7.25;2\r\n"
    result, _ = import_file(plant.ledger, "opening-balances", "ob.csv", sheet)
    assert (result.posted, result.errors) == (1, [])
    assert plant.card("STEEL").balances == {("A", "", "available"): Decimal("7.25")}


def test_locations_are_posted_after_their_parents(ledger: Ledger) -> None:
    sheet = csv(
        "Z1,zone,W1", "B1,bin,Z1", "W1,warehouse,S1", "S1,site,", header="code,level,parent"
    )
    result, _ = import_file(ledger, "locations", "loc.csv", sheet)
    assert (result.posted, result.errors) == (4, [])
    found_bin = ledger.location("B1")
    assert found_bin is not None
    assert found_bin.parent == "Z1"


def xlsx(rows: list[list[object]], merge: tuple[int, int, int, int, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("="):
                formula, _, cached = value.partition("|")
                sheet.write_formula(r, c, formula, None, Decimal(cached))
            elif value is not None:
                sheet.write(r, c, value)
    if merge is not None:
        sheet.merge_range(*merge)
    book.close()
    return buffer.getvalue()


def test_an_xlsx_with_formulas_and_merged_cells(plant: Plant) -> None:
    before = plant.ledger.max_position()
    rows: list[list[object]] = [
        ["sku", "location", "quantity", "unit_cost"],
        ["STEEL", "A", 10, 2.5],
        ["STEEL", "B", "=C2*2|20", 2.5],  # a formula: its cached value is read
        [None, "A", 3, 1],  # merged with the row below: the value is in this row only
        [None, "B", 4, 1],
    ]
    sheet = xlsx(rows, merge=(3, 0, 4, 0, "BOLT"))
    result, validated = import_file(plant.ledger, "opening-balances", "ob.xlsx", sheet)
    assert found(result) == {(5, "sku", "missing")}
    assert plant.ledger.max_position() == before
    report = pl.read_excel(errors_copy(validated.table, validated.errors_by_row()))
    assert report["errors"].to_list() == [None, None, None, "sku: sku is required"]
    assert report["quantity"].to_list()[1] == "20"
    fixed, _ = import_file(plant.ledger, "opening-balances", "ob.xlsx", sheet, skip_invalid=True)
    assert fixed.posted == 3
    assert plant.card("STEEL").balances[("B", "", "available")] == Decimal(20)


def test_the_csv_error_copy_keeps_the_separator_and_adds_a_column(plant: Plant) -> None:
    sheet = b"sku;location;quantity;unit_cost\nSTEEL;A;1;1\nNOPE;A;1;1\n"
    result, validated = import_file(plant.ledger, "opening-balances", "ob.csv", sheet)
    copy = errors_copy(validated.table, validated.errors_by_row()).decode()
    assert copy.splitlines()[0] == "sku;location;quantity;unit_cost;errors"
    assert copy.splitlines()[2] == "NOPE;A;1;1;sku: no item NOPE"
    assert result.posted == 0


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_20_mb_file_with_one_bad_row(ledger: Ledger, tmp_path: Path) -> None:
    description = "x" * 480
    lines = [f"SKU-{n:06d},{description},raw_material,kg" for n in range(42_000)]
    lines[40_123] = lines[40_123].replace("raw_material", "unobtainium")
    sheet = csv(*lines, header="sku,description,kind,unit_of_measure")
    assert len(sheet) > 20_000_000
    before = ledger.max_position()
    result, _ = import_file(ledger, "items", "big.csv", sheet)
    assert found(result) == {(40_125, "kind", "enum")}
    assert ledger.max_position() == before


def test_receipts_may_repeat_a_row_and_name_their_supplier(plant: Plant) -> None:
    sheet = csv(
        "STEEL,A,5,2,ACME,PO-1",
        "STEEL,A,5,2,ACME,PO-1",  # two deliveries alike: both received
        header="sku,location,quantity,unit_cost,supplier,reference",
    )
    result, _ = import_file(plant.ledger, "receipts", "receipts.csv", sheet)
    assert (result.posted, result.errors) == (2, [])
    assert plant.card("STEEL").balances == {("A", "", "available"): Decimal(10)}
