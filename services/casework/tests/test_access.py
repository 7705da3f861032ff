"""Ways into a person's data that need-to-know must close: each test tries one."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from services.casework.tests.conftest import (
    CASEWORKER,
    COLLEAGUE,
    SUPERVISOR,
    letters,
    new_client,
    opened,
)
from shared.errors import Forbidden


def _text(detail) -> str:
    return json.dumps(detail, default=str)


# -- a possible duplicate ----------------------------------------------------------------
def test_a_possible_duplicate_is_read_by_no_caseworker_until_a_supervisor_settles_it(app):
    """Two people with one name and birth year: the second one's case is linked to the first
    client until a supervisor reviews it. Meanwhile the first client's caseworker does not
    read what may be another person (the details the case was opened with, its notes), and
    a caseworker confirmed on the second case does not read the first client."""
    family = "Nowak-" + letters()
    first, known = opened(app, client=new_client(family_name=family))  # cw-1's own client
    second, _ = opened(app, ctx=COLLEAGUE, client=new_client(
        family_name=family, phone="+48 600 100 200", address="ul. Piekarska 3, Opole"))
    assert second.possible_duplicate is True
    case_id = uuid.UUID(second.case_id)
    app.add_note(COLLEAGUE, case_id, "sleeps above the bakery")

    seen = app.case_detail(CASEWORKER, case_id, purpose="case_work")
    assert seen["personal_data"] == "withheld"
    for secret in ("600 100 200", "Piekarska", "bakery", known["phone"]):
        assert secret not in _text(seen)
    assert "client_id" not in seen  # nor which client it matched

    # A supervisor confirms the caseworker on the case before settling the match: the
    # match still leads them to no one.
    app.confirm_assignment(SUPERVISOR, case_id)
    assert app.case_detail(COLLEAGUE, case_id, purpose="case_work")["personal_data"] == \
        "withheld"
    client = app.client_detail(COLLEAGUE, uuid.UUID(first.client_id), purpose="case_work")
    assert "person" not in client and known["address"] not in _text(client)
    log = app.access_log(SUPERVISOR, case_id=case_id)["items"]
    assert [(e["actor_id"], e["outcome"]) for e in log] == \
        [("cw-1", "withheld"), ("cw-2", "withheld"), ("cw-2", "withheld")]

    # The supervisor reviews it with the candidate's details; settled as the same person,
    # both caseworkers now work for that one person.
    review = app.case_detail(SUPERVISOR, case_id, purpose="duplicate_review")
    assert review["candidate_person"]["phone"] == "+48 600 100 200"
    app.review_duplicate(SUPERVISOR, case_id, "same_person")
    mine = app.case_detail(CASEWORKER, case_id, purpose="case_work")
    assert mine["personal_data"] == "included" and mine["notes"][0]["text"] == \
        "sleeps above the bakery"
    assert app.client_detail(COLLEAGUE, uuid.UUID(first.client_id),
                             purpose="case_work")["person"]["family_name"] == family


def test_the_caseworker_of_a_possible_duplicate_does_not_settle_it_as_a_supervisor(app):
    """Someone who is a caseworker and a supervisor, on their own case's match: as "the
    same person" it would lead them to the client it matched, whose caseworker they are
    not. Another supervisor settles it."""
    family = "Nowak-" + letters()
    opened(app, client=new_client(family_name=family))  # cw-1's own client
    second, _ = opened(app, ctx=COLLEAGUE, client=new_client(family_name=family))
    case_id = uuid.UUID(second.case_id)
    version = app.case_detail(SUPERVISOR, case_id, purpose="duplicate_review")["version"]
    also_supervisor = dataclasses.replace(COLLEAGUE, actor_role="supervisor")
    with pytest.raises(Forbidden):
        app.review_duplicate(also_supervisor, case_id, "same_person")
    review = app.case_detail(SUPERVISOR, case_id, purpose="duplicate_review")
    assert review["version"] == version and review["possible_duplicate"] is True
    app.review_duplicate(SUPERVISOR, case_id, "same_person")
