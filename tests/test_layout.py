"""The test tree's one rule of imports: shared harness lives in ``tests/support/``, so no
test or benchmark imports another test module or a ``conftest.py`` (pytest loads those
itself, and a test that imports one runs its module-level code twice under two names)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
BENCHMARKS = TESTS.parent / "benchmarks"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_tests_and_benchmarks_import_shared_harness_only_from_support() -> None:
    wrong = [
        f"{path.relative_to(TESTS.parent)}: {module}"
        for path in sorted([*TESTS.rglob("*.py"), *BENCHMARKS.rglob("*.py")])
        for module in _imports(path)
        if module.startswith("tests.") and not module.startswith("tests.support")
    ]
    assert wrong == []
