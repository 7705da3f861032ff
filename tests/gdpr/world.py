"""Two people helped by the centre, each with a helpline contact, a case, a shelter stay
(in the same house) and a legal matter, built through the services' own applications with
casework's facts delivered as the broker would. Every name is invented."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from services.casework.contracts import ASSIGNMENT_CONFIRMED, CASE_OPENED, CASEWORKER_ASSIGNED
from services.intake.cases import KnownCase
from services.legal.application import Legal
from services.legal.tests.conftest import LAWYER, a_matter
from services.legal.tests.conftest import deliver as deliver_to_legal
from services.shelter.application import Shelters
from services.shelter.tests.conftest import ADDRESS, STAFF_NORTH, register, request_bed
from services.shelter.tests.conftest import deliver as deliver_to_shelter
from shared.audit import CommandContext

SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")
SYSTEM = CommandContext(actor_id="service:casework", actor_role="system", command="test")


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    phone: str
    address: str
    summary: str
    callback: str
    known_as: str
    letter_name: str
    case_id: str = ""
    reference: str = ""
    client_id: str = ""

    def secrets(self) -> list[str]:
        """Every personal value of theirs the centre holds, as they told it."""
        return [self.given_name, self.family_name, self.phone, self.address, self.summary,
                self.callback, self.known_as, self.letter_name]


OLENA = Person("Olenka", "Hrytsenko", "+48 511 000 111", "ul. Lipowa 3, Opole",
               "Olenka says the farm owner keeps her passport", "+48 511 000 112",
               "Lena", "Olenka Hrytsenko")
ANA = Person("Anamaria", "Dobrescu", "+40 722 999 888", "str. Morii 9, Iasi",
             "Anamaria was recruited through a job advert for Spain", "+40 722 999 887",
             "Mari", "Anamaria Dobrescu")


def build(apps: dict[str, Any], person: Person, shelter_id: str) -> Person:
    intake, casework, shelters, legal, notifications = (
        apps[n] for n in ("intake", "casework", "shelter", "legal", "notifications"))
    contact_id = intake.log_contact(OPERATOR, channel="phone", direction="inbound",
                                    language="uk", caller_type="potential_victim",
                                    topic="victim_support", urgency="urgent",
                                    summary=person.summary,
                                    callback_contact=person.callback)["contact_id"]
    opened = casework.open_case(SUPERVISOR, caseworker_id="cw-1", client={
        "given_name": person.given_name, "family_name": person.family_name,
        "phone": person.phone, "address": person.address, "birth_year": 1996,
        "gender": "Female", "citizenship": "UA", "languages": ["uk"]},
        origin_country="UA", exploitation_country="PL", exploitation_types=["ForcedLabour"],
        urgency="urgent")
    casework.add_note(SUPERVISOR, UUID(opened.case_id), f"{person.given_name} is safe now")
    known = KnownCase.learn(opened.case_id)
    known.opened_as(opened.reference, "cw-1", 1)
    intake.save(known, ctx=SYSTEM)
    intake.link_to_case(OPERATOR, contact_id, UUID(opened.case_id))
    facts = case_opened(opened)
    deliver_to_shelter(shelters, CASE_OPENED, Shelters.note_opened_case, facts)
    deliver_to_shelter(shelters, ASSIGNMENT_CONFIRMED, Shelters.note_confirmation, confirmed(
        opened))
    stay_id = request_bed(shelters, opened.case_id)
    shelters.admit_resident(STAFF_NORTH, UUID(stay_id), UUID(shelter_id),
                            known_as=person.known_as)
    deliver_to_legal(legal, CASE_OPENED, Legal.note_case_opened, facts)
    deliver_to_legal(legal, ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed,
                     confirmed(opened))
    matter = a_matter(legal, opened.case_id)
    react = type(notifications).react
    deliver_to_legal(notifications, CASE_OPENED, react, facts)
    deliver_to_legal(notifications, CASEWORKER_ASSIGNED, react, {
        "case_id": opened.case_id, "caseworker_id": "cw-1", "previous_caseworker_id": None,
        "status": "Active", "assigned_at": notifications.clock(), "version": 2})
    legal.draft_letter(LAWYER, UUID(matter), "protective_measures_request", "court",
                       "court-1", client_name=person.letter_name)
    return Person(**{**person.__dict__, "case_id": opened.case_id,
                     "reference": opened.reference, "client_id": opened.client_id})


def a_shelter(shelters: Any) -> str:
    return str(register(shelters)["shelter_id"])


def case_opened(opened: Any) -> dict[str, Any]:
    from services.shelter.tests.conftest import T0

    return {"case_id": opened.case_id, "reference": opened.reference,
            "client_id": opened.client_id, "contact_id": None, "source": "direct",
            "opened_at": T0 - timedelta(days=1), "caseworker_id": "cw-1",
            "possible_duplicate": False, "origin_country": "UA", "exploitation_country": "PL",
            "exploitation_types": ["ForcedLabour"], "methods_of_control": [],
            "recruitment": None, "relationship_to_trafficker": None, "urgency": "urgent",
            "version": 1}


def confirmed(opened: Any) -> dict[str, Any]:
    from services.shelter.tests.conftest import T0

    return {"case_id": opened.case_id, "caseworker_id": "cw-1", "confirmed_by": "sup-1",
            "confirmed_at": T0 - timedelta(days=1), "version": 2}


SHELTER_ADDRESS = ADDRESS
