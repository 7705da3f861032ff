"""What every part of casework's application stands on: its store (calendar dates kept as
dates), who works on a client's cases, and the log of reads of a client's personal data.

The application (application.py) is this base plus one part per concern: opening cases
(opening.py), reading personal data (reading.py), correcting a client (corrections.py),
erasure (erasure.py). Each part is a class of methods: go-to-definition reaches the rule.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from services.casework.domain import AccessLog, Case, Client
from services.casework.domain.ids import access_log_id
from shared.audit import CommandContext
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

    def caseworkers_of(self, client: Client) -> list[str | None]:
        return [self.load(Case, case_id, sealed=True).caseworker_id
                for case_id in client.case_ids]

    def record_read(self, ctx: CommandContext, client_id: UUID, case_id: str | None,
                    purpose: str, fields: list[str]) -> None:
        """Logged before the data leaves: a read that cannot be logged does not happen."""
        def record() -> None:
            log = self.find(AccessLog, access_log_id(client_id)) or AccessLog.start(client_id)
            log.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                            case_id=case_id, fields=fields, read_at=self.clock())
            self.save(log, ctx=ctx)

        self.retrying(record)
