"""Every Haven service, in one place.

The runner (`haven run NAME`, `haven relay NAME`), embedded mode (`haven dev`), the
gateway's routes, the audit catalogue, docker-compose.yml and deploy/k8s/ all follow this
list. Adding a service: its folder under services/ (service.py, application.py, ...; see
shared/manifest.py for what each part is), one entry here, then `make deploy-files` to
regenerate the deployment files (a test fails while they are stale).
"""

from __future__ import annotations

from shared.manifest import Manifest, Service

MANIFEST = Manifest(
    Service("intake", "IntakeService", "the 24/7 helpline and every first contact",
            application="Intake", read_models="READ_MODELS", contracts=True, routes=True,
            relay=True, unseals=True),
    Service("casework", "CaseworkService", "clients, cases, consent, services, plans, erasure",
            application="Casework", read_models="READ_MODELS", contracts=True, routes=True,
            relay=True, unseals=True),
    Service("audit", "AuditService", "read-only RPCs for auditors over every store",
            application="RevealLog", routes=True, audits=True, replicas=1),
    Service("gateway", "GatewayService", "the HTTP+JSON front (OpenAPI), no domain logic",
            http=True),
)
