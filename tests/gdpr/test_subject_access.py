"""`haven gdpr access PERSON` (GDPR Art. 15): everything held about one person, from every
service, with nobody else's data -- and the export shows in the person's access log."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from services.casework.application import Casework
from services.casework.vocabulary import DuplicateOutcome
from services.intake.application import Intake
from services.legal.application import Legal
from services.notifications.application import Notifications
from services.notifications.projections import READ_MODELS
from services.shelter.application import Shelters
from shared.auth import issue_token
from shared.bootstrap import attach_read_models
from shared.cli import main
from shared.config import Settings
from tests.gdpr.world import ANA, OLENA, SHELTER_ADDRESS, SUPERVISOR, a_shelter, build


@pytest.fixture(scope="module")
def world():
    """Both people on stores of this module's own (canonical service names, own prefix)."""
    with pytest.MonkeyPatch.context() as patch:
        prefix = f"{Settings.from_env().schema_prefix}gdpr{uuid.uuid4().hex[:6]}_"
        patch.setenv("HAVEN_SCHEMA_PREFIX", prefix)
        cfg = Settings.from_env()
        apps = {"intake": Intake(cfg), "casework": Casework(cfg), "shelter": Shelters(cfg),
                "legal": Legal(cfg), "notifications": Notifications(cfg)}
        runner = attach_read_models(apps["notifications"], READ_MODELS)
        apps["legal"].ask_casework = lambda ctx, case_id, purpose, recipient: \
            apps["casework"].may_share(ctx, UUID(case_id), purpose, recipient)
        try:
            shelter = a_shelter(apps["shelter"])
            olena, ana = build(apps, OLENA, shelter), build(apps, ANA, shelter)
            # A flag between the two: in Olena's shelter file, naming Ana's case.
            apps["shelter"].keep_apart(SUPERVISOR, UUID(olena.case_id), UUID(ana.case_id),
                                       "room", "former_exploiter")
            yield apps, olena, ana, prefix
        finally:
            runner.close()
            for app in apps.values():
                app.close()


def art15(tmp_path, person: str, prefix: str, roles=("supervisor",)):
    result = CliRunner().invoke(main, ["gdpr", "access", person, "--out", str(tmp_path)],
                                env={"HAVEN_SCHEMA_PREFIX": prefix,
                                     "HAVEN_TOKEN": issue_token("dpo-1", list(roles))})
    return result


def test_the_export_holds_the_persons_data_from_every_service_and_nobody_elses(
        haven_run, world, tmp_path):
    apps, olena, ana, prefix = world
    result = art15(tmp_path, olena.reference, prefix)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / f"art15-{olena.client_id}.json").read_text())
    text = (tmp_path / f"art15-{olena.client_id}.md").read_text()
    assert set(doc["services"]) == {"intake", "casework", "shelter", "legal", "notifications"}
    as_json = json.dumps(doc, ensure_ascii=False)
    for value in olena.secrets():
        assert value in as_json, value
    assert doc["details"]["given_name"] == olena.given_name
    apart = [e for e in doc["services"]["shelter"] if e["event"] == "KeepApartRecorded"]
    assert apart and apart[0]["data"]["other_case_id"].startswith("[redacted")
    assert olena.given_name in text and olena.summary in text
    for published in (as_json, text):
        for value in ana.secrets():
            assert value not in published, value
        assert SHELTER_ADDRESS not in published
        assert ana.case_id not in published and ana.reference not in published
        assert ana.client_id not in published


def test_the_export_is_recorded_in_the_persons_access_log(haven_run, world, tmp_path):
    apps, olena, ana, prefix = world
    casework = apps["casework"]

    def requests(client_id):
        return [e for e in casework.access_log(SUPERVISOR, client_id=UUID(client_id))["items"]
                if e["purpose"] == "data_subject_request"]

    before = len(requests(olena.client_id))
    assert art15(tmp_path, olena.client_id, prefix).exit_code == 0
    after = requests(olena.client_id)
    assert len(after) == before + 1 and after[-1]["actor_id"] == "dpo-1"
    assert requests(ana.client_id) == []
    doc = json.loads((tmp_path / f"art15-{olena.client_id}.json").read_text())
    assert any(r["data"].get("purpose") == "data_subject_request"
               for r in doc["reads_of_your_data"])


def test_only_a_supervisor_may_export_and_nothing_is_recorded_otherwise(
        haven_run, world, tmp_path):
    apps, olena, _, prefix = world
    log = apps["casework"].access_log(SUPERVISOR, client_id=UUID(olena.client_id))["items"]
    result = art15(tmp_path, olena.client_id, prefix, roles=("caseworker",))
    assert result.exit_code == 3
    assert not list(tmp_path.iterdir())
    assert apps["casework"].access_log(SUPERVISOR, client_id=UUID(olena.client_id))[
        "items"] == log


