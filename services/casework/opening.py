"""Opening a case: a reference from the year's numbering, and the client found again
through the blind index or registered anew -- saved in one transaction.

Everything an opening touches is saved together: the year's `CaseNumbering`, the
`ClientIndex` entry, the `Client` and the new `Case` (and, for a referral, the
tracking row of the message). Two openings deciding at once on the same number or
the same index entry cannot both commit: the loser's transaction stores nothing at
all, and it starts over from fresh state. So references stay gap-free, and a person
referred twice at once gets one client, not two.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from services.casework.domain import Case, CaseNumbering, Client, ClientIndex
from services.casework.domain.ids import client_index_id, numbering_id
from shared.audit import CommandContext

if TYPE_CHECKING:
    from services.casework.application import Casework


@dataclass(frozen=True)
class NewPerson:
    """Someone not (yet) known as a client: their details and the subject sealing them."""

    subject_id: str
    details: dict[str, Any]  # personal data, plain: sealed by the store
    profile: dict[str, Any]  # gender, birth_year, citizenship, languages
    blind_index: str


@dataclass(frozen=True)
class Opening:
    case_id: uuid.UUID
    source: str
    opened_at: datetime
    facts: dict[str, Any]
    caseworker_id: str | None = None
    contact_id: str | None = None
    client_id: str | None = None  # an existing client chosen by the caseworker
    person: NewPerson | None = None  # or a person to find by blind index, or register
    sealed_person: str | None = None  # the person as intake sealed them (kept for a review)
    screening: dict[str, Any] = field(default_factory=dict)  # a referral's assessment, indicators


@dataclass(frozen=True)
class Opened:
    case_id: str
    reference: str
    client_id: str
    possible_duplicate: bool
    version: int


def open_case(app: Casework, opening: Opening, ctx: CommandContext,
              tracking: Tracking | None = None) -> Opened:
    """One attempt: the caller retries it on a concurrent change (IntegrityError)."""
    numbering = app.find(CaseNumbering, numbering_id(opening.opened_at.year)) \
        or CaseNumbering.start(opening.opened_at.year)
    client, index, duplicate = _client_for(app, opening)
    reference = numbering.issue(str(opening.case_id))
    client.link_case(str(opening.case_id))
    case = Case.open(case_id=opening.case_id, reference=reference, client_id=str(client.id),
                     source=opening.source, opened_at=opening.opened_at, facts=opening.facts,
                     caseworker_id=opening.caseworker_id, contact_id=opening.contact_id,
                     possible_duplicate=duplicate, candidate=_candidate(opening, duplicate),
                     screening=opening.screening)
    app.save(*[a for a in (numbering, index, client, case) if a is not None], ctx=ctx,
             tracking=tracking)
    return Opened(str(case.id), reference, str(client.id), duplicate, case.version)


def _client_for(app: Casework, opening: Opening) -> tuple[Client, ClientIndex | None, bool]:
    """(client, index entry to save, possible duplicate)."""
    if opening.client_id is not None:
        return app.load(Client, opening.client_id, sealed=True), None, False
    person = opening.person
    assert person is not None
    index = app.find(ClientIndex, client_index_id(person.blind_index))
    holder = index.holder if index is not None else None
    if holder is not None:
        # Linked, not merged: the case is flagged and a person decides.
        return app.load(Client, holder, sealed=True), None, True
    client = Client.register(client_id=uuid.uuid4(), subject_id=person.subject_id,
                             person=person.details, blind_index=person.blind_index,
                             gender=person.profile["gender"],
                             birth_year=person.profile["birth_year"],
                             citizenship=person.profile["citizenship"],
                             languages_spoken=person.profile["languages"],
                             registered_at=opening.opened_at)
    seal_id = str(uuid.uuid4())
    if index is None:
        index = ClientIndex.claim(blind_index=person.blind_index, client_id=str(client.id),
                                  seal_id=seal_id)
    else:
        index.reclaim(client_id=str(client.id), seal_id=seal_id)
    return client, index, False


def _candidate(opening: Opening, duplicate: bool) -> dict[str, Any]:
    """The person as described at opening: their subject, and for a possible duplicate
    their details (sealed under that subject) and profile, for whoever reviews it."""
    person = opening.person
    if person is None:
        return {}
    candidate: dict[str, Any] = {"subject_id": person.subject_id}
    if duplicate:
        candidate["person"] = opening.sealed_person or person.details
        candidate["profile"] = person.profile
    return candidate
