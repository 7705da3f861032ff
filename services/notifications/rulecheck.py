"""One rule checked against the contracts of the events it names (see ruleset.py).

Each method returns what it checked, in the domain's terms, and records what is wrong
in `errors` ({"rule.<name>.<part>": [message, ...]}), so one pass names every error.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from string import Formatter
from typing import Any

from marshmallow import ValidationError, fields, validate

from services.notifications.domain.rules import (
    CASEWORKER,
    DESK,
    ON_CALL,
    SUPERVISORS,
    Condition,
)
from services.notifications.signals import INTERNAL
from shared.auth import ROLES
from shared.contracts import Contract
from shared.fields import Sealed
from shared.vocabulary import STAFF_ID

BUILT_INS = ("case_reference", "category", "due")  # filled by notifications, not the event
CHANNELS = ("inbox", "email")  # and webhook:<target>
NAMED_RECIPIENTS = (ON_CALL, CASEWORKER, DESK, SUPERVISORS)
_PLACEHOLDER = re.compile(r"\A[a-z_][a-z0-9_]{0,62}\Z")
_TIMES = (fields.Date, fields.DateTime)
_SOURCE = re.compile(r"\A[a-z][a-z_]{0,30}\Z")


def named(contract: Contract) -> str:
    """"casework.CaseOpened": how the rule file names an event."""
    return f"{contract.source}.{contract.type}"


def known_events(names: Iterable[str]) -> dict[str, Contract]:
    """The contracts the events `names` may be, from each producer's own contracts module
    (services/<source>/contracts.py), and notifications' own signals."""
    found = {named(c): c for c in INTERNAL}
    sources = {n.partition(".")[0] for n in names} - {INTERNAL[0].source}
    for source in sorted(s for s in sources if _SOURCE.match(s)):
        try:
            module = importlib.import_module(f"services.{source}.contracts")
        except ModuleNotFoundError:
            continue
        found.update({named(c): c for c in vars(module).values() if isinstance(c, Contract)})
    return found


def shows_safely(field: fields.Field) -> bool:
    """Whether a field's values may appear in a message: ids, codes, times, numbers. Text is
    free -- it may hold a name or a story -- unless a validator pins it to a list of codes
    or a pattern; sealed personal data never shows."""
    if isinstance(field, Sealed):
        return False
    if isinstance(field, (fields.UUID, fields.Boolean, fields.Integer, *_TIMES)):
        return True
    if isinstance(field, fields.List):
        return shows_safely(field.inner)
    return isinstance(field, fields.String) and any(
        isinstance(v, validate.OneOf | validate.Regexp) for v in field.validators)


def _is_staff(field: fields.Field) -> bool:
    """A member of staff's id, or a list of them."""
    if isinstance(field, fields.List):
        return _is_staff(field.inner)
    return any(isinstance(v, validate.Regexp) and v.regex.pattern == STAFF_ID.pattern
               for v in field.validators)


