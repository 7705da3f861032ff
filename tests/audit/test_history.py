"""`haven audit history` / `access`: one timeline across services, joined by case id and
correlation id; personal data only on a recorded reveal by a supervisor."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.audit_trail import sources
from shared.audit_trail.access import case_access
from shared.audit_trail.history import case_history
from shared.audit_trail.links import CaseNotFound, collect_case
from tests.audit.conftest import CONTACT, PERSON, ctx
from tests.audit.tampering import cli

TIMELINE = [  # (service, event, actor, role, reason) in the order they happened
    ("intake", "ContactLogged", "op-7", "helpline_operator", None),
    ("intake", "ContactScreened", "op-7", "helpline_operator", "safeguarding"),
    ("intake", "ReferredToCasework", "op-7", "helpline_operator", "safeguarding"),
    ("casework", "CaseOpened", "service:casework", "system", None),
    ("intake", "ContactLinkedToCase", "service:intake", "system", None),
    ("casework", "CaseworkerAssigned", "sup-2", "supervisor", "supervision"),
    ("casework", "NoteAdded", "cw-5", "caseworker", None),
    ("shelter", "ResidentAdmitted", "sh-1", "shelter_staff", "client_request"),
]


def generic(world, line) -> tuple:
    """A history line with the test stores' random names put back to their roles."""
    names = {world.intake.name: "intake", world.casework.name: "casework",
             world.shelter.name: "shelter"}
    actor = line.actor_id
    for name, role in names.items():
        actor = actor.replace(name, role)
    return names[line.service], line.event, actor, line.actor_role, line.reason


def test_history_lists_every_service_in_order_with_actor_and_reason(world, cfg):
    history = case_history(world.reference, cfg, world.catalogue)
    assert history.case_id == str(world.case_id) and history.reference == world.reference
    assert [generic(world, line) for line in history.lines] == TIMELINE
    times = [line.at for line in history.lines]
    assert times == sorted(times)
    # Joined by correlation: the referral, the opening and the link are one story.
    correlated = [line.event for line in history.lines
                  if line.correlation_id == world.correlation_id]
    assert correlated == ["ReferredToCasework", "CaseOpened", "ContactLinkedToCase"]
    opened = history.lines[3]
    assert opened.causation_id.startswith(world.intake.name + ":")


def test_history_leaves_out_other_cases_and_masks_personal_data(world, cfg):
    history = case_history(str(world.case_id), cfg, world.catalogue)  # by id, too
    streams = {line.stream for line in history.lines}
    assert str(world.other_case_id) not in streams
    admitted = [line for line in history.lines if line.event == "ResidentAdmitted"]
    assert [a.data["case_id"] for a in admitted] == [str(world.case_id)]  # not the other's
    text = json.dumps(history.to_dict())
    for secret in ("Olena", "Kovalenko", "passport", "600 100", "station", "pd2:"):
        assert secret not in text
    assert "[personal data]" in text and not history.revealed


def test_a_referral_joins_its_case_by_causation_before_the_contact_is_linked(world, cfg):
    correlation = str(uuid.uuid4())
    contact = world.intake.log_contact(ctx("op-3", "helpline_operator", "log_contact"),
                                       **CONTACT)["contact_id"]
    world.intake.screen_contact(ctx("op-3", "helpline_operator", "screen"), contact,
                                ["deception"], "unclear")
    world.intake.refer_to_casework(
        ctx("op-3", "helpline_operator", "refer_to_casework", None, correlation), contact,
        person=PERSON, gender="Female", citizenship="UA", languages=["uk"],
        exploitation_types=[], urgency=None)
    referral = world.last_nid(world.intake)
    case_id = world.casework.open_case(  # as the policy does: same correlation, caused by it
        ctx("service:casework", "system", "open_case", None, correlation,
            f"{world.intake.name}:{referral}"), "KC-2026-7777", "X")
    world.casework.change(ctx("service:casework", "system", "assign", None, correlation,
                              f"{world.casework.name}:{world.last_nid(world.casework)}"),
                          case_id, "assign", "cw-1")
    case = collect_case(str(case_id), cfg, world.catalogue)
    found = [(e.decoded.name, e.why) for e in case.events]
    assert found == [("ReferredToCasework", "caused it"), ("CaseOpened", "case"),
                     ("CaseworkerAssigned", "case")]


