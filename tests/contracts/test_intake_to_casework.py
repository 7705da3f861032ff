"""intake publishes ReferredToCasework; casework opens a case from it.

Everything intake's contract allows, casework accepts (a person referred never stays
without a case because the two disagree); and what the contract refuses, intake refuses at
the source, naming the field, before anything is stored or sent.
"""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import Tracking

from services.casework.application import Casework
from services.casework.domain import Case
from services.casework.domain.ids import referral_case_id
from services.intake.application import Intake
from services.intake.contracts import (
    REFERRED_BLIND_INDEX_SEALED_IN,
    REFERRED_PERSON_SEALED_IN,
    REFERRED_TO_CASEWORK,
)
from services.intake.domain import Contact
from shared.audit import CommandContext
from shared.contracts import ContractViolation
from shared.errors import InvalidInput, from_remote
from tests.contracts.payloads import envelope_of, first_refused
from tests.gateway_fixtures import serve_platform

PERSON = {"given_name": "Olena", "family_name": "Kovalenko", "phone": "+48 600 100 200"}
LANGUAGES_21 = ["uk", "pl", "ru", "ro", "bg", "vi", "be", "tr", "zh", "th", "mn", "uz", "az",
                "en", "de", "fr", "es", "it", "ka", "hy", "tg"]
OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")


def opens_a_case(casework: Casework):
    """The consumer: casework's policy, run on one payload as a delivered message would."""
    delivered = iter(range(1, 10**6))

    def consume(data: dict) -> None:
        # Only intake can seal the person and its blind index: make those real, under the
        # person's subject and in the place intake seals them.
        subject = data["person_subject_id"]
        data["person"] = casework.vault.seal(subject, PERSON, REFERRED_PERSON_SEALED_IN)
        data["blind_index"] = casework.vault.seal(subject, "b" * 64,
                                                  REFERRED_BLIND_INDEX_SEALED_IN)
        envelope = envelope_of(REFERRED_TO_CASEWORK, data, next(delivered))
        casework.open_case_from_referral(REFERRED_TO_CASEWORK.read(envelope), envelope,
                                         Tracking("intake", envelope.notification_id))
        assert casework.find(Case, referral_case_id(data["contact_id"])) is not None

    return consume


def test_casework_opens_a_case_for_every_referral_intake_may_publish(app_factory):
    assert first_refused(REFERRED_TO_CASEWORK, opens_a_case(app_factory(Casework))) is None


def test_a_consumer_narrower_than_the_contract_is_caught(app_factory):
    consume = opens_a_case(app_factory(Casework))

    def at_most_two_languages(data: dict) -> None:  # the drift of old: a stricter copy
        if len(data["languages"]) > 2:
            raise ValueError("too many languages")
        consume(data)

    refused = first_refused(REFERRED_TO_CASEWORK, at_most_two_languages)
    assert refused is not None and len(refused.payload["languages"]) == 3  # the edge


def test_an_event_breaking_the_contract_is_refused_before_it_is_stored(app_factory):
    """The guard in the event store itself, whatever the command or the domain checked."""
    intake = app_factory(Intake)
    contact_id = intake.log_contact(OPERATOR, channel="phone", direction="inbound",
                                    language="uk", caller_type="potential_victim",
                                    topic="victim_support", urgency="urgent")["contact_id"]
    intake.screen_contact(OPERATOR, contact_id, ["deception"], "presumed_victim")
    contact = intake.repository.get(contact_id)
    before = intake.recorder.max_notification_id()
    contact._refer(person_subject_id=str(uuid.uuid4()), person=PERSON, blind_index="b" * 64,
                   birth_year=None, gender="Female", citizenship="XX", languages=LANGUAGES_21,
                   exploitation_types=[], urgency="urgent", referred_at=contact.started_at,
                   assessment="presumed_victim", indicators=["deception"])
    with pytest.raises(ContractViolation) as refused:
        intake.save(contact, ctx=OPERATOR)
    assert set(refused.value.errors) == {"citizenship", "languages"}
    assert intake.recorder.max_notification_id() == before
    assert isinstance(intake.repository.get(contact_id), Contact)


api = pytest.fixture(scope="module")(serve_platform)


@pytest.mark.parametrize(("change", "field"), [
    ({"citizenship": "XX"}, "citizenship"),
    ({"languages": LANGUAGES_21}, "languages"),
])
def test_a_referral_casework_could_not_accept_is_a_400_at_intake(api, change, field):
    desk = ("helpline_operator",)
    contact = api.call("POST", "/api/v1/contacts", roles=desk, json={
        "channel": "phone", "language": "uk", "caller_type": "potential_victim",
        "topic": "victim_support", "urgency": "urgent"}).json()["id"]
    api.call("POST", f"/api/v1/contacts/{contact}/screening", roles=desk,
             json={"assessment": "presumed_victim", "indicators": ["deception"]})
    response = api.call("POST", f"/api/v1/contacts/{contact}/referral", roles=desk,
                        json={"person": PERSON, "gender": "Female", **change})
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]
    detail = api.call("GET", f"/api/v1/contacts/{contact}", roles=("supervisor",)).json()
    assert detail["referral"] is None  # nothing stored, nothing sent


def test_a_contract_violation_reaches_the_caller_as_a_400_naming_the_field():
    """The shell sends the class name (ContractViolation); the gateway knows it by its code."""
    refused = ContractViolation(errors={"citizenship": ["not an ISO 3166-1 alpha-2 code"]})
    rebuilt = from_remote(type(refused).__name__, str(refused))
    assert isinstance(rebuilt, InvalidInput) and rebuilt.http_status == 400
    assert rebuilt.errors == refused.errors