class RuleCheck:
    def __init__(self, data: dict[str, Any], events: dict[str, Contract], targets: set[str]):
        self.data, self.events, self.targets = data, events, targets
        self.errors: dict[str, list[str]] = {}
        self.on = self._contracts(data["on"], "on")
        self.resolving = self._contracts(data["resolve_on"], "resolve_on")

    def _error(self, part: str, message: str) -> None:
        self.errors.setdefault(f"rule.{self.data['name']}.{part}", []).append(message)

    def _contracts(self, names: list[str], part: str) -> list[Contract]:
        for name in names:
            if name not in self.events:
                self._error(part, f"no contract {name} (known: {', '.join(sorted(self.events))})")
        return [self.events[n] for n in names if n in self.events]

    def _fields(self, name: str, part: str, contracts: list[Contract] | None = None,
                ) -> list[fields.Field]:
        """The field `name` of each contract; an error for each that lacks it."""
        found = []
        for contract in self.on if contracts is None else contracts:
            field = contract.schema().fields.get(name)
            if field is None:
                self._error(part, f"{contract.type} has no field {name!r}")
            else:
                found.append(field)
        return found

    # -- when -------------------------------------------------------------------------------
    def conditions(self) -> list[Condition]:
        found = []
        for name, wanted in self.data["when"].items():
            part, kinds = f"when.{name}", self._fields(name, f"when.{name}")
            if isinstance(wanted, dict):
                found.append(self._bounds(name, wanted, kinds, part))
                continue
            values = wanted if isinstance(wanted, list) else [wanted]
            try:
                loaded = tuple(kind.deserialize(v) for kind in kinds[:1] for v in values)
            except ValidationError as exc:
                self._error(part, f"a value the contract does not allow: {exc.messages}")
                continue
            found.append(Condition(name, one_of=loaded))
        return found

    def _bounds(self, name: str, wanted: dict[str, Any], kinds: list[fields.Field],
                part: str) -> Condition:
        from services.notifications.ruleset import Duration

        unknown = set(wanted) - {"within", "at_most", "at_least"}
        if unknown:
            self._error(part, f"unknown test(s) {sorted(unknown)}: within, at_most, at_least")
        within = None
        if "within" in wanted:
            if not all(isinstance(k, _TIMES) for k in kinds):
                self._error(part, "within: only for a date or a time")
            try:
                within = Duration().deserialize(wanted["within"])
            except ValidationError as exc:
                self._error(part, f"within: {exc.messages}")
        bounds = {b: wanted[b] for b in ("at_most", "at_least") if b in wanted}
        if bounds and not all(isinstance(k, fields.Integer) for k in kinds):
            self._error(part, "at_most, at_least: only for a number")
        if not all(isinstance(v, int | float) for v in bounds.values()):
            self._error(part, "at_most, at_least: a number")
            bounds = {}
        return Condition(name, within=within, **bounds)

    # -- what the alert is about, and when ------------------------------------------------
    def keys(self) -> list[str]:
        """The key, in every event the rule acts on."""
        keys = list(self.data["key"])
        for name in keys:
            self._fields(name, "key")
        if self.data["resolve_on"] and not keys:
            self._error("key", "a rule with resolve_on needs a key")
        return keys

    def resolvers(self) -> list[str]:
        """What the resolving events carry of the key: all of it (the default), or its
        leading fields (a hearing's id, not its reminder's)."""
        keys, by = list(self.data["key"]), list(self.data["resolve_by"])
        if by and by != keys[:len(by)]:
            self._error("resolve_by", f"the key's leading field(s), of {keys}")
        for name in (by or keys) if self.data["resolve_on"] else []:
            self._fields(name, "resolve_by", self.resolving)
        return by

    def anchor(self) -> str | None:
        at = self.data["at"]
        if at is None:
            if self.data["before"]:
                self._error("at", "reminders before something need the field of its time")
            return None
        if not all(isinstance(k, _TIMES) for k in self._fields(at, "at")):
            self._error("at", f"{at!r} is not a date or a time")
        return str(at)

    # -- whom and how ---------------------------------------------------------------------
    def recipients(self, specs: list[str], part: str) -> list[str]:
        for spec in specs:
            kind, _, name = spec.partition(":")
            if spec in NAMED_RECIPIENTS:
                if spec == CASEWORKER:
                    self._fields("case_id", part)
            elif kind == "role" and name in ROLES:
                continue
            elif kind == "user" and STAFF_ID.match(name):
                continue
            elif kind == "staff":
                if not all(_is_staff(f) for f in self._fields(name, part)):
                    self._error(part, f"{name!r} does not name a member of staff")
            else:
                self._error(part, f"unknown recipient {spec!r}: one of {NAMED_RECIPIENTS},"
                                  " role:<role>, user:<id>, staff:<field>")
        return list(specs)

    def channels(self) -> list[str]:
        for channel in self.data["channels"]:
            kind, _, target = channel.partition(":")
            if channel not in CHANNELS and not (kind == "webhook" and target in self.targets):
                self._error("channels", f"unknown channel {channel!r}: inbox, email, or"
                                        f" webhook:<one of {sorted(self.targets)}>")
        return list(self.data["channels"])

    def facts(self) -> list[str]:
        """The event fields the alert keeps: what its text and link show, the staff its
        recipients name, the case it is about. Each shown field must show safely in every
        event the rule acts on."""
        in_text = self._placeholders(self.data["text"], "text")
        in_link = self._placeholders(self.data["link"], "link")
        shown = [n for n in in_text if n not in BUILT_INS] + in_link
        for part, names in (("text", shown[:len(shown) - len(in_link)]), ("link", in_link)):
            for name in names:
                if not all(shows_safely(f) for f in self._fields(name, part)):
                    self._error(part, f"{name!r} may hold free text or personal data:"
                                      " a message shows only ids, codes, times and numbers")
        with_case = ["case_id"] if all("case_id" in c.schema().fields for c in self.on) else []
        if "case_reference" in in_text and not with_case:
            self._error("text", "{case_reference}: the event names no case")
        staff = [spec.partition(":")[2] for spec in self.data["to"] if spec.startswith("staff:")]
        return sorted(set(shown + staff + with_case))

    def _placeholders(self, template: str, part: str) -> list[str]:
        """The event fields a template names; plain names only (no attribute, index,
        conversion or format: a template must not reach into an object)."""
        names = []
        try:
            parsed = list(Formatter().parse(template))
        except ValueError as exc:
            self._error(part, f"not a template: {exc}")
            return []
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if not _PLACEHOLDER.match(name) or spec or conversion:
                self._error(part, f"{{{name}}}: only plain names, such as {{case_id}}")
            else:
                names.append(name)
        return names

    def ongoing(self) -> bool:
        ongoing = bool(self.data["ongoing"])
        if ongoing and not (self.data["key"] and self.data["when"]):
            self._error("ongoing", "an ongoing condition needs a key and a when")
        if ongoing and (self.data["resolve_on"] or self.data["at"]):
            self._error("ongoing", "an ongoing condition ends when it no longer holds:"
                                   " no resolve_on, no at")
        return ongoing
