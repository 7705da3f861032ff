"""Cross-field rules a service checks in its application code rather than in a schema
hook, in words for the OpenAPI document (openapi.py merges them with the hooks' own).

Each was found by schemathesis (tests/test_gateway_schemathesis.py) as a schema-valid
request the service refused; its home is the service's input schema, as a
`validates_schema` hook with this text as its docstring, after which its line here goes.
"""

from __future__ import annotations

APPLICATION_RULES: dict[str, tuple[str, ...]] = {
    "intake.log_contact": ("ended_at, when given, is not before started_at",),
    "intake.screen_contact": ("screened_at is not before the contact started",),
    "intake.correct_case_link": ("reason is required to correct a link the contact has",),
    "intake.end_shift": ("ended_at is not before the shift started",),
    "intake.record_consultation": ("follow_up_action and follow_up_due come together",),
    "casework.schedule_follow_up": ("due_at is not before the case was opened",),
    "shelter.take_room_out_of_service": ("until is after the start",),
    "legal.set_deadline": ("give due_on, or hearing_id and days_before",),
    "notifications.put_on_call": ("ends_at is after starts_at",),
}
