"""Commands that touch a client's personal details: corrections, and the review of a
possible duplicate (which may register the candidate as a client of their own).

They load the client or the case unsealed -- the corrected details are merged with the
current ones, the candidate's details become a client's -- and never return them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.casework.domain import Case, Client
from services.casework.domain.access import check_may_change
from services.casework.store import CaseworkStore
from services.casework.vocabulary import DuplicateOutcome
from shared.audit import CommandContext
from shared.errors import Conflict, RuleViolated, domain_refusals
from shared.person import PERSON_FIELDS, birth_year_of, blind_index_of

Fields = dict[str, Any]
PROFILE = ("gender", "birth_year", "citizenship", "languages")


class ClientCorrections(CaseworkStore):
    def correct_client_details(self, ctx: CommandContext, client_id: UUID,
                               expected_version: int | None = None, **changes: Any) -> Fields:
        with domain_refusals():
            client = self.load(Client, client_id)
            if expected_version is not None and client.version != expected_version:
                raise Conflict(f"the client is at version {client.version},"
                               f" not {expected_version}")
            self.require_personal_data(ctx, client)
            if client.erased:
                raise RuleViolated("the client's personal data has been erased")
            person = _plain({**client.person, **{k: v for k, v in changes.items()
                                                 if k in PERSON_FIELDS}})
            profile = {name: changes.get(name, getattr(client, name)) for name in PROFILE}
            if "birth_date" in changes and "birth_year" not in changes:
                profile["birth_year"] = None  # follows the corrected birth date
            now = self.clock()
            year = birth_year_of(person.get("birth_date"), profile["birth_year"], now.date())
            old_index = client.blind_index
            new_index = blind_index_of(self.settings.blind_index_key, person, year)
            if not client.correct_details(person=person, blind_index=new_index,
                                          gender=profile["gender"],
                                          birth_year=profile["birth_year"],
                                          citizenship=profile["citizenship"],
                                          languages_spoken=profile["languages"],
                                          corrected_at=now):
                return {"client_id": str(client.id), "version": client.version}
            self.save(client, ctx=ctx)
        self._move_index(str(client.id), old_index, new_index)
        return {"client_id": str(client.id), "version": client.version}

    def _move_index(self, client_id: str, old: str, new: str) -> None:
        """The old name no longer leads to the client; the new one does, if no one else
        holds it (then they keep it, and the next referral of the name finds them)."""
        if old != new:
            if isinstance(old, str):
                self.vault.release_index(client_id, old)
            self.vault.claim_index(new, client_id)

    def review_duplicate(self, ctx: CommandContext, case_id: UUID, outcome: str,
                         expected_version: int | None = None) -> Fields:
        """Same person: the link stands. Different person: the candidate becomes a client
        of their own, under the subject their details were sealed with, and takes the case."""
        now = self.clock()
        with domain_refusals():
            case = self.load(Case, case_id)
            if expected_version is not None and case.version != expected_version:
                raise Conflict(f"the case is at version {case.version}, not {expected_version}")
            check_may_change(ctx.actor_role, ctx.actor_id, case.caseworker_id)
            decided = case.review_duplicate(outcome=outcome, reviewed_by=ctx.actor_id,
                                            reviewed_at=now)
            changed: list[Any] = [case]
            if decided == DuplicateOutcome.DIFFERENT_PERSON:
                changed += self._separate(case, now)
            self.save(*changed, ctx=ctx)
        return {"case_id": str(case.id), "version": case.version}

    def _separate(self, case: Case, now: datetime) -> list[Client]:
        person, profile = case.candidate_person, case.candidate_profile or {}
        if not isinstance(person, dict) or case.candidate_subject_id is None:
            raise RuleViolated("the candidate's details are erased: they cannot become a"
                               " client")
        details = {k: v for k, v in person.items() if k in PERSON_FIELDS}
        previous = self.load(Client, case.client_id, sealed=True)
        year = profile.get("birth_year")
        client = Client.register(
            client_id=uuid.uuid4(), subject_id=case.candidate_subject_id, person=details,
            blind_index=blind_index_of(self.settings.blind_index_key, details, year),
            gender=profile.get("gender") or "Unknown", birth_year=year,
            citizenship=profile.get("citizenship"),
            languages_spoken=list(profile.get("languages") or []), registered_at=now)
        client.link_case(str(case.id))
        previous.unlink_case(str(case.id))
        case.move_to_client(str(client.id))
        return [previous, client]


def _plain(person: Fields) -> Fields:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in person.items()
            if v not in (None, "", [])}
