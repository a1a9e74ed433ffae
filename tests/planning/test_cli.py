"""`mims plan KIND`: the worked examples in docs/planning, invalid input, and the schemas."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mims.cli.plan import app
from planning import capacity, mrp
from planning.kinds import KINDS, json_schemas

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "planning" / "examples"
SCHEMAS = ROOT / "schemas" / "planning"
runner = CliRunner()


def test_every_kind_has_an_example_pair() -> None:
    for name in KINDS:
        assert (EXAMPLES / f"{name}.problem.json").is_file(), name
        assert (EXAMPLES / f"{name}.result.json").is_file(), name


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_documented_example_gives_the_documented_result(kind: str) -> None:
    problem = (EXAMPLES / f"{kind}.problem.json").read_text()
    outcome = runner.invoke(app, [kind], input=problem)
    assert outcome.exit_code == 0, outcome.output
    expected = json.loads((EXAMPLES / f"{kind}.result.json").read_text())
    assert _close(json.loads(outcome.stdout), expected), kind


def _close(got: object, expected: object) -> bool:
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(_close(got[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(_close(g, e) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, float) and isinstance(got, (int, float)):
        return got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    return got == expected


@pytest.mark.parametrize(
    ("kind", "problem", "field"),
    [
        ("mrp", {"horizon": 2, "items": [{"item": "A", "lead_time": -1}]}, "items.0.lead_time"),
        ("mrp", {"horizon": 2, "items": [{"item": "A", "lead_tme": 1}]}, "items.0.lead_tme"),
        (
            "mrp",
            {
                "horizon": 2,
                "items": [{"item": "A"}],
                "bom": [{"parent": "A", "component": "X", "quantity_per": 1}],
            },
            "bom.component",
        ),
        (
            "mrp",
            {"horizon": 2, "items": [{"item": "A", "lot_size_rule": "kanban"}]},
            "items.0.lot_size_rule",
        ),
        (
            "lot-size",
            {
                "net_requirements": [1],
                "ordering_cost": 1,
                "holding_cost": 1,
                "rules": [{"rule": "fixed_order_quantity"}],
            },
            "parameters.lot_size_quantity",
        ),
        (
            "safety-stock",
            {
                "items": [
                    {
                        "item": "a",
                        "demand_mean": 1,
                        "demand_std": 1,
                        "lead_time": 1,
                        "method": "fill_rate",
                        "target": 0.9,
                    }
                ]
            },
            "items.order_quantity",
        ),
        ("forecast", {"horizon": 1, "models": ["prophet"], "history": []}, "models.0"),
        (
            "eoq",
            {"items": [{"item": "a", "annual_demand": 0, "ordering_cost": 1}]},
            "items.0.annual_demand",
        ),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(
    kind: str, problem: dict[str, object], field: str
) -> None:
    outcome = runner.invoke(app, [kind], input=json.dumps(problem))
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert field in outcome.stderr


def test_malformed_json_is_refused() -> None:
    outcome = runner.invoke(app, ["abc"], input="{not json")
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert "Invalid JSON" in outcome.stderr


def test_checked_in_schemas_are_current() -> None:
    generated = json_schemas()
    on_disk = {p.name for p in SCHEMAS.glob("*.json")}
    assert on_disk == set(generated), "run: mims plan schemas --write schemas/planning"
    for name, schema in generated.items():
        stored = json.loads((SCHEMAS / name).read_text())
        assert stored == schema, f"{name} is stale: run mims plan schemas --write schemas/planning"


def test_readme_documents_every_input_column() -> None:
    readme = (ROOT / "docs" / "planning" / "README.md").read_text()
    specs = [
        mrp.ITEM_COLUMNS,
        mrp.BOM_COLUMNS,
        mrp.DEMAND_COLUMNS,
        mrp.RECEIPT_COLUMNS,
        capacity.ORDER_COLUMNS,
        capacity.ROUTING_COLUMNS,
        capacity.MPS_COLUMNS,
        capacity.BOR_COLUMNS,
        capacity.CAPACITY_COLUMNS,
    ]
    for spec in specs:
        for column in spec:
            assert column.name in readme, column.name


def test_mrp_answers_quantities_as_exact_decimal_strings() -> None:
    """The README promises decimals: 3 units of A need 0.3 kg of resin (0.1 per A), which
    a float answers as 0.30000000000000004 and the CLI as "0.3"."""
    from mims.cli import app as mims

    problem = {
        "horizon": 2,
        "items": [
            {"item": "A", "lead_time": 0},
            {"item": "RESIN", "lead_time": 0, "precision": 6},
        ],
        "bom": [{"parent": "A", "component": "RESIN", "quantity_per": "0.1"}],
        "demand": [{"item": "A", "period": 1, "quantity": "3"}],
    }
    outcome = runner.invoke(mims, ["plan", "mrp"], input=json.dumps(problem))
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    orders = {o["item"]: o["quantity"] for o in result["planned_orders"]}
    assert orders == {"A": "3", "RESIN": "0.3"}
    quantities = [
        *(r[f] for r in result["records"] for f in r if f not in ("item", "period")),
        *(p["quantity"] for p in result["pegging"]),
        *(x["quantity"] for x in result["exceptions"]),
        *(i["ending_balance"] for i in result["items"]),
    ]
    assert quantities
    assert all(isinstance(q, str) and Decimal(q).is_finite() for q in quantities), quantities
    # Costs stay numbers (documented: estimates, not quantities).
    assert all(isinstance(i["total_cost"], (int, float)) for i in result["items"])
