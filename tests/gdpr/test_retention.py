"""`haven gdpr retention`: who is due for erasure under the configured retention, and the
supervised run that erases them with casework's own erasure (crypto-shredding).

Clients are opened and closed in the past on casework's own application, with its clock
set back; the command runs as `haven` would, against the same stores. Every name is
invented."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from click.testing import CliRunner

from services.casework.application import Casework
from services.casework.domain import Client
from services.casework.tests.conftest import integration_events
from shared.audit_trail.reveals import RevealLog
from shared.auth import issue_token
from shared.cli import main
from shared.config import Settings
from shared.crypto import ERASED
from shared.gdpr.retention import POLICY_ACTOR, add_years
from tests.gdpr.world import SUPERVISOR


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def a_client(casework: Casework, clock: Clock, family_name: str,
             cases: list[tuple[str, str | None]]) -> dict[str, str]:
    """A client with one case per (opened, closed or None) pair, in that order."""
    client_id: str | None = None
    for opened_on, closed_on in cases:
        clock.now = at(opened_on)
        details = None if client_id else {
            "given_name": "Daria", "family_name": family_name, "birth_year": 1995,
            "gender": "Female", "citizenship": "UA", "languages": ["uk"],
            "phone": "+48 511 333 444", "address": "ul. Polna 8, Kielce"}
        opened = casework.open_case(SUPERVISOR, client=details,
                                    client_id=UUID(client_id) if client_id else None,
                                    caseworker_id="cw-1", opened_at=clock.now,
                                    origin_country="UA", exploitation_country="PL",
                                    exploitation_types=["ForcedLabour"], urgency="urgent")
        client_id = opened.client_id
        casework.add_note(SUPERVISOR, UUID(opened.case_id), f"{family_name} found work")
        if closed_on:
            clock.now = at(closed_on)
            casework.close_case(SUPERVISOR, UUID(opened.case_id), "goals_achieved",
                                closed_at=clock.now)
    clock.now = datetime.now(UTC)
    assert client_id is not None
    return {"client_id": client_id, "family_name": family_name}


@pytest.fixture(scope="module")
def world():
    """Five clients on stores of this module's own. Due under the default 10 years:
    `due` (closed 2014) and `older` (closed 2013). Not due: `recent` (closed 2020),
    `still_open` (one case closed 2013, another open) and `came_back` (closed 2013 and
    again in 2022: the last closure counts)."""
    with pytest.MonkeyPatch.context() as patch:
        prefix = f"{Settings.from_env().schema_prefix}ret{uuid.uuid4().hex[:6]}_"
        patch.setenv("HAVEN_SCHEMA_PREFIX", prefix)
        patch.delenv("HAVEN_RETENTION_CLOSED_CASES_YEARS", raising=False)
        casework = Casework(Settings.from_env())
        clock = Clock()
        casework.clock = clock  # type: ignore[method-assign]
        try:
            people = {
                "due": a_client(casework, clock, "Melnyk", [("2014-02-03", "2014-06-02")]),
                "older": a_client(casework, clock, "Bondar", [("2013-01-07", "2013-05-06")]),
                "recent": a_client(casework, clock, "Tkachenko",
                                   [("2020-01-13", "2020-03-02")]),
                "still_open": a_client(casework, clock, "Kravets",
                                       [("2013-02-04", "2013-04-01"), ("2015-03-02", None)]),
                "came_back": a_client(casework, clock, "Shevchuk",
                                      [("2013-03-04", "2013-06-03"),
                                       ("2021-09-06", "2022-01-10")]),
            }
            yield casework, people, prefix
        finally:
            casework.close()


def retention(prefix: str, *args: str, roles=("supervisor",), env=None):
    token = {"HAVEN_TOKEN": issue_token("sup-9", list(roles))} if roles else {}
    return CliRunner().invoke(main, ["gdpr", "retention", *args],
                              env={"HAVEN_SCHEMA_PREFIX": prefix, **token, **(env or {})})


def listed(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {d["client_id"]: d for d in json.loads(result.output)["due"]}


def log_length(casework: Casework) -> int:
    return casework.recorder.max_notification_id() or 0


def family_name(casework: Casework, client_id: str) -> str:
    return str(getattr(casework.load(Client, UUID(client_id)), "family_name"))  # noqa: B009


def test_a_dry_run_lists_exactly_the_due_clients_without_their_data_and_changes_nothing(
        world):
    casework, people, prefix = world
    before = log_length(casework)
    result = retention(prefix)
    due = listed(result)
    assert set(due) == {people["due"]["client_id"], people["older"]["client_id"]}
    entry = due[people["due"]["client_id"]]
    assert entry["category"] == "closed_cases" and entry["pending_request"] is None
    assert entry["last_closed_at"].startswith("2014-06-02")
    assert entry["due_since"].startswith("2024-06-02")
    assert len(entry["case_references"]) == 1 and entry["case_references"][0].startswith("KC-")
    for person in people.values():
        assert person["family_name"] not in result.output
    for secret in ("Daria", "+48 511", "Polna", "found work"):
        assert secret not in result.output
    assert log_length(casework) == before
    assert family_name(casework, people["due"]["client_id"]) == "Melnyk"


def test_the_dry_run_judges_as_of_the_instant_given(world):
    casework, people, prefix = world
    assert set(listed(retention(prefix, "--as-of", "2023-12-31"))) == {
        people["older"]["client_id"]}
    assert listed(retention(prefix, "--as-of", "2023-05-05T23:59:59+00:00")) == {}


def test_the_period_is_configured_and_a_bad_one_is_refused(world):
    casework, people, prefix = world
    five = listed(retention(prefix, env={"HAVEN_RETENTION_CLOSED_CASES_YEARS": "5"}))
    assert set(five) == {people[n]["client_id"] for n in ("due", "older", "recent")}
    assert json.loads(retention(prefix, env={"HAVEN_RETENTION_CLOSED_CASES_YEARS": "5"})
                      .output)["retention"]["closed_cases"]["years_after_last_closure"] == 5
    bad = retention(prefix, env={"HAVEN_RETENTION_CLOSED_CASES_YEARS": "ten"})
    assert bad.exit_code == 2 and "invalid_input" in bad.output


def test_the_record_of_processing_quotes_the_configured_period(monkeypatch):
    from shared.gdpr import declarations

    monkeypatch.setenv("HAVEN_RETENTION_CLOSED_CASES_YEARS", "7")
    assert "7 years after the last closure" in declarations.RETENTION["default"]


def test_a_period_in_years_ends_on_the_same_calendar_day():
    assert add_years(at("2014-06-02"), 10) == at("2024-06-02")
    assert add_years(at("2016-02-29"), 10) == at("2026-02-28")


def test_an_erasure_run_needs_a_supervisor_a_reason_and_no_look_ahead(world):
    casework, people, prefix = world
    before = log_length(casework)
    for roles in (("auditor",), ("caseworker",), ()):
        refused = retention(prefix, "--apply", "--reason", "yearly review", roles=roles)
        assert refused.exit_code == 3, refused.output
    assert retention(prefix, "--apply").exit_code == 2  # no reason
    ahead = retention(prefix, "--apply", "--reason", "x", "--as-of", "2099-01-01")
    assert ahead.exit_code == 2 and "future" in ahead.output
    assert retention(prefix, "--as-of", "last tuesday").exit_code == 2
    assert log_length(casework) == before
    assert family_name(casework, people["due"]["client_id"]) == "Melnyk"


def test_the_run_erases_the_due_clients_through_casework_and_a_second_run_erases_nothing(
        world):
    """Runs last in this module: it erases the fixture's due clients."""
    casework, people, prefix = world
    due = {people["due"]["client_id"], people["older"]["client_id"]}
    result = retention(prefix, "--apply", "--reason", "yearly retention review")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer["erased"]) == due and answer["skipped"] == []

    for client_id in due:
        client = casework.load(Client, UUID(client_id))
        assert (client.family_name, client.phone, client.address) == (ERASED,) * 3
        assert casework.vault.is_shredded(client.subject_id)
        assert client.erasure["requested_by"] == POLICY_ACTOR
        assert client.erasure["approved_by"] == "sup-9"
        assert client.erasure["erasure_reason"] == "retention_period_ended"
    for name in ("recent", "still_open", "came_back"):
        assert family_name(casework, people[name]["client_id"]) == people[name]["family_name"]
    # The other services hear of it as of any erasure: SubjectErased, for these two only.
    assert {e.data["client_id"] for e in integration_events(casework)
            if e.type == "SubjectErased"} == due
    # Who ran it and why, kept where the erasure cannot shred it.
    runs = audit_runs(casework)
    assert [(r.run_id, r.reason, set(r.client_ids)) for r in runs] == [
        (answer["run_id"], "yearly retention review", due)]

    # The run's record and the erasures keep the stores' hash chains whole.
    verified = CliRunner().invoke(main, ["audit", "verify", "--service", "audit",
                                         "--service", "casework", "--no-progress"],
                                  env={"HAVEN_SCHEMA_PREFIX": prefix})
    assert verified.exit_code == 0, verified.output

    before = log_length(casework)
    again = retention(prefix, "--apply", "--reason", "yearly retention review")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["erased"] == [] and log_length(casework) == before
    assert listed(retention(prefix)) == {}


def audit_runs(casework: Casework):
    log = RevealLog(Settings.from_env())
    try:
        events = [log.mapper.to_domain_event(n)
                  for n in log.recorder.select_notifications(0, 10_000)]
        return [e for e in events if type(e).__name__ == "RetentionErasureRun"]
    finally:
        log.close()
