"""The benchmarks run (briefly): a benchmark that no longer starts is caught here, not
when someone needs its figures. No figure is asserted: timing belongs to ./scripts/bench."""

from __future__ import annotations

import json

import pytest

from tests.support.services import require_service


@pytest.mark.postgres
@pytest.mark.slow
def test_bench_write_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", 5432)
    from benchmarks import write

    write.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    assert figures["inprocess_group_commit_per_s"]["baseline"] > 0
    assert figures["http_32_clients_per_s"]["value"] > 0
    assert all(x["bench"] == "write" for x in lines)


@pytest.mark.postgres
@pytest.mark.slow
def test_bench_production_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", 5432)
    from benchmarks import production

    production.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    for store in ("postgres", "sqlite"):
        assert figures[f"{store}_complete_300_lines_10_ops_p50_ms"]["baseline"] > 0
        # ten operations, and two lots drawn for each of the 300 components
        assert figures[f"{store}_events_per_completion"]["value"] > 2 * 300 + 10


@pytest.mark.postgres
@pytest.mark.slow
def test_bench_trace_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", 5432)
    from benchmarks import trace

    trace.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    for name in ("forward_trace", "backward_trace", "recall_simulation"):
        assert figures[f"{name}_p50_ms"]["baseline"] > 0  # the naive walk, same run
        assert figures[f"{name}_lots_p50"]["value"] > 10  # a genealogy, not a single lot
    assert figures["lots"]["value"] >= 2_000
    assert all(x["bench"] == "trace" for x in lines)


@pytest.mark.slow
def test_bench_cli_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import cli

    cli.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    for name in ("help_ms", "plan_eoq_ms", "projections_status_ms"):
        assert figures[name]["baseline"] == figures["python_pass_ms"]["value"] > 0
        assert figures[name]["value"] > 0
    assert all(x["bench"] == "cli" for x in lines)


@pytest.mark.slow
def test_bench_abuse_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import abuse

    abuse.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    quiet = figures["quiet_p99_ms"]["value"]
    assert quiet > 0
    assert figures["burst_p99_ms"]["baseline"] == quiet  # measured in the same run
    assert figures["burst_p99_unlimited_ms"]["baseline"] == quiet
    assert figures["flood_refused_share"]["value"] > 0  # the limit held the flood back
    assert figures["quiet_refused_share"]["value"] == 0
    assert all(x["bench"] == "abuse" for x in lines)


@pytest.mark.slow
def test_bench_epcis_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import epcis

    epcis.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    assert figures["export_ledger_events_per_s"]["baseline"] > 0
    assert figures["lot_export_ms"]["baseline"] > 0
    assert figures["validate_jsonschema_events_per_s"]["value"] > 0
    assert all(x["bench"] == "epcis" for x in lines)


@pytest.mark.slow
def test_bench_webhooks_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import webhooks

    webhooks.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    # Every event reached every batched subscription, signed; the baseline ran beside it.
    assert figures["10_subscriptions_batched_delivered_of_expected"]["value"] == 1
    assert figures["10_subscriptions_batched_unverified"]["value"] == 0
    assert figures["10_subscriptions_batched_p99_lag_ms"]["baseline"] > 0
    assert figures["peak_rss_mb"]["value"] > 0
    assert all(x["bench"] == "webhooks" for x in lines)


@pytest.mark.slow
def test_bench_exports_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import exports

    exports.main(["--rows=5000"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    for name in ("parquet_rows_per_s", "csv_rows_per_s", "xlsx_rows_per_s", "lake_rows_per_s"):
        assert figures[name]["value"] > 0
        assert figures[name]["baseline"] > 0
    assert all(x["bench"] == "exports" for x in lines)


@pytest.mark.postgres
@pytest.mark.nats
@pytest.mark.slow
def test_bench_relay_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", 5432)
    require_service("NATS", 4222)
    from benchmarks import relay

    relay.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    assert figures["relay_catch_up_per_s"]["baseline"] == figures["raw_publish_per_s"]["value"] > 0
    assert figures["relay_catch_up_per_s"]["value"] > 0
    assert figures["relay_peak_rss_mb"]["value"] > 0
    assert figures["lag_p99_ms"]["value"] >= figures["lag_p50_ms"]["value"] > 0
    assert figures["lag_p99_ms"]["baseline"] == figures["command_p99_ms"]["value"] > 0
    assert figures["lag_events"]["value"] > 0
    assert all(x["bench"] == "relay" for x in lines)


@pytest.mark.postgres
@pytest.mark.slow
def test_bench_import_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    require_service("PostgreSQL", 5432)
    from benchmarks import imports

    imports.main(["--quick"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    figures = {x["figure"]: x for x in lines}
    assert figures["import_s"]["baseline"] == figures["read_openpyxl_s"]["value"] > 0
    assert figures["read_calamine_s"]["baseline"] > 0
    assert figures["import_rows_per_s"]["value"] > 0
    assert figures["import_peak_rss_mb"]["value"] > 0
    assert all(x["bench"] == "import" for x in lines)
