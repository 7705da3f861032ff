"""Letters from templates: Jinja2, sandboxed, autoescaped, strict.

Templates are files, one per kind and language: `templates/<kind>/<language>.html`. A
letter is rendered in the first of the client's languages its kind has a template in,
else in Polish, the centre's own language (every kind has it).

What a template can name is the context `letter_context` builds, field by field, from an
allowlist: the case reference, the matter's docket and court, the hearing's date and
place, the recipient, the client's name as the lawyer gives it, the lawyer's paragraphs.
No address of the client is in it -- a shelter's least of all -- so none can be rendered:
a template that names anything else (`{{ shelter.address }}`) is refused (StrictUndefined),
and one that reaches for Python's insides is stopped by the sandbox. Values are escaped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.legal.domain import Hearing, Matter
from shared.checks import InvalidValue, RuleBroken

TEMPLATES = Path(__file__).parent / "templates"
CENTRE_LANGUAGE = "pl"
SUFFIX = ".html"


class TemplateRefused(RuleBroken):
    """The template names something a letter may not contain, or is broken."""


class LetterTemplates:
    def __init__(self, root: Path = TEMPLATES):
        self.root = Path(root)
        self.environment = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(self.root)), autoescape=True,
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def kinds(self) -> dict[str, list[str]]:
        """{kind: [languages]} of the templates on disk."""
        return {folder.name: sorted(f.name.removesuffix(SUFFIX)
                                    for f in folder.glob("*" + SUFFIX))
                for folder in sorted(self.root.iterdir()) if folder.is_dir()}

    def render(self, kind: str, languages: list[str], context: dict[str, Any]) -> tuple[str, str]:
        """(language, body) of the letter."""
        available = self.kinds().get(kind)
        if not available:
            raise InvalidValue("template", "no such letter template")
        language = next((lang for lang in [*languages, CENTRE_LANGUAGE] if lang in available),
                        available[0])
        name = f"{kind}/{language}"
        try:
            body = self.environment.get_template(name + SUFFIX).render(context)
        except UndefinedError as exc:
            raise TemplateRefused(f"template {name} names a value letters may not contain"
                                  f" ({exc.message}); nothing was drafted") from None
        except SecurityError:
            raise TemplateRefused(f"template {name} reaches beyond the letter's values;"
                                  " nothing was drafted") from None
        except TemplateError as exc:
            raise TemplateRefused(f"template {name} is broken ({type(exc).__name__});"
                                  " nothing was drafted") from None
        return language, body


def letter_context(*, today: date, case_reference: str | None, matter: Matter,
                   hearing: Hearing | None, recipient_name: str | None,
                   recipient_address: str | None, client_name: str | None,
                   paragraphs: list[str], signed_by: str | None) -> dict[str, Any]:
    """Everything a template can name, and nothing else."""
    return {
        "today": today.isoformat(), "case_reference": case_reference or "",
        "matter": {"kind": matter.kind, "standing": matter.standing or "",
                   "docket_number": matter.docket_number or "", "court": matter.court or "",
                   "stage": matter.stage},
        "hearing": None if hearing is None else _hearing(hearing),
        "recipient": {"name": recipient_name or "", "address": recipient_address or ""},
        "client": {"name": client_name or ""},
        "paragraphs": list(paragraphs), "signed_by": signed_by or "",
    }


def _hearing(hearing: Hearing) -> dict[str, str]:
    local = hearing.starts_at.astimezone(ZoneInfo(hearing.time_zone))
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M"),
            "time_zone": hearing.time_zone, "court": hearing.court, "room": hearing.room or "",
            "hearing_type": hearing.hearing_type}
