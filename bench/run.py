"""`make bench`: raw baselines and the platform, side by side, in one run on this machine.

    .venv/bin/python -m bench.run [--seconds 8] [--baseline-seconds 3] [--profile DIR]

1. raw baselines: bench/raw.py's functions, each in the process that keeps it raw
   (`measure_baselines`: PostgreSQL, RabbitMQ and eventsourcing here, in a plain process;
   nameko RPC in a prepared one, since nameko runs only on eventlet). This process is
   never monkey-patched, so the load generator's threads are OS threads;
2. the platform (bench/platform.py) in separate OS processes on a throwaway schema
   prefix and RabbitMQ vhost, removed afterwards even on failure;
3. the raw eventsourcing save once more, to show how much the machine's load drifted;
4. a table on stdout, and bench/results.json:
   {"baseline": ..., "platform": ..., "ratios": ..., "targets": ..., "run": ...}.

Exit status 0 when everything was measured, whether or not targets were met (the table
and results.json say which); 1 when a measurement failed.
"""

from __future__ import annotations

if __name__ == "__main__":
    import os

    # This process stays plain (no eventlet): psycopg's own C wait function, OS threads.
    os.environ.pop("PSYCOPG_WAIT_FUNC", None)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from bench.platform import REPO, Bounds, measure_platform, peak_rss_mb  # noqa: E402
from shared import testing  # noqa: E402
from shared.config import Settings  # noqa: E402

RESULTS = REPO / "bench" / "results.json"

# The targets: (key in "targets", description).
THROUGHPUT_SHARE = 0.30
PROPAGATION_P99_MS = 250.0
REBUILD_PER_S = 5_000.0
RSS_MB = 200.0


def _process_kind() -> str:
    import eventlet.patcher

    return ("prepared (eventlet, PSYCOPG_WAIT_FUNC=wait_select)"
            if eventlet.patcher.is_monkey_patched("socket") else "plain (no eventlet)")


def measure_baselines(cfg: Settings, amqp_uri: str, seconds: float) -> dict[str, Any]:
    """bench/raw.py's baselines, each in the process that keeps it raw.

    `bench.raw.measure_baseline` must run in a monkey-patched process (nameko needs it), and
    there psycopg waits through eventlet (`wait_select`): measured here, that costs the bare
    eventsourcing save a third or more of its rate -- not a bare-library figure. So the
    PostgreSQL, RabbitMQ and eventsourcing loops run here, in this plain process, and nameko's
    RPC in a prepared one, which also repeats the eventsourcing save to show what the
    preparation costs (`eventsourcing_save_in_prepared_process`).
    """
    from bench import raw
    from bench.platform import procs_json

    here = _process_kind()
    baseline: dict[str, Any] = {"machine": raw.machine(cfg, amqp_uri)}
    for name, figures in (
            ("postgres_insert_commit", lambda: raw.raw_postgres_insert(cfg, seconds)),
            ("rabbitmq_confirmed_publish",
             lambda: raw.raw_rabbitmq_confirmed_publish(amqp_uri, seconds)),
            ("eventsourcing_save", lambda: raw.raw_eventsourcing_save(cfg, seconds))):
        baseline[name] = {**figures(), "process": here}
    prepared = procs_json(cfg, amqp_uri, "raw-prepared", str(seconds), timeout=seconds * 2 + 120)
    kind = "prepared (eventlet, PSYCOPG_WAIT_FUNC=wait_select)"
    baseline["nameko_rpc_echo"] = {**prepared["nameko_rpc_echo"], "process": kind}
    baseline["eventsourcing_save_in_prepared_process"] = {**prepared["eventsourcing_save"],
                                                          "process": kind}
    return baseline


