"""Every Prometheus metric the platform exports, defined once.

Labels carry service, method, outcome and event type: never ids or personal data.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RPC_CALLS = Counter("haven_rpc_calls_total", "RPC calls by service, method and outcome",
                    ["service", "method", "outcome"])
RPC_LATENCY = Histogram("haven_rpc_latency_seconds", "RPC latency by service, method and outcome",
                        ["service", "method", "outcome"],
                        buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
AUTH_REFUSALS = Counter("haven_auth_refusals_total", "Calls refused by authentication or role",
                        ["service", "method", "reason"])
EVENTS_APPENDED = Counter("haven_events_appended_total", "Domain events stored",
                          ["service", "event"])
OUTBOX_BACKLOG = Gauge("haven_outbox_backlog", "Notifications stored but not yet published",
                       ["service"])
OUTBOX_PUBLISHED = Counter("haven_outbox_published_total", "Integration events published",
                           ["service", "event"])
CONSUMER_LAG = Gauge("haven_consumer_lag_seconds",
                     "Age of the last message a consumer handled when it handled it",
                     ["service", "source", "event"])
CONSUMER_MESSAGES = Counter("haven_consumer_messages_total", "Messages handled by outcome",
                            ["service", "source", "event", "outcome"])
DEAD_LETTERS = Counter("haven_dead_letters_total", "Messages moved to a dead-letter queue",
                       ["service", "source", "event"])
PROJECTION_LAG = Gauge("haven_projection_lag_events",
                       "Notifications not yet applied to a read model", ["service", "projection"])
SEALED_VALUES_TAMPERED = Counter("haven_sealed_values_tampered_total",
                                 "Sealed personal data that failed authentication when read"
                                 " (altered, forged or moved): never counted as erased")
LEGAL_CONSENT_CHECKS = Counter("haven_legal_consent_checks_total",
                               "Consent asked of casework at the moment of sharing, by answer"
                               " (allowed, refused, unavailable)", ["answer"])
LEGAL_REMINDERS = Counter("haven_legal_reminders_total",
                          "Hearing and deadline reminders recorded as due", ["reminder"])
SHELTER_BEDS_FREE = Gauge("haven_shelter_beds_free",
                          "Beds free per shelter (in service, neither held nor occupied)",
                          ["shelter"])  # the shelter's code, never its name or address
SHELTER_ISOLATION_ROOMS_FREE = Gauge("haven_shelter_isolation_rooms_free",
                                     "Isolation rooms free per shelter (in service, empty)",
                                     ["shelter"])
# Notifications (services/notifications): what staff were told, and what is late.
NOTIFICATIONS_SENT = Counter("haven_notifications_sent_total",
                             "Notifications delivered, by channel (inbox, email, webhook)"
                             " and category", ["channel", "category"])
NOTIFICATION_FAILURES = Counter("haven_notification_failures_total",
                                "Failed delivery attempts by channel, category and outcome"
                                " (retrying: tried again later; failed: given up)",
                                ["channel", "category", "outcome"])
NOTIFICATION_ESCALATIONS = Counter("haven_notification_escalations_total",
                                   "Escalation steps of unacknowledged alerts, by category",
                                   ["category"])
NOTIFICATION_TIMER_LAG = Gauge("haven_notification_timer_lag_seconds",
                               "How long the oldest due reminder, escalation or send has"
                               " waited for the poll")
NOTIFICATION_OLDEST_UNACKNOWLEDGED = Gauge(
    "haven_notification_oldest_unacknowledged_emergency_seconds",
    "Age of the oldest critical alert that nobody has acknowledged")
