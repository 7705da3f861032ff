"""The rule file: which events notify whom, over which channels, when -- data, checked
before it is used.

`rules.toml` beside this module is the shipped set; HAVEN_NOTIFICATIONS_RULES names another.
`load_rules(path)` reads it with a marshmallow schema, then checks every rule against the
contracts of the events it names (each producer's contracts.py), so that
- every event, condition, key and time field exists in the producer's contract, and a
  condition's values are values that contract allows;
- a message shows only fields that cannot carry personal data: ids, codes, times, numbers
  (never free text, never sealed data) -- why no body, e-mail or webhook payload can
  carry a victim's name, phone, address or story, whatever a rule's text says;
- recipients, channels and webhook targets are known.
The service refuses to start on a file that fails (`RulesInvalid`); `haven notifications
check-rules [FILE]` runs the same checks and prints every error.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.notifications.domain.rules import CRITICAL, NORMAL, Escalation, Rule
from services.notifications.rulecheck import RuleCheck, known_events
from shared.vocabulary import STAFF_ID

log = logging.getLogger(__name__)
DEFAULT_FILE = Path(__file__).with_name("rules.toml")
NAME = validate.Regexp(r"\A[a-z0-9][a-z0-9-]{0,62}\Z", error="lower-case letters, digits, -")
_DURATION = re.compile(r"\A([0-9]{1,6})([smhd])\Z")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RulesInvalid(ValueError):
    def __init__(self, errors: dict[str, Any]):
        super().__init__(f"the notification rules are not valid: {errors}")
        self.errors = errors


class Duration(fields.Field):
    """"90s", "15m", "2h", "14d"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> timedelta:
        found = _DURATION.match(value) if isinstance(value, str) else None
        if found is None:
            raise ValidationError('a duration such as "90s", "15m", "2h" or "14d"')
        return timedelta(seconds=int(found[1]) * _SECONDS[found[2]])


class OneOrMany(fields.List):
    """A list, or one value standing for a list of one."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        return super()._deserialize([value] if isinstance(value, str) else value, attr, data,
                                    **kwargs)


def _names(**kwargs: Any) -> OneOrMany:
    return OneOrMany(fields.String(validate=validate.Length(min=1, max=100)), **kwargs)


class EscalationSchema(Schema):
    after = Duration(required=True)
    every = Duration(required=True)
    times = fields.Integer(validate=validate.Range(min=1, max=48), required=True)
    to = _names(required=True, validate=validate.Length(min=1))


class RuleSchema(Schema):
    name = fields.String(validate=NAME, required=True)
    on = _names(required=True, validate=validate.Length(min=1))
    when = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    category = fields.String(validate=validate.Regexp(r"\A[a-z][a-z_]{0,39}\Z"), required=True)
    severity = fields.String(validate=validate.OneOf((CRITICAL, NORMAL)), load_default=NORMAL)
    key = _names(load_default=list)
    to = _names(required=True, validate=validate.Length(min=1))
    channels = _names(required=True, validate=validate.Length(min=1))
    text = fields.String(validate=validate.Length(min=1, max=500), required=True)
    link = fields.String(validate=validate.Regexp(r"\A/\S{0,300}\Z"), required=True)
    at = fields.String(load_default=None)
    before = fields.List(Duration(), load_default=list)
    after = Duration(load_default=timedelta(0))
    escalate = fields.Nested(EscalationSchema, load_default=None)
    resolve_on = _names(load_default=list)
    resolve_by = _names(load_default=list)
    ongoing = fields.Boolean(load_default=False)


class EmailSchema(Schema):
    sender = fields.Email(required=True)
    user_address = fields.String(validate=validate.Regexp(r"\A[^\s@{}]*\{user\}[^\s{}]*\Z"),
                                 required=True)  # e.g. "{user}@centre.example"
    roles = fields.Dict(keys=fields.String(), values=fields.Email(), load_default=dict)


class WebhookSchema(Schema):
    url = fields.Url(schemes={"http", "https"}, require_tld=False, required=True)
    secret_env = fields.String(validate=validate.Regexp(r"\A[A-Z][A-Z0-9_]{0,63}\Z"),
                               required=True)


class DeliverySchema(Schema):
    retry = fields.List(Duration(), validate=validate.Length(max=12), required=True)


class RuleFileSchema(Schema):
    delivery = fields.Nested(DeliverySchema, required=True)
    email = fields.Nested(EmailSchema, required=True)
    webhooks = fields.Dict(keys=fields.String(validate=NAME),
                           values=fields.Nested(WebhookSchema), load_default=dict)
    rule = fields.List(fields.Nested(RuleSchema), required=True,
                       validate=validate.Length(min=1))


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_env: str


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    pauses: tuple[timedelta, ...]  # between delivery attempts; then a delivery is given up
    sender: str
    user_address: str
    role_addresses: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, WebhookConfig] = field(default_factory=dict)

    @property
    def events(self) -> set[str]:
        """Every event a rule acts on or is resolved by."""
        return {e for rule in self.rules for e in (*rule.on, *rule.resolve_on)}

    def email_address(self, address: str) -> str | None:
        """A recipient's mailbox: a role's shared one, as this file names it, or a member
        of staff's own in the centre's domain (`user_address`). A staff id comes from
        events and rosters, so it is never taken for a mailbox of its own: one that is not
        a staff id (an e-mail address: "x@evil.example") gets none, and nothing is sent
        out of the organisation. Literal addresses come only from this file."""
        kind, _, name = address.partition(":")
        if kind == "role":
            return self.role_addresses.get(name)
        if kind != "user":
            return None
        if "@" in name or not STAFF_ID.match(name):
            # Never the id itself in the log: it may be someone's e-mail address.
            log.warning("no mailbox for a recipient whose staff id is not one (an e-mail"
                        " address?): nothing is sent to it")
            return None
        return self.user_address.replace("{user}", name)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rule set in `path` (default: the shipped rules.toml); RulesInvalid naming every
    error otherwise."""
    source = Path(path or DEFAULT_FILE)
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesInvalid({"file": [f"{source}: {exc}"]}) from None
    try:
        loaded = RuleFileSchema().load(document)
    except ValidationError as exc:
        raise RulesInvalid(exc.normalized_messages()) from None
    return _built(loaded)


