"""casework -> notifications: cases opened (emergencies among them) and assigned,
follow-ups, reflection periods, requests for legal help and for a shelter place,
break-the-glass access, closure and erasure. Whatever casework's contracts allow,
notifications accepts."""

from tests.notifications.support import accepts_everything_of

test_notifications_accepts_everything_casework_may_publish = accepts_everything_of("casework")
