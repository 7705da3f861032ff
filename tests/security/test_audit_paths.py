"""The audit and data-subject paths (haven audit, the audit service, GDPR export) give no
personal data to anyone the access rule does not name.

Each test here names one confirmed leak and passes once it is mended.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from shared import eventstore
from shared.audit_trail.history import case_history
from shared.audit_trail.replay import replay_case
from tests.audit.casework_like import Case
from tests.audit.conftest import ctx, world  # noqa: F401 - the multi-service case world

NOTE = "Olena hides at her cousin's flat, ul. Lipowa 3"


@contextmanager
def declared(cls: type, personal: dict[str, str]):
    """The aggregate's PERSONAL_DATA as an older release of its code had it."""
    before = cls.PERSONAL_DATA  # type: ignore[attr-defined]
    cls.PERSONAL_DATA = personal  # type: ignore[attr-defined]
    eventstore.personal_data_of.cache_clear()
    eventstore._declared.cache_clear()
    try:
        yield
    finally:
        cls.PERSONAL_DATA = before  # type: ignore[attr-defined]
        eventstore.personal_data_of.cache_clear()
        eventstore._declared.cache_clear()


def _a_note_written_before_notes_were_declared(world: Any) -> None:  # noqa: F811
    # As legal's docket numbers before aa653ab: the field was personal data, but the code
    # that stored it did not declare it, so the store holds it in clear -- and keeps it.
    with declared(Case, {"client_name": "id"}):
        world.casework.change(ctx("cw-5", "caseworker", "add_note"), world.case_id,
                              "add_note", NOTE)
    stored = world.casework.recorder.select_events(world.case_id)
    assert any(NOTE.encode() in s.state for s in stored)  # the precondition: in clear


def test_personal_data_stored_in_clear_is_masked_in_an_unrevealed_history(world, cfg):  # noqa: F811
    """An auditor's history (CLI without --reveal, the audit service's case_history) masks
    the fields an aggregate declares personal, whether or not the stored value is sealed."""
    _a_note_written_before_notes_were_declared(world)
    history = case_history(world.reference, cfg, world.catalogue)
    assert not history.revealed
    assert "ul. Lipowa" not in json.dumps(history.to_dict())
    assert "Lipowa" not in history.text()
    noted = [line for line in history.lines if line.event == "NoteAdded"]
    assert noted[-1].data["notes"] == "[personal data]"


def test_personal_data_stored_in_clear_is_masked_in_an_unrevealed_replay(world, cfg):  # noqa: F811
    _a_note_written_before_notes_were_declared(world)
    replay = replay_case(world.reference, datetime(2100, 1, 1, tzinfo=UTC), cfg,
                         world.catalogue)
    assert not replay.revealed
    assert "ul. Lipowa" not in json.dumps(replay.to_dict())
    assert replay.case is not None
    assert "[personal data]" in replay.case.state["notes"]