def test_an_unknown_person_is_refused_and_nothing_is_written(haven_run, world, tmp_path):
    result = art15(tmp_path, "KC-1999-0001", world[3])
    assert result.exit_code == 2 and "not_found" in result.output
    assert not list(tmp_path.iterdir())


def two_cases_of_one_name(casework: Casework, given: str, family: str) -> tuple[Any, Any]:
    """A client's case, and a second one opened with the same details: a possible duplicate,
    linked to the first client until a supervisor reviews it."""
    details = {"given_name": given, "family_name": family, "birth_year": 1990,
               "gender": "Female", "citizenship": "MD", "languages": ["ro"]}
    facts = {"origin_country": "MD", "exploitation_country": "PL",
             "exploitation_types": ["ForcedLabour"], "urgency": "urgent"}
    first = casework.open_case(SUPERVISOR, caseworker_id="cw-1", client=details, **facts)
    second = casework.open_case(SUPERVISOR, caseworker_id="cw-1", client=details, **facts)
    assert second.possible_duplicate
    return first, second


def test_a_case_found_to_be_someone_elses_is_not_in_the_export(haven_run, world, tmp_path):
    # Opened with details matching a client, the case is linked to them for a review; the
    # review finds two people and the case goes to the other one. Its notes are about
    # that other person: nothing of them belongs in the first person's Art. 15 answer.
    apps, _, _, prefix = world
    casework = apps["casework"]
    irina, other = two_cases_of_one_name(casework, "Irina", "Moldovan")
    assert other.client_id in (None, irina.client_id)
    secret = "The second woman from the van says her brother is still at the farm"
    casework.add_note(SUPERVISOR, UUID(other.case_id), secret)
    casework.review_duplicate(SUPERVISOR, UUID(other.case_id),
                              DuplicateOutcome.DIFFERENT_PERSON.value)

    result = art15(tmp_path, irina.client_id, prefix)
    assert result.exit_code == 0, result.output
    published = (tmp_path / f"art15-{irina.client_id}.json").read_text() \
        + (tmp_path / f"art15-{irina.client_id}.md").read_text()
    assert secret not in published
    assert other.case_id not in published and other.reference not in published


def test_no_export_is_made_while_a_case_of_the_person_awaits_its_duplicate_review(
        haven_run, world, tmp_path):
    # Until a supervisor reviews it, a case opened with details matching a client may be
    # someone else's: exported, its notes could reach the wrong person; left out, the
    # answer would be incomplete. The officer is told to settle it first.
    apps, _, _, prefix = world
    casework = apps["casework"]
    mariana, other = two_cases_of_one_name(casework, "Mariana", "Rusu")
    casework.add_note(SUPERVISOR, UUID(other.case_id), "she came with her cousin")
    reads = len(casework.access_log(SUPERVISOR, client_id=UUID(mariana.client_id))["items"])

    result = art15(tmp_path, mariana.client_id, prefix)
    assert result.exit_code == 4, result.output
    assert "awaiting_review" in result.output and other.reference in result.output
    assert not list(tmp_path.iterdir())
    assert len(casework.access_log(SUPERVISOR, client_id=UUID(mariana.client_id))
               ["items"]) == reads  # nothing was read

    casework.review_duplicate(SUPERVISOR, UUID(other.case_id),
                              DuplicateOutcome.SAME_PERSON.value)
    result = art15(tmp_path, mariana.client_id, prefix)
    assert result.exit_code == 0, result.output
    assert "she came with her cousin" in (tmp_path / f"art15-{mariana.client_id}.json").read_text()


def test_a_call_made_by_someone_else_about_the_person_does_not_give_the_callers_number(
        haven_run, world, tmp_path):
    """Her sister called about her: the call's account is the person's, the number to call
    back is the sister's (Art. 15(4)). A person made to ask by their exploiter would learn
    who reported them."""
    from tests.gdpr.world import OPERATOR

    apps, olena, _, prefix = world
    sisters_number = f"+48 600 {uuid.uuid4().int % 1_000_000:06d}"
    account = f"Her sister says Olenka was moved to another farm ({uuid.uuid4().hex[:6]})"
    contact_id = apps["intake"].log_contact(
        OPERATOR, channel="phone", direction="inbound", language="pl",
        caller_type="family_or_friend", topic="victim_support", urgency="urgent",
        summary=account, callback_contact=sisters_number)["contact_id"]
    apps["intake"].link_to_case(OPERATOR, contact_id, UUID(olena.case_id))
    result = art15(tmp_path, olena.reference, prefix)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / f"art15-{olena.client_id}.json").read_text())
    text = (tmp_path / f"art15-{olena.client_id}.md").read_text()
    for published in (json.dumps(doc, ensure_ascii=False), text):
        assert account in published  # what was said about her is hers
        assert sisters_number not in published
        assert olena.callback in published  # her own call's number stays hers
    assert doc["redactions"]["the caller's, not the person's"] >= 1
