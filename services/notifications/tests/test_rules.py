"""The rule file: loaded with its schema, checked against the producers' contracts, and
refused -- naming every error -- when a message could show personal data, an event or a
field does not exist, or a recipient or channel is unknown. No server needed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.casework.contracts import CASEWORKER_ASSIGNED
from services.casework.schemas import AssignCaseworkerSchema
from services.notifications.cli import notifications_cli
from services.notifications.ruleset import DEFAULT_FILE, RulesInvalid, load_rules
from shared.vocabulary import STAFF_ID

pytestmark = pytest.mark.no_servers

HEAD = """
[delivery]
retry = ["30s"]
[email]
sender = "alerts@haven.example"
user_address = "{user}@haven.example"
[webhooks.pager]
url = "https://pager.example.org/haven"
secret_env = "PAGER_SECRET"
"""
RULE = """
[[rule]]
name = "emergency"
on = "intake.ContactLogged"
when = { urgency = "emergency" }
category = "emergency_contact"
key = "contact_id"
to = ["on_call"]
channels = ["inbox", "webhook:pager"]
text = "Emergency contact ({channel}) at {started_at}"
link = "/api/v1/contacts/{contact_id}"
"""


def rules_file(tmp_path: Path, *rules: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(HEAD + "".join(rules))
    return path


def refusal(tmp_path: Path, rule: str) -> dict:
    with pytest.raises(RulesInvalid) as refused:
        load_rules(rules_file(tmp_path, rule))
    return refused.value.errors


def test_the_shipped_rules_pass_every_check_and_the_service_consumes_their_events():
    result = CliRunner().invoke(notifications_cli, ["check-rules"])
    assert result.exit_code == 0, result.output
    names = {rule.name for rule in load_rules(DEFAULT_FILE).rules}
    assert {"emergency-contact", "emergency-case", "case-assigned", "follow-up-overdue",
            "reflection-period-ending", "missed-call", "break-the-glass", "shelter-no-bed",
            "shelter-no-isolation-room", "placement-waiting", "dead-letter"} <= names


def test_a_valid_rule_is_loaded_with_its_conditions_and_facts(tmp_path):
    (rule,) = load_rules(rules_file(tmp_path, RULE)).rules
    assert rule.when[0].one_of == ("emergency",)
    assert rule.facts == ("channel", "contact_id", "started_at")


@pytest.mark.parametrize(("text", "field"), [
    ("Referred: {person}", "person"),  # sealed personal data
    ("Index {blind_index}", "blind_index"),  # free text as far as the contract says
])
def test_a_message_may_not_show_a_field_that_can_hold_personal_data(tmp_path, text, field):
    rule = RULE.replace('on = "intake.ContactLogged"', 'on = "intake.ReferredToCasework"') \
        .replace('when = { urgency = "emergency" }\n', "").replace(
        'text = "Emergency contact ({channel}) at {started_at}"', f'text = "{text}"')
    errors = refusal(tmp_path, rule)
    assert any(field in message and "personal data" in message
               for message in errors["rule.emergency.text"]), errors


@pytest.mark.parametrize("text", ["{contact_id.__class__}", "{contact_id!r}",
                                  "{started_at:%Y}", "{urgency[0]}"])
def test_a_template_names_plain_fields_only(tmp_path, text):
    errors = refusal(tmp_path, RULE.replace("Emergency contact ({channel}) at {started_at}",
                                            text))
    assert "rule.emergency.text" in errors


@pytest.mark.parametrize(("change", "part"), [
    (('on = "intake.ContactLogged"', 'on = "intake.ContactTeleported"'), "on"),
    (('urgency = "emergency"', 'urgency = "panic"'), "when.urgency"),
    (('urgency = "emergency"', 'mood = "tense"'), "when.mood"),
    (('urgency = "emergency"', 'urgency = { within = "2h" }'), "when.urgency"),
    (('key = "contact_id"', 'key = "case_id"'), "key"),
    (('to = ["on_call"]', 'to = ["caseworker"]'), "to"),  # a contact has no case
    (('to = ["on_call"]', 'to = ["role:janitor"]'), "to"),
    (('"webhook:pager"', '"webhook:elsewhere"'), "channels"),
    (('"webhook:pager"', '"sms"'), "channels"),
])
def test_each_kind_of_mistake_is_named_where_it_is(tmp_path, change, part):
    assert f"rule.emergency.{part}" in refusal(tmp_path, RULE.replace(*change))


def test_a_rule_resolved_by_another_event_needs_a_key_both_carry(tmp_path):
    rule = RULE.replace('key = "contact_id"', 'resolve_on = "intake.CallbackDone"')
    assert "rule.emergency.key" in refusal(tmp_path, rule)


def test_resolving_by_part_of_the_key_takes_its_leading_fields_that_the_event_carries(tmp_path):
    rule = RULE.replace('key = "contact_id"', 'key = ["contact_id", "channel"]\n'
                                              'resolve_on = "intake.ContactClosed"')
    assert "rule.emergency.resolve_by" in refusal(
        tmp_path, rule + 'resolve_by = "channel"\n')  # not the leading field
    assert "rule.emergency.resolve_by" in refusal(tmp_path, rule)  # ContactClosed: no channel
    (loaded,) = load_rules(rules_file(tmp_path, rule + 'resolve_by = "contact_id"\n')).rules
    assert loaded.resolve_by == ("contact_id",)


def test_schema_errors_and_duplicate_names_are_all_reported(tmp_path):
    errors = refusal(tmp_path, RULE + RULE.replace('text = "Emergency', 'severity = "loud"\n'
                                                                      'text = "Emergency'))
    assert "rule" in errors  # the schema's own refusal comes first
    errors = refusal(tmp_path, RULE + RULE)
    assert errors == {"rule.emergency": ["two rules have this name"]}


def test_check_rules_prints_every_error_and_exits_1(tmp_path):
    path = rules_file(tmp_path, RULE.replace("{channel}", "{summary}").replace(
        'to = ["on_call"]', 'to = ["nobody"]'))
    result = CliRunner().invoke(notifications_cli, ["check-rules", str(path)])
    assert result.exit_code == 1
    assert "rule.emergency.text" in result.output and "rule.emergency.to" in result.output


def test_a_member_of_staff_is_mailed_at_the_centres_domain_and_an_e_mail_address_never(
        caplog):
    """A staff id comes from events and rosters: one that is an e-mail address is never
    taken for the mailbox, so a case's alerts cannot be sent out of the organisation.
    Literal addresses are the rule file's own (its role mailboxes)."""
    rules = load_rules()
    assert rules.email_address("user:cw-7") == "cw-7@haven.example"
    assert rules.email_address("role:supervisor") == "supervisors@haven.example"
    with caplog.at_level("WARNING"):
        for address in ("user:x@evil.example", "user:cw-7@haven.example", "user:",
                        "user:cw 7", "x@evil.example", "mailto:x@evil.example"):
            assert rules.email_address(address) is None, address
    assert "no mailbox" in caplog.text and "evil" not in caplog.text


@pytest.mark.parametrize("staff_id", ["x@evil.example", "cw-7@haven.example", "@cw-7"])
def test_the_staff_id_field_refuses_an_e_mail_address_naming_the_field(tmp_path, staff_id):
    """So assigning a case to "x@evil.example" is a 400 naming the field, at the source;
    no contract carries one, and no rule file names one."""
    assign = AssignCaseworkerSchema()
    assert assign.validate({"case_id": str(uuid.uuid4()), "caseworker_id": "cw-7"}) == {}
    refused = assign.validate({"case_id": str(uuid.uuid4()), "caseworker_id": staff_id})
    assert list(refused) == ["caseworker_id"]
    assert "never an e-mail address" in refused["caseworker_id"][0]
    assert "caseworker_id" in CASEWORKER_ASSIGNED.schema().validate({"caseworker_id": staff_id})
    assert not STAFF_ID.match(staff_id)
    assert "rule.emergency.to" in refusal(tmp_path, RULE.replace(
        'to = ["on_call"]', f'to = ["user:{staff_id}"]'))
