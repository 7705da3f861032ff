"""IntakeService end to end: real RabbitMQ RPC, real PostgreSQL, the shell's tokens."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pika
import pytest

from services.casework.contracts import CASE_OPENED
from services.intake.application import Intake
from services.intake.service import IntakeService
from services.intake.tests.conftest import known_case
from shared.config import Settings
from shared.dead_letters import handler_queues, waiting
from shared.errors import Forbidden, InvalidInput, NotFound, RuleViolated
from shared.messaging import Envelope
from shared.outbox import PikaPublisher
from shared.testing.plugin import eventually, module_service, rpc

LOGGED = {"channel": "phone", "started_at": "2025-01-05T22:10:00+01:00", "language": "ro",
          "caller_type": "potential_victim", "topic": "emergency", "urgency": "emergency",
          "summary": "Ana is locked in a flat above the car wash",
          "callback_contact": "+40 712 345 678"}


@pytest.fixture(scope="module", autouse=True)
def service():
    """One container for the module (stopping one costs nameko about a second), on
    schemas of its own: other suites' data (the gateway's fuzzer starts shifts at
    random times) must not fill the gaps these tests look for."""
    with module_service(IntakeService, "svc") as container:
        yield container


@pytest.fixture
def store():
    """An independent reader of the service's event store."""
    app = Intake(Settings.from_env())
    yield app
    app.close()


@pytest.fixture
def call(haven_run):
    def call(method, payload=None, roles=("helpline_operator",), user="u1"):
        return rpc("intake", method, payload, roles, user)

    return call


def test_a_helpline_call_from_first_contact_to_referral(service, call):
    contact_id = call("log_contact", LOGGED)["contact_id"]
    call("screen_contact", {"contact_id": contact_id, "assessment": "presumed_victim",
                            "indicators": ["restricted_movement", "retained_documents"]})
    referral = call("refer_to_casework", {
        "contact_id": contact_id, "gender": "Female", "citizenship": "RO", "languages": ["ro"],
        "exploitation_types": ["SexualExploitation"],
        "person": {"given_name": "Ana", "family_name": "Popescu", "birth_date": "1999-04-01"}})
    call("close_contact", {"contact_id": contact_id, "outcome": "referred_to_casework"})

    withheld = call("get_contact", {"contact_id": contact_id}, roles=("caseworker",))
    assert withheld["personal_data"] == "withheld" and withheld["summary"] is None
    assert "person" not in withheld["referral"] and "caseworker" in withheld["personal_data_note"]
    detail = call("get_contact", {"contact_id": contact_id}, roles=("supervisor",))
    assert detail["summary"] == LOGGED["summary"]
    assert detail["started_at"] == "2025-01-05T21:10:00+00:00"  # stored and answered in UTC
    assert detail["operator_id"] == "u1" and detail["status"] == "closed"
    assert detail["referral"]["person"]["family_name"] == "Popescu"
    assert detail["referral"]["person_subject_id"] == referral["person_subject_id"]
    assert detail["referral"]["birth_year"] == 1999

    log = call("list_contacts", {"from": "2025-01-05T00:00:00Z", "to": "2025-01-06T00:00:00Z",
                                 "urgency": "emergency"}, roles=("auditor",))
    assert [row["contact_id"] for row in log["items"]] == [contact_id]
    assert log["items"][0]["referred"] is True and "summary" not in log["items"][0]

    stats = call("helpline_stats", {"month": "2025-01"}, roles=("ops",))
    assert stats["by_outcome"] == {"referred_to_casework": 1}
    assert stats["by_channel"] == {"phone": 1}


def test_invalid_input_names_each_field_and_stores_nothing(service, call, store):
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        call("log_contact", {**LOGGED, "channel": "fax", "language": "romanian",
                             "started_at": "2025-01-05T22:10:00", "mood": "tense"})
    assert set(refused.value.errors) == {"channel", "language", "started_at", "mood"}
    with pytest.raises(InvalidInput) as refused:
        call("log_contact", {**LOGGED, "ended_at": "2025-01-05T20:00:00+00:00"})
    assert set(refused.value.errors) == {"ended_at"}  # the domain's rule, named the same way
    with pytest.raises(InvalidInput) as refused:
        call("helpline_stats", {"month": "2025-13"}, roles=("ops",))
    assert set(refused.value.errors) == {"month"}
    assert store.recorder.max_notification_id() == before


