"""Every Haven service, in one place.

The runner (`haven run NAME`, `haven relay NAME`), embedded mode (`haven dev`), the
gateway's routes, the audit catalogue, docker-compose.yml and deploy/k8s/ all follow this
list. Adding a service: its folder under services/ (service.py, application.py, ...; see
shared/manifest.py for what each part is), one entry here (`Service.store` for the usual
domain service with its own store), then `make deploy-files` to regenerate the deployment
files (a test fails while they are stale).
"""

from __future__ import annotations

from shared.manifest import Manifest, Service

MANIFEST = Manifest(
    Service.store("intake", "IntakeService", application="Intake",
                  summary="the 24/7 helpline and every first contact"),
    Service.store("casework", "CaseworkService", application="Casework",
                  summary="clients, cases, consent, services, plans, erasure"),
    Service.store("shelter", "ShelterService", application="Shelters",
                  summary="shelters, rooms, beds, holds, stays, safety"),
    Service.store("legal", "LegalService", application="Legal",
                  summary="matters, hearings, sessions, letters, consent-gated sharing"),
    Service("notifications", "NotificationsService",
            "rules over everyone's events: inbox, e-mail, webhooks, reminders, escalation",
            application="Notifications", read_models="READ_MODELS", routes=True),
    Service("audit", "AuditService", "read-only RPCs for auditors over every store",
            application="RevealLog", routes=True, audits=True, replicas=1),
    Service("gateway", "GatewayService", "the HTTP+JSON front (OpenAPI), no domain logic",
            http=True),
)
