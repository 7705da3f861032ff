"""Example request bodies for the calls a desk app makes first, by operation id.

Shown on the docs page and sent as is by "Try it out"; tests/gateway/test_docs.py loads
each one with the operation's own input schema, so an example cannot drift from the API.
Made-up people only.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    "intake.log_contact": {
        "channel": "phone", "direction": "inbound", "language": "uk",
        "interpreter_used": False, "caller_type": "potential_victim", "topic": "victim_support",
        "urgency": "urgent", "started_at": "2026-03-01T14:30:00+01:00",
        "summary": "Works on a farm, passport kept by the employer, wages withheld.",
        "callback_contact": "+48 600 000 000"},
    "intake.screen_contact": {
        "indicators": ["retained_documents", "withheld_wages", "restricted_movement"],
        "assessment": "presumed_victim"},
    "intake.refer_to_casework": {
        "person": {"given_name": "Olena", "family_name": "Example", "birth_date": "1994-05-17"},
        "gender": "Female", "citizenship": "UA", "languages": ["uk", "ru"],
        "exploitation_types": ["ForcedLabour"]},
    "intake.close_contact": {"outcome": "referred_to_casework"},
    "intake.record_missed_call": {"channel": "phone", "callback_contact": "+48 600 000 001"},
    "intake.start_shift": {},
    "casework.open_case": {
        "client": {"given_name": "Olena", "family_name": "Example", "birth_year": 1994,
                   "gender": "Female", "citizenship": "UA", "languages": ["uk"]},
        "origin_country": "UA", "exploitation_country": "PL",
        "exploitation_types": ["ForcedLabour"], "urgency": "urgent"},
    "casework.record_service": {
        "service_type": "crisis_intervention", "duration_minutes": 45, "language": "uk"},
    "casework.add_note": {"text": "First meeting at the office; an interpreter was present."},
    "casework.schedule_follow_up": {"due_at": "2026-03-08T10:00:00+01:00"},
    "casework.close_case": {"closure_reason": "goals_achieved"},
}
