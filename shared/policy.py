"""Who may do what: each service's access policy, written as one table.

A service keeps its table in `policy.py`, beside its domain: which roles may call which
operations, and who among them gets personal data back.

    POLICY = Policy(
        Allow(DESK, "log_contact screen_contact close_contact"),
        Allow(READ_CONTACT, "get_contact", personal="the operator of the open contact, ..."),
    )

The shell reads it to admit a caller (the roles), and the API documentation reads it to
say who may call each operation and whether it returns personal data: the rule is
written once, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import ROLES


@dataclass(frozen=True)
class Allow:
    roles: tuple[str, ...]
    operations: str  # the RPCs these roles may call, separated by white space
    # Who, among those roles, gets personal data back: None when the calls return none.
    personal: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if not self.roles or unknown:
            raise ValueError(f"a policy row needs known roles, got {sorted(self.roles)}")

    def describe(self) -> str:
        line = "Roles: " + ", ".join(self.roles) + "."
        if self.personal:
            line += f" Personal data ({self.personal}); withheld for everyone else."
        return line


class Policy:
    def __init__(self, *rows: Allow):
        self.rows: dict[str, Allow] = {}
        for row in rows:
            for operation in row.operations.split():
                if operation in self.rows:
                    raise ValueError(f"{operation} is in two rows of the policy")
                self.rows[operation] = row

    def __getitem__(self, operation: str) -> Allow:
        return self.rows[operation]

    def __contains__(self, operation: object) -> bool:
        return operation in self.rows

    def roles(self, operation: str) -> tuple[str, ...]:
        return self.rows[operation].roles
