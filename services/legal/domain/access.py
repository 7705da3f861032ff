"""Need to know in legal: who may change a matter, give it its lawyer, book someone's time,
and read a case's personal data here (a matter's caption, attorney and contact notes,
letters, the documents shared, session notes).

Personal data goes to supervisors, to the lawyer of the matter, and to the case's
caseworker once a supervisor has confirmed them on the case (casework's rule, which legal
follows from casework's facts); everyone else gets the record with it withheld. The centre's
own system (a policy reacting to an event) acts on its own authority.
"""

from __future__ import annotations

from services.legal.domain.rules import AccessDenied
from shared.need_to_know import ANYONE, NeedToKnow

SUPERVISOR, LAWYER, CASEWORKER, SYSTEM = "supervisor", "lawyer", "caseworker", "system"
MATTER_LAWYER = "the matter's lawyer"
CONFIRMED_CASEWORKER = "the case's caseworker, confirmed by a supervisor"

PERSONAL_DATA = NeedToKnow(
    "a matter's caption, attorney and contact notes, its letters, documents and session notes",
    supervisor=(ANYONE,), lawyer=(MATTER_LAWYER,), caseworker=(CONFIRMED_CASEWORKER,))


def relations(actor_id: str, lawyer_id: str | None, caseworker_id: str | None) -> set[str]:
    """`caseworker_id`: the case's caseworker as confirmed (None while unconfirmed)."""
    found = set()
    if actor_id == lawyer_id:
        found.add(MATTER_LAWYER)
    if actor_id == caseworker_id:
        found.add(CONFIRMED_CASEWORKER)
    return found


def may_read_personal_data(role: str, actor_id: str, lawyer_id: str | None,
                           caseworker_id: str | None) -> bool:
    return PERSONAL_DATA.allows(role, relations(actor_id, lawyer_id, caseworker_id))


def check_may_change(role: str, actor_id: str, lawyer_id: str | None) -> None:
    """A matter is worked on by its lawyer or a supervisor."""
    if role in (SUPERVISOR, SYSTEM) or (role == LAWYER and actor_id == lawyer_id):
        return
    raise AccessDenied("only the matter's lawyer or a supervisor may change it")


def check_may_book(role: str, actor_id: str, lawyer_id: str | None,
                   caseworker_id: str | None) -> None:
    """Sessions are arranged by the matter's lawyer, the case's caseworker or a supervisor."""
    if role == SUPERVISOR or (role == LAWYER and actor_id == lawyer_id) \
            or (role == CASEWORKER and actor_id == caseworker_id):
        return
    raise AccessDenied("only the matter's lawyer, the case's caseworker or a supervisor may"
                       " arrange its sessions")


def check_may_assign(role: str, actor_id: str, lawyer_id: str) -> None:
    """Only a supervisor gives a matter its lawyer, or another one. A matter may already
    hold personal data (a supervisor's caption, a contact summary, letters): naming oneself
    its lawyer would be widening one's own access, and that waits for a supervisor --
    taking an unassigned matter included, and by a supervisor who is a lawyer as well:
    another supervisor names them."""
    if role == SUPERVISOR and lawyer_id == actor_id:
        raise AccessDenied("a supervisor does not name themselves a matter's lawyer; another"
                           " supervisor does")
    if role == SUPERVISOR:
        return
    raise AccessDenied("only a supervisor assigns a matter's lawyer; a lawyer asks one to"
                       " take an unassigned matter")


def check_may_open_for(role: str, actor_id: str, lawyer_id: str | None) -> None:
    """Who opens a new matter names its lawyer: a supervisor anyone, a lawyer only
    themselves (the new matter holds nothing yet, so this widens no one's access)."""
    if lawyer_id is None or role == SUPERVISOR or (role == LAWYER and lawyer_id == actor_id):
        return
    raise AccessDenied("a lawyer opens a matter for themselves; supervisors assign the rest")
