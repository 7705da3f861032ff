"""Opening a case: a reference from the year's numbering, and the client found again
through the blind index or registered anew -- saved in one transaction.

Everything an opening stores is saved together: the year's `CaseNumbering`, the `Client`
and the new `Case` (and, for a referral, the tracking row of the message). Two openings
deciding at once on the same number cannot both commit: the loser's transaction stores
nothing at all, and it starts over from fresh state. So references stay gap-free.

The blind index (which client a name and birth year lead to) is kept in the key store,
not in events, so that erasure can delete it (shared/keystore.py). An opening claims
the entry for a new client id before saving; two openings for one new person get the
same id from the claim, and the event store lets only one of them create that client:
the other starts over and finds it. So a person referred twice at once gets one client.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.casework.domain import Case, CaseNumbering, Client
from services.casework.domain.access import check_may_assign
from services.casework.domain.ids import numbering_id, referral_case_id
from services.casework.issuing import ReferenceDesk
from services.casework.store import CaseworkStore
from services.casework.vocabulary import Source
from services.intake.contracts import REFERRED_BLIND_INDEX_SEALED_IN, REFERRED_PERSON_SEALED_IN
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.crypto import TAMPERED
from shared.errors import RuleViolated, domain_refusals
from shared.messaging import Envelope
from shared.person import PERSON_FIELDS, birth_year_of, blind_index_of

log = logging.getLogger(__name__)
Fields = dict[str, Any]


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
    screening: dict[str, Any] = field(default_factory=dict)  # a referral's assessment, indicators


@dataclass(frozen=True)
class Opened:
    case_id: str
    reference: str
    client_id: str | None
    possible_duplicate: bool
    version: int
    assignment: str  # confirmed, pending (a supervisor confirms), unassigned


class CaseOpenings(CaseworkStore):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.references = ReferenceDesk(
            lambda year: self.find(CaseNumbering, numbering_id(year)) or CaseNumbering.start(year))

    def open_case(self, ctx: CommandContext, *, client_id: UUID | None = None,
                  client: Fields | None = None, caseworker_id: str | None = None,
                  opened_at: datetime | None = None, **facts: Any) -> Opened:
        """Open a case directly, for a known client or a person described here.

        Who opens it works on it (a caseworker, unless told otherwise), but sees the
        person's data only once a supervisor confirms them -- except for a person they
        have just registered themselves. A duplicate match is linked, not revealed: the
        answer names no client, and a supervisor reviews the match.
        """
        if caseworker_id is None and ctx.actor_role == "caseworker":
            caseworker_id = ctx.actor_id
        at = opened_at or self.clock()
        with domain_refusals():
            if caseworker_id is not None:
                check_may_assign(ctx.actor_role, ctx.actor_id, None, caseworker_id)
            opening = Opening(case_id=uuid.uuid4(), source=Source.DIRECT, opened_at=at,
                              facts=facts, caseworker_id=caseworker_id,
                              client_id=None if client_id is None else str(client_id),
                              person=None if client is None else self._new_person(client, at))
            opened: Opened = self.retrying(lambda: self._open(opening, ctx))
        if opened.possible_duplicate and ctx.actor_role != "supervisor":
            return replace(opened, client_id=None)  # the match is the supervisor's to review
        return opened

    def _new_person(self, client: Fields, at: datetime) -> NewPerson:
        details = {k: v.isoformat() if isinstance(v, date) else v
                   for k, v in client.items() if k in PERSON_FIELDS and v not in (None, "", [])}
        birth_year = birth_year_of(details.get("birth_date"), client.get("birth_year"),
                                   at.date())
        return NewPerson(subject_id=str(uuid.uuid4()), details=details,
                         profile={"gender": client.get("gender") or "Unknown",
                                  "birth_year": birth_year,
                                  "citizenship": client.get("citizenship"),
                                  "languages": list(client.get("languages") or [])},
                         blind_index=blind_index_of(self.settings.blind_index_key, details,
                                                    birth_year))

    def open_case_from_referral(self, data: Fields, envelope: Envelope,
                                tracking: Tracking) -> None:
        """Policy for intake's ReferredToCasework: one case per referred contact."""
        contact_id, subject_id = str(data["contact_id"]), str(data["person_subject_id"])
        case_id = referral_case_id(contact_id)
        if self.find(Case, case_id, sealed=True) is not None:
            return  # opened by an earlier delivery of the same referral
        person = self.vault.unseal(data["person"], REFERRED_PERSON_SEALED_IN)
        blind = self.vault.unseal(data["blind_index"], REFERRED_BLIND_INDEX_SEALED_IN)
        if TAMPERED in (person, blind):
            raise RuleViolated("the referred person's sealed details do not open: refused")
        if not isinstance(person, dict) or not isinstance(blind, str):
            # Erased before we got to it: the person asked to be forgotten, so we do.
            log.warning("referral %s:%s names an erased person; no case opened",
                        envelope.source, envelope.notification_id)
            return
        opening = Opening(
            case_id=case_id, source=Source.REFERRAL, opened_at=data["referred_at"],
            contact_id=contact_id,
            facts={"origin_country": data["citizenship"], "urgency": data["urgency"],
                   "exploitation_types": data["exploitation_types"]},
            person=NewPerson(subject_id=subject_id,
                             details={k: v for k, v in person.items() if k in PERSON_FIELDS},
                             profile={k: data[k] for k in ("gender", "birth_year",
                                                           "citizenship", "languages")},
                             blind_index=blind),
            screening={"assessment": data["assessment"], "indicators": data["indicators"]})
        ctx = policy_context(envelope, self.name, "open_case_from_referral")
        self.retrying(lambda: self._open(opening, ctx, tracking), tracking)

    def _open(self, opening: Opening, ctx: CommandContext,
              tracking: Tracking | None = None) -> Opened:
        """One attempt: the caller retries it on a concurrent change (IntegrityError)."""
        client, registered, duplicate = self._client_for(opening)
        with self.references.issuing(opening.opened_at.year) as numbering:
            reference = numbering.issue(str(opening.case_id))
            return self._save_opening(opening, ctx, tracking, numbering, reference,
                                      client, registered, duplicate)

    def _save_opening(self, opening: Opening, ctx: CommandContext, tracking: Tracking | None,
                      numbering: CaseNumbering, reference: str, client: Client,
                      registered: bool, duplicate: bool) -> Opened:
        client.link_case(str(opening.case_id))
        case = Case.open(case_id=opening.case_id, reference=reference, client_id=str(client.id),
                         source=opening.source, opened_at=opening.opened_at,
                         facts=opening.facts, caseworker_id=opening.caseworker_id,
                         contact_id=opening.contact_id, possible_duplicate=duplicate,
                         candidate=_candidate(opening, duplicate), screening=opening.screening)
        if case.caseworker_id is not None:
            # A supervisor assigning someone confirms them; themselves, another one does.
            if ctx.actor_role == "supervisor" and case.caseworker_id != ctx.actor_id:
                case.confirm_assignment(ctx.actor_id, opening.opened_at)
            elif registered and case.caseworker_id == ctx.actor_id:
                # A person they registered just now: they know what they typed, and no
                # one else's data is behind it (an existing client would have matched).
                case.confirm_assignment(ctx.actor_id, opening.opened_at,
                                        basis="registered the client")
        self.save(numbering, client, case, ctx=ctx, tracking=tracking)
        return Opened(str(case.id), reference, str(client.id), duplicate, case.version,
                      "pending" if case.assignment_pending else
                      "confirmed" if case.caseworker_id else "unassigned")

    def _client_for(self, opening: Opening) -> tuple[Client, bool, bool]:
        """(client, registered just now, possible duplicate)."""
        if opening.client_id is not None:
            return self.load(Client, opening.client_id, sealed=True), False, False
        person = opening.person
        assert person is not None
        client_id = str(uuid.uuid4())
        holder = self.vault.claim_index(person.blind_index, client_id)
        if holder != client_id:
            known = self.find(Client, holder, sealed=True)
            if known is not None:
                # Linked, not merged: the case is flagged and a person decides.
                return known, False, True
            # Claimed by an opening that did not get to save it (or is saving it now:
            # then only one of us stores the client, and the other one starts over).
            client_id = holder
        client = Client.register(client_id=UUID(client_id), subject_id=person.subject_id,
                                 person=person.details, blind_index=person.blind_index,
                                 gender=person.profile["gender"],
                                 birth_year=person.profile["birth_year"],
                                 citizenship=person.profile["citizenship"],
                                 languages_spoken=person.profile["languages"],
                                 registered_at=opening.opened_at)
        return client, True, False


def _candidate(opening: Opening, duplicate: bool) -> dict[str, Any]:
    """The person as described at opening: their subject, and for a possible duplicate
    their details and profile, for whoever reviews it."""
    person = opening.person
    if person is None:
        return {}
    candidate: dict[str, Any] = {"subject_id": person.subject_id}
    if duplicate:
        candidate["person"] = person.details  # sealed by the store, under their subject
        candidate["profile"] = person.profile
    return candidate
