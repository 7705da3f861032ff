"""`haven audit replay --as-of`: the case as it stood then, from its stored events only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from shared.audit import acting_as
from shared.audit_trail.links import collect_case
from shared.audit_trail.replay import replay_case, replay_of, state_of
from tests.audit.conftest import ctx
from tests.audit.tampering import cli


def moments(world, cfg) -> dict[str, datetime]:
    """When each of the case's own events happened, from the stored events."""
    case = collect_case(world.reference, cfg, world.catalogue)
    return {e.decoded.name: e.decoded.timestamp for e in case.events if e.why == "case"}


def test_replay_between_two_events_gives_exactly_the_state_after_the_earlier(world, cfg):
    at = moments(world, cfg)
    between = at["CaseworkerAssigned"] + (at["NoteAdded"] - at["CaseworkerAssigned"]) / 2
    replay = replay_case(world.reference, between, cfg, world.catalogue)
    assert replay.case.version == 2
    assert replay.case.state["caseworker_id"] == "cw-5" and replay.case.state["notes"] == []
    assert replay.case.state["client_name"] == "[personal data]"

    # What eventsourcing's own repository gives for version 2, field for field (unsealed,
    # so compared with the replay a supervisor's reveal would show).
    vault = world.casework.vault
    revealed = replay_of(collect_case(world.reference, cfg, world.catalogue), between,
                         world.catalogue, vault)
    expected = state_of(world.casework.repository.get(world.case_id, version=2),
                        world.casework.name, vault)
    assert revealed.case == expected and expected.state["client_name"] == "Olena Kovalenko"
    # The linked contact, as it stood then: already linked to the case.
    contact = next(a for a in replay.aggregates if a.id == str(world.contact_id))
    assert contact.version == 4 and contact.state["case_reference"] == world.reference
    assert contact.state["summary"] == "[personal data]"


def test_replay_at_the_exact_time_of_an_event_includes_it(world, cfg):
    at = moments(world, cfg)
    replay = replay_case(world.reference, at["NoteAdded"], cfg, world.catalogue)
    assert replay.case.version == 3 and replay.case.state["notes"] == ["[personal data]"]


def test_before_the_case_was_opened_only_the_contact_existed(world, cfg):
    at = moments(world, cfg)
    replay = replay_case(world.reference, at["CaseOpened"] - timedelta(microseconds=1), cfg,
                         world.catalogue)
    assert replay.case is None
    assert [(a.type, a.version) for a in replay.aggregates] == [("Contact", 3)]


def test_later_events_and_snapshots_do_not_change_a_past_state(world, cfg):
    at = moments(world, cfg)
    before = replay_case(world.reference, at["NoteAdded"], cfg, world.catalogue)
    world.casework.change(ctx("cw-5", "caseworker", "close_case", "client_request",
                              detail="client returned home"),
                          world.case_id, "close", "returned_home")
    with acting_as(ctx("cw-5", "caseworker", "close_case")):
        world.casework.take_snapshot(world.case_id)
    assert replay_case(world.reference, at["NoteAdded"], cfg, world.catalogue) == before
    now = replay_case(world.reference, datetime.now(at["NoteAdded"].tzinfo), cfg,
                      world.catalogue)
    assert now.case.state["status"] == "closed" and now.case.version == 4


def test_cli_replay(world, cfg):
    at = moments(world, cfg)
    args = ["replay", world.reference, "--as-of", at["CaseworkerAssigned"].isoformat(),
            *[a for name in world.services for a in ("--service", name)]]
    text = cli(*args)
    assert text.exit_code == 0, text.output
    assert f"Case {world.reference}" in text.output and "caseworker_id: cw-5" in text.output
    as_json = json.loads(cli(*args, "--format", "json").output)
    assert as_json["aggregates"][0]["type"] == "Case"
    assert as_json["aggregates"][0]["version"] == 2
    assert cli("replay", world.reference, "--as-of", "yesterday").exit_code == 2
