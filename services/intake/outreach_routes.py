"""Outreach's HTTP endpoints, each one RPC of the intake service (listed in routes.py)."""

from __future__ import annotations

from shared.routes import Route

OUTREACH = "outreach"

OUTREACH_ROUTES = [
    Route("POST", "/outreach/consultations", "record_consultation",
          "Record a consultation with a state or local body (institution, topic, outcome,"
          " follow-up)", OUTREACH, created="consultation_id"),
    Route("GET", "/outreach/consultations", "list_consultations",
          "Consultations, newest first (by month, institution type, pending follow-up)",
          OUTREACH),
    Route("POST", "/outreach/consultations/<consultation_id>/follow-up",
          "complete_consultation_follow_up", "Mark a consultation's follow-up done", OUTREACH),
    Route("POST", "/outreach/prevention-activities", "record_prevention_activity",
          "Record a training, seminar, workshop, meeting, counselling or publication"
          " (participants as a count)", OUTREACH, created="activity_id"),
    Route("GET", "/outreach/prevention-activities", "list_prevention_activities",
          "Prevention activities, newest first (by month, kind)", OUTREACH),
    Route("POST", "/outreach/records/<record_id>/withdrawal", "withdraw_outreach_record",
          "Take back a record made in error (supervisors; say why in `reason`)", OUTREACH),
    Route("GET", "/outreach/stats", "outreach_stats",
          "The month's outreach: consultations by body and topic, prevention by kind",
          OUTREACH),
]
