"""A case with events in three services (intake, a casework stand-in, a shelter stand-in),
each store of its own, built through the applications as production builds them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.intake.application import Intake
from services.intake.domain import Contact
from shared.audit import CommandContext
from shared.audit_trail.reveals import RevealLog
from shared.audit_trail.sources import AUDIT_STORE, Catalogue
from shared.eventstore import HavenApplication
from tests.audit.casework_like import CaseworkLike, ShelterLike, fresh

CONTACT = {"channel": "phone", "direction": "inbound", "caller_type": "potential_victim",
           "topic": "victim_support", "urgency": "urgent", "language": "uk",
           "summary": "Olena says the farm owner keeps her passport",
           "callback_contact": "+48 600 100 200"}
PERSON = {"given_name": "Olena", "family_name": "Kovalenko"}


def ctx(actor: str, role: str, command: str, reason: str | None = None,
        correlation_id: str | None = None, causation_id: str | None = None,
        detail: str | None = None) -> CommandContext:
    """`reason` is a ChangeReason code; `detail` its free text (sealed by the store)."""
    return CommandContext(actor_id=actor, actor_role=role, command=command, reason=reason,
                          reason_detail=detail,
                          correlation_id=correlation_id or str(uuid.uuid4()),
                          causation_id=causation_id)


@dataclass
class World:
    intake: Any
    casework: Any
    shelter: Any
    case_id: uuid.UUID
    reference: str
    contact_id: uuid.UUID
    other_case_id: uuid.UUID
    correlation_id: str
    apps: list[HavenApplication] = field(default_factory=list)

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue((self.intake.name, self.casework.name, self.shelter.name, AUDIT_STORE),
                         {app.name: type(app) for app in self.apps} | {AUDIT_STORE: RevealLog})

    @property
    def services(self) -> list[str]:
        return [self.intake.name, self.casework.name, self.shelter.name]

    def last_nid(self, app: HavenApplication) -> int:
        return app.recorder.max_notification_id() or 0


def build_world(cfg) -> World:
    intake = fresh(Intake, cfg, "ain")
    casework = fresh(CaseworkLike, cfg, "acw")
    shelter = fresh(ShelterLike, cfg, "ash")
    reference = f"KC-2026-{uuid.uuid4().int % 10000:04d}"
    noise = intake.log_contact(ctx("op-9", "helpline_operator", "log_contact"),
                               **CONTACT)["contact_id"]
    contact_id = intake.log_contact(ctx("op-7", "helpline_operator", "log_contact"),
                                    **CONTACT)["contact_id"]
    intake.screen_contact(ctx("op-7", "helpline_operator", "screen_contact",
                              "safeguarding"),
                          contact_id, ["retained_documents"], "presumed_victim")
    correlation = str(uuid.uuid4())
    intake.refer_to_casework(ctx("op-7", "helpline_operator", "refer_to_casework",
                                 "safeguarding", correlation),
                             contact_id, person=PERSON, birth_year=1999, gender="Female",
                             citizenship="UA", languages=["uk"],
                             exploitation_types=["ForcedLabour"], urgency=None)
    referral_nid = intake.recorder.max_notification_id()
    case_id = casework.open_case(
        ctx(f"service:{casework.name}", "system", "open_case", None, correlation,
            f"{intake.name}:{referral_nid}"), reference, "Olena Kovalenko")
    contact = intake.load(Contact, contact_id)  # as intake's policy for CaseOpened links it
    contact.link_to_case(str(case_id), reference)
    intake.save(contact, ctx=ctx(f"service:{intake.name}", "system", "link_to_case", None,
                                 correlation, f"{casework.name}:1"))
    casework.change(ctx("sup-2", "supervisor", "assign_caseworker", "supervision",
                        detail="on call tonight"),
                    case_id, "assign", "cw-5")
    casework.change(ctx("cw-5", "caseworker", "add_note"), case_id, "add_note",
                    "Met Olena at the station; she is safe")
    other = casework.open_case(ctx("cw-6", "caseworker", "open_case"), "KC-2026-9999", "Ion")
    shelter_id = shelter.open_shelter(ctx("sh-1", "shelter_staff", "open_shelter"))
    shelter.admit(ctx("sh-1", "shelter_staff", "admit_resident", "client_request"),
                  shelter_id, str(other), 3)
    shelter.admit(ctx("sh-1", "shelter_staff", "admit_resident", "client_request"),
                  shelter_id, str(case_id), 4)
    intake.close_contact(ctx("op-9", "helpline_operator", "close_contact"), noise, "no_action")
    return World(intake, casework, shelter, case_id, reference, contact_id, other, correlation,
                 [intake, casework, shelter])


@pytest.fixture
def world(cfg):
    built = build_world(cfg)
    yield built
    for app in built.apps:
        app.close()
