"""The fixtures of notifications' own tests (services/notifications/tests/conftest.py),
for the cross-service ones here (`make dev`'s demo is tests/conftest.py's)."""

from services.notifications.tests.conftest import (  # noqa: F401 - fixtures
    app,
    certificate,
    clock,
    env,
    make_app,
    receiver,
    smtp,
)
