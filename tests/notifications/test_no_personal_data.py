"""No message body, e-mail or webhook payload carries a victim's name, phone number,
address or story.

The demo data is made as `make dev` makes it (conftest.py): every service embedded in this
process, each service's demo loaded in turn -- intake's helpline traffic (one month of it),
casework's work on the referred cases, shelter stays, legal matters, hearings and deadlines,
tonight's events of notifications' demo -- and legal's reminders as its poll records them
over the coming weeks. Every event those stores published that notifications
consumes is then handed to notifications (on PostgreSQL) as it happened, its clock at the
event's time; the clock is moved on until every reminder and escalation step has fired; and
every e-mail (a real SMTP server), webhook (a real receiver) and every row notifications
stored is searched for every piece of personal data in the producers' stores, unsealed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from services.notifications.cli import consumed_events
from services.notifications.rulecheck import known_events
from services.notifications.tests.conftest import SUPERVISOR, poll
from shared.bootstrap import attach_read_models, build_application
from shared.config import Settings
from shared.dead_letters import handler_queues
from shared.eventstore import _conninfo, personal_data_of
from shared.manifest import manifest
from tests.notifications.support import deliver, text_of

SHORTEST_SECRET = 4  # shorter values ("UA", "Ion") are codes or too common to mean anything
SCANNED: dict[str, Callable[[str], bool]] = {  # kinds of personal data, as the demos make them
    "name": lambda s: "Popescu" in s or "Kovalenko" in s,
    "phone": lambda s: re.fullmatch(r"\+48 5[\d ]{7,}", s) is not None,
    "address": lambda s: s.startswith("ul. "),
    "narrative": lambda s: s == "Person locked in accommodation, asks for help leaving tonight.",
}


@pytest.fixture(scope="module")
def demo(embedded_demo):
    """The producers' stores after `make dev`'s demo, read from their SQLite files."""
    remind_of_every_hearing_and_deadline(embedded_demo)
    stores = {name: build_application(name, embedded_demo) for name in manifest().stores}
    yield stores
    for store in stores.values():
        store.close()


def remind_of_every_hearing_and_deadline(cfg: Settings) -> None:
    """Legal's own reminders, as its poll records them a fortnight on: every hearing in 48 h
    and 24 h, every deadline in 3 days (the demo's fall due over the coming weeks)."""
    from services.legal.application import Legal

    legal = build_application("legal", cfg)
    runner = attach_read_models(legal, manifest()["legal"].read_model_set)
    for days in range(1, 30):
        legal.clock = lambda days=days: datetime.now(UTC) + timedelta(days=days)
        while Legal.send_due_reminders(legal):
            pass
    runner.close()
    legal.close()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def personal_data(stores: dict[str, Any]) -> set[str]:
    """Every piece of personal data the producers stored, unsealed."""
    found: set[str] = set()
    for store in stores.values():
        for stored in store.recorder.select_notifications(0, 1_000_000):
            event = store.mapper.to_domain_event(stored)
            for name in personal_data_of(type(event)):
                value = vars(event).get(name, vars(event).get("_" + name))
                found.update(s for s in _strings(value)
                             if len(s) >= SHORTEST_SECRET and not s.startswith("["))
    return found


def published(stores: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any], int]]:
    """(contract, payload as on the wire, notification id) of every event notifications
    consumes, each producer's in its order."""
    consumed, contracts = set(consumed_events()), known_events(consumed_events())
    for store in stores.values():
        mapper = copy.copy(store.mapper)
        mapper.unseal_on_read = False  # as the relay reads
        for stored in store.recorder.select_notifications(0, 1_000_000):
            event = store.to_integration_event(mapper.to_domain_event(stored))
            name = f"{store.name}.{event.type}" if event else None
            if name in consumed:
                yield contracts[name], copy.deepcopy(event.data), stored.id


def _when(payload: dict[str, Any]) -> datetime | None:
    """The latest time an event names: when it happened, as far as it says."""
    times = []
    for value in payload.values():
        try:
            times.append(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    aware = [t for t in times if t.tzinfo is not None]
    return max(aware) if aware else None


def stored_rows(cfg: Settings, schema: str) -> list[str]:
    """Every value of every table in notifications' schema, as text: what a dump shows."""
    with psycopg.connect(_conninfo(cfg)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,))]
        return [bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview)
                else str(v) for table in tables
                for row in conn.execute(sql.SQL("SELECT * FROM {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(table))) for v in row]


@pytest.mark.slow
def test_no_body_email_or_webhook_carries_personal_data_of_the_demo(
        demo, app, clock, smtp, receiver, cfg):
    secrets = personal_data(demo)
    for kind, seen in SCANNED.items():  # the scan sees each kind the demo holds
        assert any(seen(s) for s in secrets), f"no {kind} among the demo's personal data"
    events = list(published(demo))
    first = min(t for _, payload, _ in events if (t := _when(payload)))
    app.put_on_call(SUPERVISOR, user_id="cw-on-call", starts_at=first,
                    ends_at=first + timedelta(days=7))  # so emergencies go to someone
    for contract, payload, notification_id in events:
        clock.now = _when(payload) or clock.now
        deliver(app, contract, payload, notification_id, on_the_wire=True)
    for handler in handler_queues(manifest()["casework"].service_class):  # and dead letters
        app.observe_dead_letters("casework", handler, 3, clock.now)
    for _ in range(8):  # every reminder, every escalation step, every send
        clock.advance(days=20)
        poll(app)
    categories = {r["category"] for r in app.views.store.query(
        "SELECT DISTINCT category FROM {alerts}")}
    assert categories == {rule.category for rule in app.rules.rules}  # every rule had its say
    assert len(smtp.received) > 100 and receiver.requests
    outputs = ([f"{m['Subject']}\n{text_of(m)}" for m in smtp.received]
               + [body.decode() for _, body in receiver.requests]
               + stored_rows(cfg, cfg.schema(app.name)))
    leaks = {secret for secret in secrets for output in outputs if secret in output}
    assert not leaks, sorted(leaks)[:20]