def _get(d: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _ratio(a: Any, b: Any, digits: int = 3) -> float | None:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b:
        return None
    return round(a / b, digits)


def compare(baseline: dict[str, Any], platform: dict[str, Any]) -> dict[str, Any]:
    """Platform figure / raw figure, each named for both sides."""
    save_rate = _get(baseline, "eventsourcing_save", "saves_per_second")
    prepared_rate = _get(baseline, "eventsourcing_save_in_prepared_process", "saves_per_second")
    save_p50 = _get(baseline, "eventsourcing_save", "latency_ms_p50")
    rpc_p50 = _get(baseline, "nameko_rpc_echo", "latency_ms_p50")
    publish_rate = _get(baseline, "rabbitmq_confirmed_publish", "publishes_per_second")
    insert_rate = _get(baseline, "postgres_insert_commit", "commits_per_second")
    p = platform
    return {
        "gateway_post_contacts_1_client_per_s_over_eventsourcing_saves_per_s":
            _ratio(p.get("gateway_post_contacts_1_client_per_s"), save_rate),
        "gateway_post_contacts_8_clients_per_s_over_eventsourcing_saves_per_s":
            _ratio(p.get("gateway_post_contacts_8_clients_per_s"), save_rate),
        "gateway_post_contacts_8_clients_per_s_over_eventsourcing_saves_in_prepared_process_per_s":
            _ratio(p.get("gateway_post_contacts_8_clients_per_s"), prepared_rate),
        "gateway_post_contacts_1_client_p50_ms_over_eventsourcing_save_p50_ms":
            _ratio(p.get("gateway_post_contacts_1_client_p50_ms"), save_p50, 1),
        "gateway_post_contacts_1_client_p50_ms_over_nameko_rpc_echo_p50_ms":
            _ratio(p.get("gateway_post_contacts_1_client_p50_ms"), rpc_p50, 1),
        "intake_application_log_contact_plain_process_per_s_over_eventsourcing_saves_per_s":
            _ratio(p.get("intake_application_log_contact_plain_process_per_s"), save_rate),
        "intake_application_log_contact_prepared_process_per_s_over_eventsourcing_saves_in_prepared_process_per_s":
            _ratio(p.get("intake_application_log_contact_prepared_process_per_s"),
                   prepared_rate),
        "relay_backlog_events_per_s_over_rabbitmq_confirmed_publishes_per_s":
            _ratio(p.get("relay_backlog_events_per_s"), publish_rate),
        "rebuild_events_per_s_over_postgres_insert_commits_per_s":
            _ratio(p.get("rebuild_events_per_s"), insert_rate),
    }


def check_targets(baseline: dict[str, Any], platform: dict[str, Any]) -> dict[str, Any]:
    """Each target with what it needs, what was measured and whether it was met.
    A figure that could not be measured never counts as met."""
    def share(*path: str) -> float | None:
        rate = _get(baseline, *path, "saves_per_second")
        return round(THROUGHPUT_SHARE * rate, 1) if isinstance(rate, int | float) else None

    eight = platform.get("gateway_post_contacts_8_clients_per_s")
    needed = share("eventsourcing_save")
    targets: dict[str, Any] = {
        "gateway_8_clients_at_least_30pct_of_raw_eventsourcing_saves": {
            "needed_per_s": needed, "measured_per_s": eight,
            # The verdict uses the raw save in a plain process, measured before the
            # platform. For judging it: the same save measured after the platform (did the
            # machine's load drift?), and in a prepared process (what eventlet costs).
            "needed_per_s_by_save_after_platform": share("eventsourcing_save_after_platform"),
            "needed_per_s_by_save_in_prepared_process":
                share("eventsourcing_save_in_prepared_process"),
            "met": bool(needed is not None and eight is not None and eight >= needed)},
    }
    for where in ("to_consumer", "to_read_model"):
        p99 = platform.get(f"propagation_{where}_p99_ms")
        missing = platform.get(f"propagation_{where}_missing")
        targets[f"propagation_{where}_p99_under_250ms_at_half_load"] = {
            "needed_ms": PROPAGATION_P99_MS, "measured_p99_ms": p99, "missing": missing,
            "met": bool(p99 is not None and p99 < PROPAGATION_P99_MS and missing == 0)}
    rebuild = platform.get("rebuild_events_per_s")
    targets["rebuild_at_least_5000_events_per_s"] = {
        "needed_per_s": REBUILD_PER_S, "measured_per_s": rebuild,
        "met": bool(rebuild is not None and rebuild >= REBUILD_PER_S)}
    rss = {k.removeprefix("peak_rss_mb_"): v for k, v in platform.items()
           if k.startswith("peak_rss_mb_")}
    known = {k: v for k, v in rss.items() if isinstance(v, int | float)}
    worst = max(known, key=lambda k: known[k]) if known else None
    targets["every_process_under_200mb_peak_rss"] = {
        "needed_mb": RSS_MB, "largest": worst, "largest_mb": known.get(worst) if worst else None,
        "unmeasured": sorted(set(rss) - set(known)),
        "met": bool(known) and len(known) == len(rss) and max(known.values()) < RSS_MB}
    return targets


# -- the table ---------------------------------------------------------------------------
def embedded_targets(at_rest: dict[str, Any]) -> dict[str, Any]:
    from bench.embedded import targets

    return targets(at_rest) if at_rest else {}


INCREMENTAL_VERIFY_S = 1.0


def verify_targets(figures: dict[str, Any]) -> dict[str, Any]:
    """Incremental verify of a day's events on the largest store measured: under 1 s."""
    if not figures:
        return {}
    largest = max(figures, key=int)
    seconds = figures[largest].get("incremental_seconds")
    return {"incremental_verify_of_a_day_under_1s": {
        "needed_s": INCREMENTAL_VERIFY_S, "store_events": int(largest), "measured_s": seconds,
        "met": bool(seconds is not None and seconds < INCREMENTAL_VERIFY_S)}}


def measure_history(sizes: str) -> dict[str, Any]:
    """bench/history.py in a process of its own (it prepares psycopg for eventlet)."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.history", "--sizes", sizes], cwd=REPO,
        capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench.history failed ({out.returncode}):\n{out.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(out.stdout)
    return found


def _timed_operations(found: dict[str, Any]) -> list[str]:
    """history, replay, export, access: what bench/history.py timed (not imported here: it
    prepares psycopg for eventlet when imported, and this process stays plain)."""
    return [key.removesuffix("_p95_ratio") for key in found if key.endswith("_p95_ratio")]


def history_targets(history: dict[str, Any]) -> dict[str, Any]:
    """A case's history, replay and export: p95 at the largest store within 2x of the
    smallest (the cost follows the case, not the store)."""
    found = history.get("targets") or {}
    if not found:
        return {}
    return {f"case_{name}_p95_at_{found['to']}_events_within_2x_of_{found['from']}": {
        "ratio": found[f"{name}_p95_ratio"], "met": bool(found[f"{name}_within_2x"])}
        for name in _timed_operations(found)}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(results: dict[str, Any]) -> str:
    baseline, platform = results["baseline"], results["platform"]
    details = platform.get("details", {})
    machine = baseline.get("machine", {})
    lines = [f"machine: {machine.get('cpus')} CPUs, load (1/5/15 min)"
             f" {machine.get('load_average_1m_5m_15m')} at start,"
             f" {results.get('run', {}).get('load_average_at_end')} at end;"
             f" Python {machine.get('python')}, PostgreSQL {machine.get('postgresql')},"
             f" RabbitMQ {machine.get('rabbitmq')}", ""]

    lines.append(f"{'raw baseline (sequential, one at a time)':<40}{'count':>8}{'per s':>10}"
                 f"{'p50 ms':>9}{'p99 ms':>9}  process")
    for name, unit in (("postgres_insert_commit", "commits"),
                       ("rabbitmq_confirmed_publish", "publishes"),
                       ("eventsourcing_save", "saves"), ("nameko_rpc_echo", "calls"),
                       ("eventsourcing_save_in_prepared_process", "saves"),
                       ("eventsourcing_save_after_platform", "saves")):
        row = baseline.get(name)
        if isinstance(row, dict):
            lines.append(f"{name:<40}{_fmt(row.get(unit)):>8}"
                         f"{_fmt(row.get(f'{unit}_per_second')):>10}"
                         f"{_fmt(row.get('latency_ms_p50')):>9}"
                         f"{_fmt(row.get('latency_ms_p99')):>9}"
                         f"  {str(row.get('process', '')).split(' ')[0]}")

    shown = {k: v for k, v in platform.items() if k != "details"}
    width = max(map(len, shown), default=10) + 2
    lines += ["", f"{'platform':<{width}}{'value':>10}"]
    lines += [f"{key:<{width}}{_fmt(value):>10}" for key, value in shown.items()]

    phases = [k for k in ("gateway_post_contacts_1_client", "gateway_post_contacts_8_clients")
              if _get(details, k, "cpu_ms_per_request")]
    if phases:
        lines += ["", f"{'CPU ms per created contact':<28}"
                  + "".join(f"{p.removeprefix('gateway_post_contacts_'):>12}" for p in phases)]
        for name in details[phases[0]]["cpu_ms_per_request"]:
            lines.append(f"  {name:<26}" + "".join(
                f"{_fmt(details[p]['cpu_ms_per_request'].get(name)):>12}" for p in phases))
        lines.append(f"  {'machine busy %':<26}" + "".join(
            f"{_fmt(details[p].get('machine_busy_pct')):>12}" for p in phases))
        lines.append(f"  {'intake log_contact RPC ms':<26}" + "".join(
            f"{_fmt(details[p].get('intake_log_contact_rpc_mean_ms')):>12}" for p in phases))

    for name, profile in details.get("cpu_profiles", {}).items():
        lines += ["", f"where {name}'s CPU went ({profile['samples']} samples of 1 ms CPU)"]
        for title, key in (("green thread", "by_green_thread_pct"),
                           ("package (self)", "by_package_self_pct"),
                           ("Haven function (inclusive)", "by_haven_function_inclusive_pct")):
            top = list(profile[key].items())[:8]
            lines.append(f"  {title}: " + ", ".join(f"{k} {v}%" for k, v in top))

    if results.get("verify"):
        lines += ["", f"{'haven audit verify':<22}{'events':>10}{'full s':>9}{'new':>7}"
                  f"{'incremental s':>15}"]
        for size, row in results["verify"].items():
            lines.append(f"  {size:<20}{_fmt(row.get('events')):>10}"
                         f"{_fmt(row.get('verify_seconds')):>9}"
                         f"{_fmt(row.get('incremental_new_events')):>7}"
                         f"{_fmt(row.get('incremental_seconds')):>15}")

    if results.get("referrals"):
        lines += ["", f"{'referral -> case, end to end':<44}{'referrals':>10}{'per s':>9}"]
        found = results["referrals"]
        for name, row in [*((f"eventsourcing System ({k})", v)
                            for k, v in found.get("peer", {}).items()),
                          ("Haven (intake, relay, RabbitMQ, casework)", found.get("haven"))]:
            if row:
                lines.append(f"  {name:<42}{_fmt(row['referrals']):>10}"
                             f"{_fmt(row['referrals_per_s']):>9}")
        for key, row in found.get("openings", {}).items():
            if isinstance(row, dict):
                lines.append(f"  case openings {key.replace('_', ' '):<28}"
                             f"{_fmt(row['openings']):>10}{_fmt(row['openings_per_s']):>9}")

    if results.get("history"):
        operations = _timed_operations(results["history"].get("targets") or {})
        lines += ["", f"{'a case, p50/p95 ms':<24}" + "".join(
            f"{name:>16}" for name in operations)]
        for size, row in results["history"].get("sizes", {}).items():
            lines.append(f"  {int(size):>10,} events   " + "".join(
                f"{_fmt(row[f'{name}_ms']['p50']):>8}/{_fmt(row[f'{name}_ms']['p95']):<7}"
                for name in operations))

    if results.get("embedded"):
        lines += ["", "haven dev at rest"]
        lines += [f"  {key:<28}{_fmt(value):>10}" for key, value in results["embedded"].items()]

    width = max(map(len, results["ratios"]), default=10) + 2
    lines += ["", f"{'ratio platform / raw':<{width}}{'value':>8}"]
    lines += [f"{key:<{width}}{_fmt(value):>8}" for key, value in results["ratios"].items()]

    lines += ["", "targets"]
    for key, target in results["targets"].items():
        facts = ", ".join(f"{k}={_fmt(v)}" for k, v in target.items() if k != "met")
        lines.append(f"  [{'met' if target['met'] else 'NOT MET'}] {key}: {facts}")
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _terminate_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every `finally` removes processes, schemas, vhost."""
    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=Bounds.seconds,
                        help="each platform load phase (default %(default)s)")
    parser.add_argument("--baseline-seconds", type=float, default=3.0,
                        help="each raw baseline loop (default %(default)s)")
    parser.add_argument("--min-log-events", type=int, default=Bounds.min_log_events,
                        help="relay and rebuild run over at least this many events"
                             " (default %(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="default %(default)s")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="run intake and gateway under a profiler; its files go to DIR"
                             " (figures measured so are distorted: for finding where time"
                             " goes, not for the table)")
    parser.add_argument("--profiler", choices=("sample", "cprofile"), default="sample",
                        help="sample: bench/sampler.py, CPU samples of green-thread stacks,"
                             " summarised in results.json (default); cprofile: .pstats")
    parser.add_argument("--relay-poll-interval", type=float, metavar="SECONDS",
                        help="what-if: run the relay with this poll interval instead of"
                             " `haven relay intake` (fixed at 0.5 s)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    parser.add_argument("--verify-sizes", default="10000,100000,1000000",
                        help="store sizes for full and incremental `haven audit verify`"
                             " (comma-separated; empty skips; default %(default)s)")
    parser.add_argument("--referrals", type=int, default=1000,
                        help="referral -> case end to end, Haven against eventsourcing's System"
                             " (bench/referrals.py); 0 skips (default %(default)s)")
    parser.add_argument("--year-sizes", default="100,10000",
                        help="cases already in the year when case openings are timed"
                             " (comma-separated; empty skips; default %(default)s)")
    parser.add_argument("--history-sizes", default="10000,100000,1000000",
                        help="store sizes (events) at which a case's history, replay and export"
                             " are timed (bench/history.py; empty skips; default %(default)s)")
    parser.add_argument("--embedded-idle-seconds", type=float, default=60.0,
                        help="`haven dev`'s idle CPU is sampled over this long after its demo"
                             " has loaded; 0 skips it (default %(default)s)")
    args = parser.parse_args(argv)
    _terminate_on_sigterm()
    started = time.monotonic()
    from bench.embedded import python_reference_ms

    reference_at_start = python_reference_ms()  # the machine's speed, beside the embedded one
    referrals: dict[str, Any] = {}
    base_cfg = Settings.from_env()
    run_id = testing.new_run_id()
    prefix, vhost = f"bench_{run_id}_", f"bench-{run_id}"
    bounds = Bounds(seconds=args.seconds, min_log_events=args.min_log_events)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    # A vhost with the services' broker users, as the tests have; the processes connect as
    # the run's user, which may publish as any service (RabbitMQ's impersonator tag).
    broker = testing.BrokerRun.named(base_cfg.amqp_uri, vhost)
    testing.create_broker_run(broker)
    amqp_uri = broker.uri(broker.run_user)
    cfg = dataclasses.replace(base_cfg, schema_prefix=prefix, amqp_uri=amqp_uri,
                              broker_user_prefix=broker.prefix)
    try:
        _progress(f"raw baselines (bench/raw.py), {args.baseline_seconds}s each")
        baseline = measure_baselines(cfg, amqp_uri, args.baseline_seconds)
        platform = measure_platform(cfg, amqp_uri, bounds, profile_dir=args.profile,
                                    keep_logs=args.keep_logs,
                                    relay_poll_interval=args.relay_poll_interval,
                                    profiler=args.profiler,
                                    progress=_progress)
        if args.referrals or args.year_sizes:
            from bench.referrals import measure_referrals

            _progress(f"referral -> case: {args.referrals} referrals, Haven and eventsourcing's"
                      f" System; case openings with {args.year_sizes or 'no'} cases in the year")
            referrals = measure_referrals(
                cfg, amqp_uri, args.referrals,
                tuple(int(size) for size in args.year_sizes.split(",") if size))
    finally:
        _progress(f"dropping schemas {prefix}* and vhost {vhost}")
        testing.drop_schemas(base_cfg, prefix)
        testing.delete_broker_run(broker)

    from bench.raw import raw_eventsourcing_save

    _progress("raw eventsourcing save again (drift of the machine's load)")
    baseline["eventsourcing_save_after_platform"] = {
        **raw_eventsourcing_save(base_cfg, min(args.baseline_seconds, 2.0)),
        "process": _process_kind()}
    platform["peak_rss_mb_bench"] = peak_rss_mb()
    at_rest: dict[str, Any] = {}
    if args.embedded_idle_seconds > 0:
        from bench.embedded import measure_embedded

        _progress(f"haven dev at rest: idle CPU over {args.embedded_idle_seconds}s after its"
                  " demo, then gateway GETs")
        at_rest = measure_embedded(args.embedded_idle_seconds)
    verify_figures: dict[str, Any] = {}
    if args.verify_sizes:
        from bench.verify_100k import measure_sizes

        sizes = [int(size) for size in args.verify_sizes.split(",")]
        _progress(f"haven audit verify, full and --since-checkpoint, at {sizes} events")
        verify_figures = measure_sizes(base_cfg, sizes)
    history: dict[str, Any] = {}
    if args.history_sizes:
        _progress(f"a case's history, replay and export at {args.history_sizes} stored events")
        history = measure_history(args.history_sizes)
    results = {
        "baseline": baseline, "platform": platform, "verify": verify_figures,
        "history": history,
        "ratios": compare(baseline, platform), "embedded": at_rest,
        "referrals": {k: v for k, v in referrals.items() if k != "targets"},
        "targets": {**check_targets(baseline, platform), **embedded_targets(at_rest),
                    **verify_targets(verify_figures), **referrals.get("targets", {}),
                    **history_targets(history)},
        "run": {"command": " ".join(["python -m bench.run", *(argv or sys.argv[1:])]),
                "seconds_per_platform_load": bounds.seconds,
                "seconds_per_baseline": args.baseline_seconds,
                "wall_seconds": round(time.monotonic() - started, 1),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "python_reference_ms_at_start": reference_at_start,
                "load_generator": "this process, not monkey-patched: one OS thread and one"
                                  " requests.Session per client",
                "profile_dir": str(args.profile) if args.profile else None,
                "relay": "haven relay intake (woken by LISTEN/NOTIFY, fallback poll 5 s)"
                         if args.relay_poll_interval is None else
                         f"WHAT-IF: run_relay with poll interval {args.relay_poll_interval} s"},
    }
    print(render(results))
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    _progress(f"wrote {args.out} in {results['run']['wall_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
