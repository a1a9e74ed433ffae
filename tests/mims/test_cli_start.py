"""The CLI starts without importing what the command does not use (structural checks: how
fast is measured by ./scripts/bench cli). Each check runs a real `mims` in a fresh
interpreter and looks at sys.modules when it is done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from mims.cli import app
from mims.cli.lazy import LazyGroup

ROOT = Path(__file__).resolve().parents[2]
EOQ = ROOT / "docs" / "planning" / "examples" / "eoq.problem.json"
WATCHED = [
    "fastapi",
    "duckdb",
    "polars",
    "numpy",
    "scipy",
    "eventsourcing",
    "strawberry",
    "httpx",
    "pydantic",
    "statsforecast",
    "pandas",
    "ledger",
    "projections",
]
RUN = """
import json, sys
from mims.cli import main
found, sys.argv = sys.argv[1], ["mims", *sys.argv[2:]]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
json.dump([m for m in {watched} if m in sys.modules], open(found, "w"))
"""


def imported_by(tmp_path: Path, *args: str, stdin: str = "") -> tuple[set[str], str]:
    """The watched modules a `mims ARGS` run imported, and what it printed."""
    found = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(watched=WATCHED), str(found), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(found.read_text())), done.stdout


def test_help_imports_none_of_the_heavy_packages(tmp_path: Path) -> None:
    modules, printed = imported_by(tmp_path, "--help")
    assert "projections" in printed
    assert "replay" in printed
    assert modules == set()


def test_plan_eoq_imports_polars_and_pydantic_only(tmp_path: Path) -> None:
    modules, printed = imported_by(tmp_path, "plan", "eoq", stdin=EOQ.read_text())
    assert json.loads(printed)["items"]
    # and the ledger's vocabulary (LotSizeRule: ledger.values imports the standard library
    # only; eventsourcing, which the rest of the ledger needs, is watched)
    assert modules == {"polars", "pydantic", "ledger"}


def test_the_server_does_not_import_the_forecasting_stack(tmp_path: Path) -> None:
    """statsforecast (pandas, statsmodels, fugue) is imported by forecasting only."""
    script = (
        "import sys\n"
        "from mims.server import create_app\n"
        "create_app()\n"
        "print(sorted(m for m in ('statsforecast', 'pandas', 'statsmodels', 'fugue')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == "[]"


def _lazy_groups() -> list[tuple[str, LazyGroup]]:
    root = typer.main.get_group(app)
    assert isinstance(root, LazyGroup)
    plan = root.lazy["plan"].load("plan")
    assert isinstance(plan, LazyGroup)
    return [("mims", root), ("mims plan", plan)]


@pytest.mark.parametrize(("parent", "group"), _lazy_groups())
def test_every_lazy_command_loads_and_its_listing_says_what_it_does(
    parent: str, group: LazyGroup
) -> None:
    for name, lazy in group.lazy.items():
        command = lazy.load(name)
        assert command.name == name, f"{parent} {name}"
        said = " ".join((command.help or "").split())
        # The listing's line is the command's own help, or its start.
        assert said.startswith(" ".join(lazy.help.split()[:4])), f"{parent} {name}: {said}"


# exports: the functions of `mims export model|models|lake`, apart from the `export`
# group's module (export.py), which the EPCIS export shares.
SHARED = {"__init__", "common", "errors", "lazy", "exports"}


def test_each_command_group_has_its_module_named_after_it() -> None:
    """One naming scheme: `mims X` lives in mims/cli/X.py (a group's typer app is ``app``),
    and every module there is a command group's (or shared by them)."""
    root = typer.main.get_group(app)
    assert isinstance(root, LazyGroup)
    plan = root.lazy["plan"].load("plan")
    assert isinstance(plan, LazyGroup)
    entries = dict(root.lazy)
    for name, lazy in entries.items():
        # `import` is a Python keyword: its module is `imports`, its function `import_sheet`.
        module = {"replay": "projections", "import": "imports"}.get(name, name)
        assert lazy.module == f"mims.cli.{module}", name
        assert lazy.attribute in ("app", name, f"{name}_sheet"), name
    modules = {p.stem for p in (ROOT / "src" / "mims" / "cli").glob("*.py")} - SHARED
    listed = {lazy.module.rsplit(".", 1)[1] for lazy in [*entries.values(), *plan.lazy.values()]}
    assert modules == listed
