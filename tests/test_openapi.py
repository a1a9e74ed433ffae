"""The served OpenAPI document describes the API exactly: a bounded Schemathesis run
(response conformance, status codes, content types, Allow headers, valid data accepted and
invalid data refused) against a real `mims serve` holding the demo plant finds 0 failures.

By hand, against any running server (from the repository's root):
    st --config-file tests/schemathesis.toml run http://127.0.0.1:8000/openapi.json \\
        --checks all --phases examples,coverage,fuzzing -n 15 --generation-database none
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import SITE, load_demo
from tests.support.identity import issue_key
from tests.support.schemathesis import fuzz
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 15


@pytest.mark.timeout(900)  # 240 s on a busy machine, past the default 300 s on a busier one
def test_the_api_answers_as_its_openapi_document_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings())
    try:
        load_demo(ledger, show_progress=False)
        # Everything an administrator may do, and the signed quality decisions at the plant.
        key = issue_key(ledger, (("administrator", "*"), ("quality_approver", SITE)))
    finally:
        ledger.close()
    with ServerProcess(url, MIMS_READ_MODEL_PATH=str(tmp_path / "read.duckdb")) as server:
        run = fuzz(
            f"{server.url}/openapi.json",
            key,
            tmp_path,
            checks="all",
            phases="examples,coverage,fuzzing",
            examples=EXAMPLES_PER_OPERATION,
            config=CONFIG,
        )
    summary = run.summary
    print(summary)  # operations, cases generated and failures, in the test's output
    found = run.failures
    assert not found, "\n".join(f"{n} x {what}" for what, n in sorted(found.items()))
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Tested: " in summary
