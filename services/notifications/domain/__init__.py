"""Notifications' domain: alerts and their escalation, deliveries and their attempts, the
rules that raise them, and what the service knows of cases, the desk and the on-call roster.

Pure: no nameko, no marshmallow, no database, no clock reads.
"""

from services.notifications.domain.alerts import Alert
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.knowledge import (
    CaseFile,
    DeadLetterWatch,
    DeskShift,
    OnCallShift,
    WebhookTarget,
)

__all__ = ["Alert", "CaseFile", "DeadLetterWatch", "Delivery", "DeskShift", "OnCallShift",
           "WebhookTarget"]
