"""How long legal's own steps take on this machine, against the real PostgreSQL and RabbitMQ:

    .venv/bin/python -m services.legal.tests.measure [--n 200]

- a consent-gated share over RPC (caller -> legal -> casework's may_share -> store), the
  round trip a lawyer's app waits for;
- booking a session (calendar aggregate and session saved together, conflict checked);
- drafting a letter (template rendered in the sandbox, body sealed, stored);
- the reminder poll: recording N due reminders, and an idle poll (nothing due).

A throwaway schema prefix and vhost, removed at the end. Figures in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from shared import testing
from shared.config import Settings
from shared.process import prepare_service_process


def _ms(run: Callable[[], Any], n: int) -> dict[str, float]:
    took = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return {"p50": round(statistics.median(took), 2), "p95": round(took[int(0.95 * n) - 1], 2)}


def measure(n: int) -> dict[str, Any]:
    from nameko.runners import ServiceRunner
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.casework.application import Casework
    from services.casework.service import CaseworkService
    from services.legal.application import Legal
    from services.legal.projections import READ_MODELS
    from services.legal.service import LegalService
    from services.legal.tests.conftest import LAWYER, T0, a_hearing, a_matter, case_in_casework
    from shared.audit import CommandContext
    from shared.auth import issue_token
    from shared.bootstrap import attach_read_models
    from shared.runner import nameko_config

    cfg = Settings.from_env()
    runner = ServiceRunner(nameko_config(cfg))
    for service in (CaseworkService, LegalService):
        runner.add_service(service)
    runner.start()
    casework, legal = Casework(cfg), Legal(cfg)
    read_models = attach_read_models(legal, READ_MODELS)
    legal.ask_casework = lambda ctx, case_id, purpose, recipient: casework.may_share(
        ctx, uuid.UUID(case_id), purpose, recipient)
    try:
        case_id = case_in_casework(legal, casework)
        matter = a_matter(legal, case_id)
        casework.record_consent(CommandContext("cw-1", "caseworker", "measure"),
                                uuid.UUID(case_id), "share_with_police", "any", "granted")
        share = {"matter_id": matter, "recipient_type": "police", "recipient": "police-1",
                 "document": "statement"}
        token = issue_token("law-1", ["lawyer"])
        with ClusterRpcProxy(nameko_config(cfg),
                             context_data={"authorization": token}) as cluster:
            cluster.legal.share_with_authority(payload=share)  # warm up
            figures = {"share_over_rpc": _ms(
                lambda: cluster.legal.share_with_authority(payload=share), n)}
        slots = (T0 + timedelta(hours=3 * k) for k in range(n))  # back to back, no clash

        def book() -> None:
            start = next(slots)
            legal.schedule_session(LAWYER, uuid.UUID(matter), "witness_preparation", "law-1",
                                   starts_at=start, ends_at=start + timedelta(hours=2))

        figures["book_session"] = _ms(book, n)
        figures["draft_letter"] = _ms(lambda: legal.draft_letter(
            LAWYER, uuid.UUID(matter), "request_for_information", "police", "police-1",
            client_name="A. B.", paragraphs=["x" * 500]), n)
        for k in range(n // 2):
            a_hearing(legal, matter, T0 + timedelta(days=400, minutes=3 * k))
        legal.clock = lambda: T0 + timedelta(days=399)  # every 48 h reminder is due
        started = time.perf_counter()
        recorded = sum(iter(legal.send_due_reminders, 0))
        figures["poll_due_reminders"] = {
            "reminders": recorded, "ms_each": round(
                (time.perf_counter() - started) * 1000 / max(recorded, 1), 2)}
        figures["idle_poll"] = _ms(legal.send_due_reminders, n)
        return figures
    finally:
        if read_models is not None:
            read_models.close()
        legal.close()
        casework.close()
        runner.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    run_id = "m" + uuid.uuid4().hex[:8]
    server = Settings.from_env().amqp_uri
    os.environ["HAVEN_SCHEMA_PREFIX"] = f"{run_id}_"
    os.environ["HAVEN_AMQP_URI"] = testing.create_vhost(server, f"haven-{run_id}")
    prepare_service_process()
    try:
        for name, figure in measure(n).items():
            print(f"{name:20} {figure}")
    finally:
        testing.drop_schemas(Settings.from_env(), f"{run_id}_")
        testing.delete_vhost(server, f"haven-{run_id}")


if __name__ == "__main__":
    main()
