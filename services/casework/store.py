"""What every part of casework's application stands on: its store (calendar dates kept as
dates), the caller's relations to a person, and the log of reads of a person's data.

The application (application.py) is this base plus one part per concern: opening cases
(opening.py), reading personal data (reading.py), correcting a client (corrections.py),
erasure (erasure.py). Each part is a class of methods: go-to-definition reaches the rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from services.casework.domain import AccessLog, Case, Client
from services.casework.domain.access import PERSONAL_DATA, relations
from services.casework.domain.ids import access_log_id
from shared.audit import CommandContext
from shared.errors import Forbidden, domain_refusals
from shared.eventstore import HavenApplication


class DateAsISO(Transcoding):
    """Calendar dates (consent days, due dates) in stored events."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class CaseworkStore(HavenApplication):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def relations_to(self, ctx: CommandContext, client: Client,
                     reading: Case | None = None) -> set[str]:
        """The caller's relations to the person, or to `reading`, one of their cases
        (domain/access.py decides what they give)."""
        cases = [self.load(Case, case_id, sealed=True) for case_id in client.case_ids]
        log = self.find(AccessLog, access_log_id(client.id))
        return relations(ctx.actor_id, cases, log, self.clock(), reading)

    def may_read(self, ctx: CommandContext, client: Client, reading: Case | None = None) -> bool:
        return PERSONAL_DATA.allows(ctx.actor_role, self.relations_to(ctx, client, reading))

    def require_personal_data(self, ctx: CommandContext, client: Client) -> None:
        """Commands that handle a person's details need what reading them needs."""
        if not self.may_read(ctx, client):
            raise Forbidden(PERSONAL_DATA.refusal(ctx.actor_role))

    def record_read(self, ctx: CommandContext, client_id: UUID | str, case_id: str | None,
                    purpose: str, fields: list[str], **how: Any) -> None:
        """Logged before the data leaves: a read that cannot be logged does not happen.
        `how`: the service it happened in, withheld, emergency (AccessLog.record_read)."""
        def record() -> None:
            log = self.find(AccessLog, access_log_id(client_id)) or AccessLog.start(client_id)
            log.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                            case_id=case_id, fields=fields, read_at=self.clock(), **how)
            self.save(log, ctx=ctx)

        with domain_refusals():
            self.retrying(record)