def test_a_correlation_id_reused_for_other_cases_does_not_join_them(world, cfg):
    shared = str(uuid.uuid4())  # one context reused for everything, as the demo loaders do
    first = world.casework.open_case(ctx("sup-1", "supervisor", "open", None, shared),
                                     "KC-2026-8001", "A")
    second = world.casework.open_case(ctx("sup-1", "supervisor", "open", None, shared),
                                      "KC-2026-8002", "B")
    world.casework.change(ctx("sup-1", "supervisor", "assign", None, shared), second,
                          "assign", "cw-2")
    streams = {e.record.originator_id for e in collect_case("KC-2026-8001", cfg,
                                                            world.catalogue).events}
    assert streams == {first.hex}


def test_an_unknown_case_is_not_found(world, cfg):
    with pytest.raises(CaseNotFound):
        case_history("KC-1999-0001", cfg, world.catalogue)
    with pytest.raises(CaseNotFound):
        case_history(str(uuid.uuid4()), cfg, world.catalogue)


# -- the command line --------------------------------------------------------------------
def services(world) -> list[str]:
    return [arg for name in world.services for arg in ("--service", name)]


def test_cli_history_as_text_and_json(world):
    text = cli("history", world.reference, *services(world))
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith(f"Case {world.reference} (id {world.case_id}): 8 events")
    assert "CaseworkerAssigned" in lines[6] and "sup-2 (supervisor)" in lines[6] \
        and "reason: supervision" in lines[6]
    as_json = json.loads(cli("history", world.reference, "--format", "json",
                             *services(world)).output)
    assert [e["event"] for e in as_json["events"]] == [t[1] for t in TIMELINE]
    assert cli("history", "KC-1999-0001", *services(world)).exit_code == 2


def test_cli_history_needs_an_auditor_or_supervisor_token(world):
    assert cli("history", world.reference, *services(world), roles=()).exit_code == 3
    refused = cli("history", world.reference, *services(world), roles=("helpline_operator",))
    assert refused.exit_code == 3 and "refused" in refused.output


def test_a_reveal_needs_a_supervisor_and_a_purpose(world, cfg):
    auditor = cli("history", world.reference, "--reveal", "--purpose", "complaint",
                  *services(world))
    assert auditor.exit_code == 3 and "Olena" not in auditor.output
    no_purpose = cli("history", world.reference, "--reveal", *services(world),
                     roles=("supervisor",))
    assert no_purpose.exit_code == 3 and "Olena" not in no_purpose.output
    assert case_access(world.reference, cfg, world.catalogue).entries == []


def test_a_reveal_is_recorded_in_the_cases_access_log_before_it_is_shown(world, cfg,
                                                                       monkeypatch):
    # The casework stand-in offers the access-log hook: the CLI finds it by service name.
    classes = {world.casework.name: type(world.casework)}
    monkeypatch.setattr(sources, "_application_class", lambda name: classes.get(name))
    shown = cli("history", world.reference, "--reveal", "--purpose", "ministry complaint 12/26",
                *services(world), roles=("supervisor",), user="sup-9")
    assert shown.exit_code == 0, shown.output
    assert f"reveal recorded in the {world.casework.name} access log" in shown.output
    assert "Olena" in shown.output and "Met Olena at the station" in shown.output

    access = case_access(world.reference, cfg, world.catalogue)
    assert [(e.event, e.actor_id, e.actor_role, e.purpose, e.what) for e in access.entries] == [
        ("PersonalDataRead", "sup-9", "supervisor", "ministry complaint 12/26", ["history"])]
    listed = cli("access", world.reference, *services(world))
    assert listed.exit_code == 0 and "sup-9 (supervisor)" in listed.output
    assert "purpose: ministry complaint 12/26" in listed.output


