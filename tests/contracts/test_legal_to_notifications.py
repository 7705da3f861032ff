"""legal -> notifications: hearing and deadline reminders as they fall due, hearings moved
or cancelled, deadlines moved or closed. Whatever legal's contracts allow, notifications
accepts."""

from tests.notifications.support import accepts_everything_of

test_notifications_accepts_everything_legal_may_publish = accepts_everything_of("legal")
