"""Need to know: who gets a person's personal data, as a table of role x relation x data.

Each service writes its table once, beside its domain:

    PERSONAL_DATA = NeedToKnow(
        "the client's details and the case's notes, evidence and plans",
        supervisor=(ANYONE,),
        caseworker=(ASSIGNED, EMERGENCY),
    )

The domain works out the caller's relations to a record (assigned to its case by a
supervisor, handling its open contact, holding emergency access...) and the table decides;
the API documentation prints the same table. Everyone else gets the record with its
personal data withheld. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Collection

ANYONE = "in any relation"


class NeedToKnow:
    def __init__(self, data: str, **grants: tuple[str, ...]):
        self.data = data  # what the table protects, in the centre's words
        self.grants = grants  # role -> the relations to the record that grant it

    def allows(self, role: str, relations: Collection[str]) -> bool:
        needed = self.grants.get(role)
        return needed is not None and (ANYONE in needed or bool(set(needed) & set(relations)))

    def describe(self) -> str:
        """The table in one sentence: for the docs, and in a refusal."""
        rows = [role if ANYONE in relations else f"{role} ({' or '.join(relations)})"
                for role, relations in self.grants.items()]
        return f"{self.data}: only to {'; '.join(rows)}"

    def refusal(self, role: str) -> str:
        """Why a caller is refused or gets it withheld: the role or relation missing."""
        if role not in self.grants:
            return f"the role {role} is not given {self.describe()}"
        return f"you lack the relation it needs; {self.describe()}"


Versioned = tuple[int, str | None]  # (the case's version in casework, the caseworker)


def confirmed_caseworker(assigned: Versioned, confirmed: Versioned) -> str | None:
    """The caseworker who gets a case's personal data, from casework's facts as another
    service keeps them: the one assigned, if a supervisor confirmed them after that
    assignment. The facts may arrive in any order (a queue per event type); casework's
    versions order them. Moved off the case and put back, a caseworker waits for a new
    confirmation, as in casework itself."""
    (assigned_at, caseworker), (confirmed_at, confirmed_one) = assigned, confirmed
    if caseworker is None or caseworker != confirmed_one or confirmed_at <= assigned_at:
        return None
    return caseworker

