"""What a notification says, on every channel: its category, the case reference, the
rule's text and a link into the platform. Built from the alert alone, which holds only
what the rule file may show (ids, codes, times: ruleset.py), so no channel can carry a
victim's name, phone, address or story. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notifications.domain.alerts import Alert
from services.notifications.domain.rules import display


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    link: str


def notice_of(alert: Alert, step: int, platform_url: str) -> Notice:
    link = platform_url + alert.link
    times = (alert.escalation or {}).get("times", 0)
    escalated = f"ESCALATED {step}/{times}: " if step else ""
    reference = f" {alert.case_reference}" if alert.case_reference else ""
    lines = [alert.text]
    if step:
        lines.append(f"Not acknowledged since {display(alert.sent_at)}.")
    lines += ["", f"Open and acknowledge it in Haven: {link}", "",
              "Haven notifications carry no personal data: the record is in Haven."]
    return Notice(subject=f"[Haven] {escalated}{alert.category.replace('_', ' ')}{reference}",
                  body="\n".join(lines), link=link)


def webhook_payload(alert: Alert, step: int, notice: Notice) -> dict[str, Any]:
    """A Standard Webhooks payload: type, timestamp, data."""
    when = alert.notified_at or alert.sent_at
    return {"type": "alert.escalated" if step else "alert.sent",
            "timestamp": when.isoformat() if when else None,
            "data": {"alert_id": str(alert.id), "category": alert.category,
                     "severity": alert.severity, "case_reference": alert.case_reference,
                     "step": step, "subject": notice.subject, "text": alert.text,
                     "link": notice.link}}
