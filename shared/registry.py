"""Lookups by service name, over the manifest (services/manifest.py).

Kept for the callers that name a service and want its classes; the manifest is where
services are declared.
"""

from __future__ import annotations

from typing import Any

from shared.manifest import manifest


def application_class(service: str) -> Any:
    return manifest()[service].application_class


def service_class(service: str) -> Any:
    return manifest()[service].service_class


def __getattr__(name: str) -> Any:
    # SERVICES: the event-sourced services with a relay; FRONTS: processes without one.
    if name == "SERVICES":
        return manifest().stores
    if name == "FRONTS":
        return tuple(n for n in manifest().names if n not in manifest().stores)
    raise AttributeError(name)