def test_roles_decide_who_writes_and_who_reads(service, call):
    with pytest.raises(Forbidden):
        call("log_contact", LOGGED, roles=("caseworker",))
    contact_id = call("log_contact", LOGGED, roles=("supervisor",))["contact_id"]
    with pytest.raises(Forbidden):
        call("get_contact", {"contact_id": contact_id}, roles=("ops",))
    assert call("on_duty", {}, roles=("ops",))["at"]


def test_rules_and_unknown_ids_come_back_in_the_error_contract(service, call):
    contact_id = call("log_contact", LOGGED)["contact_id"]
    call("close_contact", {"contact_id": contact_id, "outcome": "no_action"})
    with pytest.raises(RuleViolated):
        call("close_contact", {"contact_id": contact_id, "outcome": "no_action"})
    with pytest.raises(RuleViolated):
        call("screen_contact", {"contact_id": contact_id, "assessment": "unclear"})
    with pytest.raises(NotFound):
        call("get_contact", {"contact_id": str(uuid.uuid4())})


def test_a_missed_call_is_a_callback_task_with_the_number_for_the_desk(service, call):
    call("start_shift", {})  # the numbers go to the operators on duty
    missed = call("record_missed_call", {"callback_contact": "+40 799 000 111",
                                         "missed_at": "2025-02-01T03:00:00Z"})["missed_call_id"]
    pending = call("pending_callbacks", {"limit": 200})["items"]
    mine = next(p for p in pending if p["missed_call_id"] == missed)
    assert mine["callback_contact"] == "+40 799 000 111"
    callback = call("log_contact", {**LOGGED, "direction": "outbound",
                                    "started_at": "2025-02-01T03:20:00Z"})["contact_id"]
    call("complete_callback", {"missed_call_id": missed, "contact_id": callback})
    assert missed not in [p["missed_call_id"]
                          for p in call("pending_callbacks", {"limit": 200})["items"]]


def test_a_gap_in_the_roster_shows_in_coverage_and_on_duty(service, call):
    day = datetime(2025, 3, 1, 6, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 20)
    early = call("start_shift", {"started_at": day.isoformat()}, user="op-a")["shift_id"]
    call("end_shift", {"shift_id": early, "ended_at": (day + timedelta(hours=8)).isoformat()},
         user="op-a")
    call("start_shift", {"operator_id": "op-b",
                         "started_at": (day + timedelta(hours=9)).isoformat()},
         roles=("supervisor",))
    gap_at = (day + timedelta(hours=8, minutes=30)).isoformat()
    assert call("on_duty", {"at": gap_at}, roles=("ops",))["covered"] is False
    coverage = call("coverage", {"from": day.isoformat(),
                                 "to": (day + timedelta(hours=12)).isoformat()}, roles=("ops",))
    assert coverage["gaps"] == [{"start": (day + timedelta(hours=8)).isoformat(),
                                 "end": (day + timedelta(hours=9)).isoformat(),
                                 "seconds": 3600}]


def test_a_case_from_the_contacts_own_referral_takes_it_after_a_manual_link(service, call,
                                                                            store, amqp_uri):
    """casework's CaseOpened for a contact linked earlier by hand: the case made from the
    contact's own referral takes it, and the message is handled, never dead-lettered."""
    manual = known_case(store, "KC-2026-0998")
    contact_id = call("log_contact", LOGGED)["contact_id"]
    call("link_to_case", {"contact_id": contact_id, "case_id": manual}, roles=("supervisor",))
    referral_case = str(uuid.uuid4())
    data = {"case_id": referral_case, "reference": "KC-2026-0999", "client_id": str(uuid.uuid4()),
            "contact_id": contact_id, "source": "referral",
            "opened_at": datetime(2025, 1, 5, 22, 40, tzinfo=UTC),
            "caseworker_id": None, "possible_duplicate": False, "origin_country": "RO",
            "exploitation_country": None, "exploitation_types": [], "methods_of_control": [],
            "recruitment": None, "relationship_to_trafficker": None, "urgency": "urgent",
            "version": 1}
    envelope = Envelope(source="casework", notification_id=uuid.uuid4().int % 10**12,
                        type="CaseOpened", version=1, occurred_at="2025-01-05T22:40:00Z",
                        correlation_id=None, causation_id=None,
                        data=CASE_OPENED.check(data))
    publisher = PikaPublisher(amqp_uri)
    publisher.publish("casework.events", [("CaseOpened", json.dumps(envelope.to_dict()).encode())])
    publisher.close()

    def linked() -> bool:
        return store.repository.get(uuid.UUID(contact_id)).case_id == referral_case

    assert eventually(linked)
    [handler] = [h for h in handler_queues(IntakeService) if h.event == "CaseOpened"]
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        assert waiting(connection, handler.dead) == 0
