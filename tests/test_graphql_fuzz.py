"""GraphQL fuzzing: a bounded Schemathesis run against the schema a real `mims serve`
holding the demo plant serves at /graphql (introspected; as an administrator, then as a
planner of the plant's site), and 0
server errors: no 5xx, no error in ``errors`` that the server did not mean (an internal
one, without a code of ours), and every answer a GraphQL response. Prints "graphql fuzz:
cases N, server errors 0".

Queries that are valid GraphQL but that the plant refuses (a cost over the budget, a
recall with no start, a code no command would take, a position not reached) are answered
with an ``errors`` entry carrying a code: those are the client's, not failures, so the
"valid data accepted" check is not run; the server-error and response checks are.

By hand, against any running server (from the repository's root):
    SCHEMATHESIS_HOOKS=tests/support/schemathesis_graphql.py st run http://127.0.0.1:8000/graphql -H "Authorization: Bearer $KEY" \\
        --checks not_a_server_error,response_schema_conformance -n 6 --generation-database none
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import SITE, load_demo
from tests.support.identity import admin_key, issue_key
from tests.support.schemathesis import fuzz
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES_PER_FIELD = 6
CHECKS = "not_a_server_error,response_schema_conformance"
HOOKS = Path(__file__).parent / "support" / "schemathesis_graphql.py"  # the Decimal scalar


def test_fuzzed_graphql_queries_find_no_server_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As an administrator (every site), and as the plant's planner (its one site: every
    resolver then takes its scoped path, `queries.access.in_scope`)."""
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    try:
        load_demo(ledger, show_progress=False)
        keys = {
            "administrator": admin_key(ledger),
            "planner": issue_key(ledger, (("planner", SITE),), name="site planner"),
        }
    finally:
        ledger.close()
    cases, found = 0, Counter[str]()
    with ServerProcess(url, MIMS_READ_MODEL_PATH=str(tmp_path / "read.duckdb")) as server:
        for who, key in keys.items():
            run = fuzz(
                f"{server.url}/graphql",
                key,
                tmp_path / who,
                checks=CHECKS,
                phases="examples,fuzzing",
                examples=EXAMPLES_PER_FIELD,
                hooks=HOOKS,
            )
            assert run.failures or run.returncode == 0, run.stdout[-3000:]
            cases += run.cases
            found.update({f"{who}: {what}": n for what, n in run.failures.items()})
            with capsys.disabled():
                print(f"\n{who}: {run.summary}")
    with capsys.disabled():
        print(f"graphql fuzz: cases {cases}, server errors {sum(found.values())}")
    assert not found, "\n".join(f"{n} x {what}" for what, n in sorted(found.items()))
    assert cases >= 200, f"only {cases} cases ran"
