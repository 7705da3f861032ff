"""Where each service lives. `haven run NAME` and `haven relay NAME` look here."""

from __future__ import annotations

import importlib
from typing import Any

SERVICES = ("intake", "casework")  # event-sourced services, each with its store and relay
# Processes with no store of their own: the HTTP front, and the auditors' read-only reader.
FRONTS = ("gateway", "audit")


def application_class(service: str) -> Any:
    """The HavenApplication subclass of a service: `services.<name>.application.APPLICATION`."""
    module = importlib.import_module(f"services.{service}.application")
    return module.APPLICATION


def service_class(service: str) -> Any:
    """The nameko service class: `services.<name>.service.SERVICE`."""
    module = importlib.import_module(f"services.{service}.service")
    return module.SERVICE
