"""intake -> notifications: the helpline's emergency calls, missed calls and callbacks, and
who is at the desk. Whatever intake's contracts allow, notifications accepts: no alert is
lost to a message its consumer refuses and dead-letters."""

from tests.notifications.support import accepts_everything_of

test_notifications_accepts_everything_intake_may_publish = accepts_everything_of("intake")
