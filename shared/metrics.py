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
