"""Retention: how long the centre keeps a person's data, and who is due for erasure.

One category is enforced, because one erasure exists: a casework client whose every case
is closed is erased (casework's own erasure: keys shredded, `SubjectErased` published,
every other service drops what it keeps with the person) a configured number of years
after the last of their cases closed. Periods come from the environment, so the data
protection officer changes them without a release, and the Art. 30 record quotes them.

Helpline contacts never referred and missed-call callback numbers have a declared
retention, but no service can erase them on their own today (intake erases a contact
only when casework erases the client it referred): they are listed as not enforced
rather than pretended.

The listing names ids, references, codes and times only: a dry run reveals nobody's data.
The erasure run requests each erasure as the retention policy (the standing decision the
DPO configured) and has the supervisor who runs it approve it through casework's own
`approve_erasure`: the same two-person rule and the same crypto-shredding as any other
erasure. Already erased clients are skipped, so a second run erases nothing more; an
interrupted run is completed by the next one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

CLOSED_CASES = "closed_cases"
ENV_CLOSED_CASES_YEARS = "HAVEN_RETENTION_CLOSED_CASES_YEARS"
DEFAULT_CLOSED_CASES_YEARS = 10
MAX_YEARS = 100
# Who requests a retention erasure: the policy, never a person (the supervisor approves).
POLICY_ACTOR = "policy:retention"
ERASURE_REASON = "retention_period_ended"

# Declared, not enforced: no service has an erasure for these on their own.
NOT_ENFORCED = {
    "intake_contacts_not_referred": "intake has no erasure of a contact on its own",
    "missed_call_callback_numbers": "intake has no erasure of a missed call on its own",
}


class RetentionConfigError(ValueError):
    """A configured period is not a whole number of years in range."""


@dataclass(frozen=True)
class Retention:
    closed_cases_years: int = DEFAULT_CLOSED_CASES_YEARS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Retention:
        env = os.environ if env is None else env
        raw = env.get(ENV_CLOSED_CASES_YEARS, "").strip()
        if not raw:
            return cls()
        try:
            years = int(raw)
        except ValueError:
            years = -1
        if not 1 <= years <= MAX_YEARS:
            raise RetentionConfigError(
                f"{ENV_CLOSED_CASES_YEARS} must be a whole number of years from 1 to"
                f" {MAX_YEARS}, not {raw!r}")
        return cls(closed_cases_years=years)

    def describe(self) -> dict[str, Any]:
        return {CLOSED_CASES: {"years_after_last_closure": self.closed_cases_years,
                               "configured_by": ENV_CLOSED_CASES_YEARS},
                "not_enforced": dict(NOT_ENFORCED)}


@dataclass(frozen=True)
class Due:
    """One client due for erasure: ids, references and times, no personal data."""

    client_id: str
    case_references: tuple[str, ...]
    category: str
    last_closed_at: datetime
    due_since: datetime
    pending_request: str | None  # the reason code of an erasure already requested

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "case_references": list(self.case_references),
                "category": self.category, "last_closed_at": self.last_closed_at.isoformat(),
                "due_since": self.due_since.isoformat(),
                "pending_request": self.pending_request}


def add_years(at: datetime, years: int) -> datetime:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


def client_ids(casework: Any) -> list[UUID]:
    """Every client casework registered, from its notification log (ids only)."""
    from eventsourcing.utils import get_topic

    from services.casework.domain import Client

    topic = get_topic(Client.ClientRegistered)  # type: ignore[attr-defined]
    found: list[UUID] = []
    start, page = 1, 1000
    while True:
        batch = casework.recorder.select_notifications(start, page, topics=[topic])
        found.extend(n.originator_id for n in batch)
        if len(batch) < page:
            return found
        start = batch[-1].id + 1


def due_for_erasure(casework: Any, as_of: datetime,
                    retention: Retention | None = None) -> list[Due]:
    """The clients whose retention ended at or before `as_of`. Reads aggregates sealed:
    nothing is decrypted, so nothing is logged as a read of anyone's data."""
    from services.casework.domain import Case, Client

    retention = retention or Retention.from_env()
    found = []
    for client_id in client_ids(casework):
        client = casework.load(Client, client_id, sealed=True)
        if client.erased or not client.case_ids:
            continue
        cases = [casework.load(Case, case_id, sealed=True) for case_id in client.case_ids]
        if any(case.closure is None for case in cases):  # an open case keeps the person
            continue
        last_closed = max(case.closure["closed_at"] for case in cases)
        due_since = add_years(last_closed, retention.closed_cases_years)
        if due_since > as_of:
            continue
        pending = client.erasure["erasure_reason"] if client.erasure else None
        found.append(Due(client_id=str(client.id),
                         case_references=tuple(sorted(c.reference for c in cases)),
                         category=CLOSED_CASES, last_closed_at=last_closed,
                         due_since=due_since, pending_request=pending))
    return sorted(found, key=lambda d: (d.due_since, d.client_id))


@dataclass(frozen=True)
class Outcome:
    client_id: str
    status: str  # erased | skipped
    note: str | None = None


def erase_due(casework: Any, supervisor: Any, due: list[Due], run_id: str) -> list[Outcome]:
    """Erase each due client with casework's own commands: the policy requests, the
    supervisor approves (approve_erasure shreds the keys and records SubjectErased).
    `run_id` is every event's correlation id: the run is one trace in the audit trail.
    A request someone else made for another reason is left for its own approval."""
    from shared.audit import CommandContext
    from shared.errors import HavenError

    policy = CommandContext(actor_id=POLICY_ACTOR, actor_role="system",
                            command="retention_erasure", correlation_id=run_id)
    outcomes = []
    for item in due:
        if item.pending_request not in (None, ERASURE_REASON):
            outcomes.append(Outcome(item.client_id, "skipped",
                                    f"an erasure for {item.pending_request} awaits approval"))
            continue
        client_id = UUID(item.client_id)
        try:
            if item.pending_request is None:  # the policy asks; it reads nothing
                casework.request_erasure(policy, client_id, ERASURE_REASON, reads_nothing=True)
            casework.approve_erasure(supervisor, client_id)
        except HavenError as refused:  # e.g. the supervisor requested it by hand
            # The contract's message names a rule, never the person.
            outcomes.append(Outcome(item.client_id, "skipped", refused.message))
            continue
        outcomes.append(Outcome(item.client_id, "erased"))
    return outcomes


MAX_REASON = 200


class RetentionRun(Aggregate):
    """One supervised erasure run: ids and codes, and the supervisor's reason (no
    personal data: the command refuses a reason longer than a sentence)."""

    @event("RetentionErasureRun")
    def __init__(self, run_id: str, category: str, as_of: str, period_years: int,
                 reason: str, client_ids: list[str]) -> None:
        self.run_id, self.reason, self.client_ids = run_id, reason, client_ids


def record_run(cfg: Any, supervisor: Any, run_id: str, as_of: datetime, retention: Retention,
               reason: str, due: list[Due]) -> None:
    """Who runs the erasure and why, in the audit store (append-only, hash-chained),
    *before* anything is erased: no record, no erasure. The casework events carry the
    supervisor and the run id as their correlation id (what each erasure became); a
    free-text reason there would be sealed under the erased person and shredded with them."""
    from shared.audit_trail.reveals import RevealLog

    log = RevealLog(cfg)
    try:
        log.save(RetentionRun(run_id=run_id, category=CLOSED_CASES, as_of=as_of.isoformat(),
                              period_years=retention.closed_cases_years, reason=reason,
                              client_ids=[d.client_id for d in due]), ctx=supervisor)
    finally:
        log.close()


def new_run_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(UTC)