def test_without_an_access_log_the_reveal_goes_to_the_audit_store(world, cfg):
    shown = cli("replay", world.reference, "--as-of", "2100-01-01T00:00:00Z", "--reveal",
                "--purpose", "legal_proceedings", "--reason", "court order 5/26",
                "--format", "json", *services(world),
                "--service", "audit", roles=("supervisor",), user="sup-4")
    assert shown.exit_code == 0, shown.output
    assert "reveal recorded in the audit reveal log" in shown.output
    assert "Olena Kovalenko" in shown.output
    access = case_access(world.reference, cfg, world.catalogue)
    assert [(e.service, e.event, e.actor_id, e.purpose) for e in access.entries] == [
        ("audit", "PersonalDataRevealed", "sup-4", "legal_proceedings")]
    # The reveal is part of the case's history from now on, with its reason.
    last = case_history(world.reference, cfg, world.catalogue).lines[-1]
    assert (last.event, last.actor_role, last.reason) == \
        ("PersonalDataRevealed", "supervisor", "other")


def test_a_cases_own_events_are_found_though_they_never_repeat_its_id(world, cfg):
    # No personal data: nothing in the stored bytes names the case, only the stream's key.
    case_id = world.casework.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-5555",
                                       None)
    world.casework.change(ctx("cw-1", "caseworker", "assign"), case_id, "assign", "cw-1")
    stored = world.casework.recorder.select_events(case_id)
    assert all(case_id.hex.encode() not in s.state and str(case_id).encode() not in s.state
               for s in stored)
    for ref in ("KC-2026-5555", str(case_id)):
        history = case_history(ref, cfg, world.catalogue)
        assert [line.event for line in history.lines] == ["CaseOpened", "CaseworkerAssigned"]


def test_a_causation_id_sent_by_a_caller_does_not_join_another_case(world, cfg):
    # A direct RPC caller sends any correlation and causation id with their own command
    # (shared.shell). Claiming to be caused by an event of this case, a note on another
    # case would join this case's history -- and a reveal of this case would open it,
    # recorded in this person's access log, not in the other person's.
    opened = next(e for e in collect_case(world.reference, cfg, world.catalogue).events
                  if e.decoded.name == "CaseOpened")
    audit = opened.decoded.audit
    world.casework.change(
        ctx("cw-6", "caseworker", "add_note", None, audit["correlation_id"],
            f"{opened.record.service}:{opened.record.notification_id}"),
        world.other_case_id, "add_note", "Ion sleeps at the bus station on Lipowa")
    streams = {e.record.originator_id
               for e in collect_case(world.reference, cfg, world.catalogue).events}
    assert world.other_case_id.hex not in streams
    history = case_history(world.reference, cfg, world.catalogue)
    assert [generic(world, line) for line in history.lines] == TIMELINE


@pytest.fixture
def connects(monkeypatch):
    """Every connection opened to PostgreSQL from now on (psycopg's own connect, counted:
    a pool's connections too)."""
    import psycopg

    opened: list[str] = []
    real = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def counting(cls, conninfo="", **kwargs):
        opened.append(conninfo)
        return real(cls, conninfo, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(counting))
    monkeypatch.setattr(psycopg, "connect", psycopg.Connection.connect)  # its alias
    return opened


def test_one_answer_reads_every_store_of_a_database_over_one_connection(world, cfg,
                                                                         connects):
    case = collect_case(world.reference, cfg, world.catalogue)
    assert {e.record.service for e in case.events} == set(world.services)  # four stores read
    assert len(connects) == 1


def test_the_audit_service_keeps_its_connections_from_one_answer_to_the_next(world, cfg,
                                                                              connects):
    from services.audit.reader import AuditReader

    reader = AuditReader(cfg, world.catalogue)
    try:
        auditor = ctx("aud-1", "auditor", "case_history")
        answers = [reader.case_history(auditor, world.reference) for _ in range(3)]
        assert answers[0] == answers[1] == answers[2]
        assert [line["event"] for line in answers[0]["events"]] == [t[1] for t in TIMELINE]
        assert len(connects) == 1  # the pool's one, not one per store per answer
    finally:
        reader.close()
