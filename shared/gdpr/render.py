"""The Art. 15 document for the person: Markdown, readable as plain text too."""

from __future__ import annotations

import json
from typing import Any

LABELS = {"intake": "Helpline and first contacts (intake)", "casework": "Your cases (casework)",
          "shelter": "Shelter stays (shelter)", "legal": "Legal help (legal)",
          "notifications": "Reminders and alerts to staff (notifications)",
          "audit": "Audit records (audit)"}


def markdown(doc: dict[str, Any]) -> str:
    request = doc["request"]
    lines = ["# Your personal data held by the centre", "",
             f"Answer to your request under Article 15 GDPR, produced {request['generated_at']}"
             f" by {request['generated_by']}. This export is itself recorded in the log of"
             " who read your data.", "",
             "Data about other people (other residents, other victims, callers, shelter"
             " addresses) is shown as *[redacted: another person's data]*.", "",
             "## Your details", ""]
    lines += [f"- **{k}**: {_text(v)}" for k, v in doc["details"].items()] or ["- (none)"]
    lines += ["", "## Your cases", ""]
    lines += [f"- {c['reference'] or c['case_id']}" for c in doc["cases"]]
    lines += ["", "## Who read your data", ""]
    for read in doc["reads_of_your_data"]:
        data = read["data"]
        lines.append(f"- {read['at']}: {read['by']['id']} ({read['by']['role']}), purpose"
                     f" {data.get('purpose', '-')}, {data.get('outcome', 'read')}")
    for service, entries in doc["services"].items():
        lines += ["", f"## {LABELS.get(service, service)}", ""]
        for entry in entries:
            lines.append(f"### {entry['at']} {entry['event']} ({entry['record']})")
            lines.append(f"By {entry['by']['id'] or '-'} ({entry['by']['role'] or '-'})"
                         + (f", reason: {entry['why']['reason']}" if entry["why"]["reason"]
                            else ""))
            lines.append("")
            lines += [f"- {k}: {_text(v)}" for k, v in entry["data"].items()
                      if v not in (None, [], {}, "")]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
