"""What every call of the API shares, written once for the OpenAPI document's front page.

The shell (shared/shell.py) and the gateway do what this says; tests/gateway hold them to it.
"""

from __future__ import annotations

from typing import Any

# Printable ASCII without spaces: a UUID, a ULID or any client-made token fits.
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"

IDEMPOTENCY_KEY: dict[str, Any] = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "pattern": KEY_PATTERN, "example": "desk-7f3c9e2a"},
    "description": "Send a new key (e.g. a UUID) with each command; send the same key again"
                   " when you retry it. The first answer is kept for 24 hours and given again"
                   " (same status and body) without doing anything twice; the same key with"
                   " a different body is refused with 422. Keys are yours alone: another"
                   " caller's key never collides with yours.",
}

# Which of the token's roles a call is made in, for someone who has more than one.
ROLE_HEADER = "X-Haven-Role"

GUIDE = """Internal API of the Haven case platform: the helpline desk, casework, shelters,
legal aid and staff notifications.

**Signing in.** Every call needs `Authorization: Bearer <token>`. `make dev` prints a
token for every role; `haven token issue --user U --roles r1,r2` mints one. Each
operation says which roles may call it, and who among them gets personal data back:
everyone else gets the same record with the personal data withheld and a
`personal_data_note` saying which relation is missing. Reads of personal data name a
`purpose` (a code) and are logged. A call is made in one role: the first of your token's
roles the operation allows, or the one you name in `X-Haven-Role` (someone who is a
caseworker and a supervisor reads the supervisors' inbox with `X-Haven-Role: supervisor`);
naming a role your token does not give, or one the operation does not allow, is 403.

**Errors** are `application/problem+json` (RFC 9457): `title` is the HTTP status, `detail`
says what went wrong in words for staff, `code` is stable for programs (INVALID_INPUT,
UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, RULE_VIOLATED, METHOD_NOT_ALLOWED) and
`errors` names each refused field. A refused request changes nothing. A 401 carries
`WWW-Authenticate`, a 405 the `Allow` header. Quote `correlation_id` when you report a
problem: it is on every record the call wrote (send your own as `X-Correlation-Id`).

**Retrying safely.** Every POST takes an `Idempotency-Key` header: send the same key
again and you get the first answer (status and body) without a second record; the same
key with another body is refused (422).

**Codes and times.** Every status and code is lower-case snake_case (`follow_up`,
`forced_labour`, `potential_victim`); the lists are in each schema as enumerations.
Times are ISO 8601 with a zone offset (`2026-03-01T14:30:00+01:00`) and come back in UTC;
dates are `YYYY-MM-DD`; months `YYYY-MM` (UTC calendar months). Booleans are JSON `true`
and `false` (in a query string: `true` or `false`).

**Cases** are named by their id or their reference (`GET /api/v1/cases/KC-2026-0033`), in
every path that takes a case, and found with `GET /api/v1/cases?reference=`. A referral
answers at once; casework opens the case moments later: the answer's `case` link shows
it (its `case_id` and `case_reference`) as soon as it exists. `GET /api/v1/cases/{case_id}
/contacts` shows the helpline contacts that led to a case, with their summaries for those
who need to know.

**Rules the schemas cannot express** are listed (`x-rules-outside-schema` names the
kinds): rules across fields in each operation's description and `x-cross-field-rules`;
the window a date must lie in, relative to today, as each field's `x-window`; rules about
records already kept (an id of a record of another kind, a name already taken, a date
before the case opened) as 400 naming the field, or 404 and 422. Breaking one is refused
with 400 naming the field; every other refusal means the request broke the schema.
"""
