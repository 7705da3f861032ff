"""`make bench` end to end with tiny bounds, so the benchmark code cannot silently rot.

The figures are meaningless at these sizes; only their presence and shape are checked.
The platform runs as `make bench` runs it (separate processes), on a vhost of its own and
schemas under this test run's prefix.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench import history, referrals, run
from bench.platform import Bounds, measure_platform
from shared import testing
from shared.testing.plugin import SERVER_AMQP_URI

TINY = Bounds(seconds=0.3, max_requests=30, clients=(1, 8), settle_seconds=15.0,
              min_log_events=300, fill_seconds=10.0, relay_seconds=30.0, rebuild_timeout=60.0,
              idle_seconds=0.2, application_seconds=0.2)
PROCESSES = ("intake", "gateway", "relay", "consumer", "relay_backlog", "rebuild", "bench")


@pytest.fixture
def bench_store(cfg):
    """A vhost of its own (the run's vhost may hold other tests' queues) and a schema prefix
    under the run's, so the session's clean-up catches whatever this test leaves; its own
    per test, since key vaults are cached per process by schema and would take a schema
    dropped by an earlier test and made again under the same name as ready."""
    run_id = testing.new_run_id()
    broker = testing.BrokerRun.named(SERVER_AMQP_URI, f"bench-{run_id}")
    testing.create_broker_run(broker)  # as `make bench` does: the services' users, exchanges
    bench_cfg = dataclasses.replace(cfg, schema_prefix=f"{cfg.schema_prefix}b{run_id}_",
                                    amqp_uri=broker.uri(broker.run_user),
                                    broker_user_prefix=broker.prefix)
    yield bench_cfg
    testing.drop_schemas(cfg, bench_cfg.schema_prefix)
    testing.delete_broker_run(broker)


@pytest.mark.slow
def test_the_benchmark_measures_every_figure_with_tiny_bounds(bench_store):
    cfg = bench_store
    baseline = run.measure_baselines(cfg, cfg.amqp_uri, seconds=0.2)
    for name, unit in (("postgres_insert_commit", "commits"),
                       ("rabbitmq_confirmed_publish", "publishes"),
                       ("eventsourcing_save", "saves"), ("nameko_rpc_echo", "calls"),
                       ("eventsourcing_save_in_prepared_process", "saves")):
        assert baseline[name][unit] > 0, name

    platform = measure_platform(cfg, cfg.amqp_uri, TINY)

    for clients in ("1_client", "8_clients"):
        key = f"gateway_post_contacts_{clients}"
        assert platform[f"{key}_per_s"] > 0
        assert platform[f"{key}_errors"] == 0
        assert platform[f"{key}_p50_ms"] <= platform[f"{key}_p99_ms"]
        cpu = platform["details"][key]["cpu_ms_per_request"]
        assert cpu["intake"] > 0 and cpu["gateway"] > 0
    for where in ("to_consumer", "to_read_model"):
        assert platform[f"propagation_{where}_missing"] == 0, platform["details"]
        assert platform[f"propagation_{where}_p99_ms"] is not None
    assert platform["propagation_achieved_per_s"] > 0
    for mode in ("prepared", "plain"):
        assert platform[f"intake_application_log_contact_{mode}_process_per_s"] > 0
    assert platform["relay_backlog_events"] > 0
    assert platform["relay_backlog_events_per_s"] > 0
    assert platform["rebuild_events"] >= TINY.min_log_events
    assert platform["rebuild_events_per_s"] > 0
    for name in PROCESSES:
        assert platform[f"peak_rss_mb_{name}"] > 0, name
    assert set(platform["details"]["exit_codes"]) == {"intake", "gateway", "relay", "consumer"}

    baseline["eventsourcing_save_after_platform"] = baseline["eventsourcing_save"]
    results = {"baseline": baseline, "platform": platform,
               "ratios": run.compare(baseline, platform),
               "targets": run.check_targets(baseline, platform), "run": {}}
    assert all(value is not None and value > 0 for value in results["ratios"].values()), \
        results["ratios"]
    assert {"gateway_8_clients_at_least_30pct_of_raw_eventsourcing_saves",
            "propagation_to_consumer_p99_under_250ms_at_half_load",
            "propagation_to_read_model_p99_under_250ms_at_half_load",
            "rebuild_at_least_5000_events_per_s",
            "every_process_under_200mb_peak_rss"} == set(results["targets"])
    assert all(isinstance(t["met"], bool) for t in results["targets"].values())
    table = run.render(results)
    assert "gateway_post_contacts_8_clients_per_s" in table and "targets" in table
    json.dumps(results)  # results.json can be written


@pytest.mark.slow
def test_the_referral_benchmark_measures_haven_and_the_peer_with_tiny_bounds(bench_store):
    """bench/referrals.py: a handful of referrals through both, and openings in a year that
    holds a few cases; every referral became one case, references unique and gap-free."""
    figures = referrals.measure_referrals(bench_store, bench_store.amqp_uri, referrals=5,
                                          year_sizes=(4, 12), openings=6)
    for row in (*figures["peer"].values(), figures["haven"]):
        assert row["referrals"] == 5 and row["referrals_per_s"] > 0
    assert set(figures["openings"]) == {"with_4_cases", "with_12_cases",
                                        "references_unique_and_gap_free",
                                        "cases_in_the_year_at_end"}
    assert figures["openings"]["references_unique_and_gap_free"] is True
    assert figures["openings"]["cases_in_the_year_at_end"] == 18
    assert {"referral_to_case_at_least_30pct_of_eventsourcing_system",
            "openings_with_12_cases_within_2x_of_4"} == set(figures["targets"])
    assert all(isinstance(t["met"], bool) for t in figures["targets"].values())


@pytest.mark.slow
def test_the_history_benchmark_times_a_case_at_two_store_sizes(cfg):
    """bench/history.py: a small synthetic store grown twice, history, replay and export
    timed at each size, and the targets bench.run reports from them."""
    found = history.measure_history(cfg, sizes=(400, 900))
    assert set(found["sizes"]) == {"400", "900"}
    for row in found["sizes"].values():
        assert row["cases"] > 0 and row["samples"] > 0
        for name in history.OPERATIONS:
            assert 0 < row[f"{name}_ms"]["p50"] <= row[f"{name}_ms"]["max"]
    targets = run.history_targets(found)
    assert set(targets) == {f"case_{name}_p95_at_900_events_within_2x_of_400"
                            for name in ("history", "replay", "export", "access")}
    assert all(isinstance(t["met"], bool) for t in targets.values())
    table = run.render({"baseline": {}, "platform": {}, "ratios": {}, "targets": targets,
                        "history": found})
    assert "a case, p50/p95 ms" in table and "access" in table
