"""What of an event the person gets back: their own sealed values opened, anyone else's
redacted unopened, ids of other people and cases replaced, staff kept."""

from __future__ import annotations

import pytest

from shared.crypto import SEAL_PREFIX
from shared.gdpr.redaction import OTHER_PERSON, Redactor

pytestmark = pytest.mark.no_servers
MINE, THEIRS = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
OPENED: list[str] = []


def sealed(subject: str, text: str) -> str:
    return f"{SEAL_PREFIX}{subject}:{text}"  # the format's shape; opened by `unseal` below


def unseal(value: str, where: str) -> str:
    OPENED.append(value)
    return "opened:" + value.rsplit(":", 1)[1]


def redactor() -> Redactor:
    return Redactor({MINE}, {MINE, "KC-2026-0001"}, unseal)


def test_the_persons_own_sealed_values_are_opened():
    assert redactor().value(sealed(MINE, "my story"), "intake/Contact.summary") == \
        "opened:my story"


def test_another_persons_sealed_values_are_redacted_without_being_opened():
    OPENED.clear()
    r = redactor()
    assert r.value(sealed(THEIRS, "her story"), "x/Y.z") == OTHER_PERSON
    assert OPENED == [] and r.counts["sealed under another person"] == 1


def test_ids_of_other_people_and_cases_are_replaced_staff_ids_kept():
    r = redactor()
    out = r.data({"case_id": MINE, "other_case_id": THEIRS, "case_reference": "KC-2026-0002",
                  "apart": {THEIRS: "room"}, "caseworker_id": "cw-1", "actor_id": "sup-1",
                  "stay_ids": [MINE, THEIRS]}, lambda key: key)
    assert out["case_id"] == MINE and out["caseworker_id"] == "cw-1"
    assert out["other_case_id"] == OTHER_PERSON and out["case_reference"] == OTHER_PERSON
    assert THEIRS not in str(out) and out["stay_ids"] == [MINE, OTHER_PERSON]


def test_dashes_and_case_do_not_hide_an_own_id():
    assert redactor().value(MINE.replace("-", "").upper(), "", naming=True) != OTHER_PERSON