def _built(loaded: dict[str, Any]) -> RuleSet:
    errors: dict[str, Any] = {}
    named = [e for r in loaded["rule"] for e in (*r["on"], *r["resolve_on"])]
    events, targets = known_events(named), set(loaded["webhooks"])
    rules = []
    names = [r["name"] for r in loaded["rule"]]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        errors[f"rule.{duplicate}"] = ["two rules have this name"]
    for data in loaded["rule"]:
        check = RuleCheck(data, events, targets)
        rule = _rule(data, check)
        errors.update(check.errors)
        rules.append(rule)
    if errors:
        raise RulesInvalid(errors)
    email = loaded["email"]
    return RuleSet(rules=tuple(rules), pauses=tuple(loaded["delivery"]["retry"]),
                   sender=email["sender"], user_address=email["user_address"],
                   role_addresses=dict(email["roles"]),
                   webhooks={name: WebhookConfig(**hook)
                             for name, hook in loaded["webhooks"].items()})


def _rule(data: dict[str, Any], check: RuleCheck) -> Rule:
    escalate = data["escalate"]
    return Rule(
        name=data["name"], on=tuple(data["on"]), category=data["category"],
        severity=data["severity"], to=tuple(check.recipients(data["to"], "to")),
        channels=tuple(check.channels()), text=data["text"], link=data["link"],
        facts=tuple(check.facts()), when=tuple(check.conditions()), key=tuple(check.keys()),
        at=check.anchor(), before=tuple(data["before"]), after=data["after"],
        escalate=None if escalate is None else Escalation(
            after=escalate["after"], every=escalate["every"], times=escalate["times"],
            to=tuple(check.recipients(escalate["to"], "escalate.to"))),
        resolve_on=tuple(data["resolve_on"]), resolve_by=tuple(check.resolvers()),
        ongoing=check.ongoing())


def check_subscriptions(rules: RuleSet, consumed: Iterable[str]) -> list[str]:
    """Events the rules name that the service does not consume (service.py): such a rule
    would never fire. Notifications' own signals come from within."""
    return sorted(e for e in rules.events - set(consumed)
                  if not e.startswith("notifications."))
