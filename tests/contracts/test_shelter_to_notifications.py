"""shelter -> notifications: beds and isolation rooms running out, placements waiting too
long and then held, admitted or declined, a shelter's location compromised. Whatever the
shelter's contracts allow, notifications accepts."""

from tests.notifications.support import accepts_everything_of

test_notifications_accepts_everything_shelter_may_publish = accepts_everything_of("shelter")
