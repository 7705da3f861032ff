"""Letters: drafted from a template in the client's language, read by those the policy
names, and sent -- to an authority only as a disclosure, on casework's word at that moment
(sharing.py); to the client, or the employer on the other side of the client's claim,
recorded as sent. Once the client is erased no letter is drafted or sent any more.
"""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from services.legal.domain import Hearing, Letter, Matter
from services.legal.domain.letters import recipient_address_for, share_purpose
from services.legal.sharing import Sharing
from services.legal.store import Fields
from services.legal.templating import LetterTemplates, letter_context
from services.legal.views import letter_detail
from shared.audit import CommandContext
from shared.errors import NotFound, domain_refusals


class Letters(Sharing):
    templates = LetterTemplates()

    def letter_templates(self, ctx: CommandContext) -> Fields:
        return {"items": [{"template": kind, "languages": languages}
                          for kind, languages in self.templates.kinds().items()]}

    def draft_letter(self, ctx: CommandContext, matter_id: UUID, template: str,
                     recipient_type: str, recipient: str, languages: list[str] | None = None,
                     hearing_id: UUID | None = None, paragraphs: list[str] | None = None,
                     **names: str | None) -> Fields:
        """`names`: recipient_name, recipient_address, client_name, signed_by -- the only
        free values a template sees besides the paragraphs (templating.letter_context)."""
        matter = self.matter_to_change(ctx, matter_id)
        with domain_refusals():
            matter.check_not_erased()
        hearing = None
        if hearing_id is not None:
            hearing = self.load(Hearing, hearing_id, sealed=True)
            if hearing.matter_id != str(matter.id):
                raise NotFound(f"no hearing {hearing_id} in this matter")
        now = self.clock()
        with domain_refusals():
            context = letter_context(
                today=now.date(), case_reference=self.case_record(matter.case_id).reference,
                # Opened for the template (its docket number is sealed): the letter's body
                # is sealed in turn, and read only with a logged purpose.
                matter=self.load(Matter, matter.id), hearing=hearing,
                paragraphs=paragraphs or [],
                recipient_address=recipient_address_for(recipient_type,
                                                        names.get("recipient_address")),
                **{name: names.get(name) for name in ("recipient_name", "client_name",
                                                      "signed_by")})
            language, body = self.templates.render(template, languages or [], context)
            letter = Letter.draft(letter_id=uuid.uuid4(), case_id=matter.case_id,
                                  matter_id=str(matter.id), template=template,
                                  language=language, recipient_type=recipient_type,
                                  recipient=recipient, body=body, drafted_by=ctx.actor_id,
                                  drafted_at=now)
            self.save(letter, ctx=ctx)
        return {"letter_id": str(letter.id), "language": language, "template": template}

    def get_letter(self, ctx: CommandContext, letter_id: UUID,
                   purpose: str | None = None) -> Fields:
        """The letter; its body only to the matter's lawyer, the case's confirmed caseworker
        and supervisors, who name a purpose -- and that read is logged first."""
        letter = self.load(Letter, letter_id, sealed=True)
        matter = self.load(Matter, letter.matter_id, sealed=True)
        if not self.may_read(ctx, matter, purpose, ["letter_body"]):
            return {**letter_detail(letter, personal=False),
                    "personal_data": "not_requested" if purpose is None else "withheld"}
        return {**letter_detail(self.load(Letter, letter_id), personal=True),
                "personal_data": "included"}

    def send_letter(self, ctx: CommandContext, letter_id: UUID, channel: str = "post",
                    sent_on: date | None = None, purpose: str | None = None) -> Fields:
        letter = self.load(Letter, letter_id, sealed=True)
        matter = self.matter_to_change(ctx, UUID(letter.matter_id))
        on = sent_on or self.clock().date()
        with domain_refusals():
            matter.check_not_erased()
            needed = share_purpose(letter.recipient_type, purpose)
            if needed is not None:  # an authority: a disclosure, on casework's word now
                return {**self.share_with_authority(
                    ctx, matter.id, letter.recipient_type, letter.recipient, letter_id=letter.id,
                    purpose=purpose, channel=channel), "letter_id": str(letter.id)}
            letter.send(sent_on=on, channel=channel, disclosure_id=None)
            self.save(letter, ctx=ctx)
        return {"letter_id": str(letter.id), "status": "sent"}
