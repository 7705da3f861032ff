"""Letters on a real PostgreSQL store: the body sealed under the case's key, in clear in no
table of any schema (a pg_dump shows it), and a template that names a shelter address
drafts nothing."""

from __future__ import annotations

import shutil
import uuid
from uuid import UUID

import pytest

from services.legal.domain import Letter
from services.legal.templating import TEMPLATES, LetterTemplates
from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    OTHER_LAWYER,
    a_matter,
    case_in_casework,
)
from shared.crypto import is_sealed
from shared.errors import InvalidInput, RuleViolated
from tests.dumps import needles, pg_dump, readable

TOKEN = uuid.uuid4().hex[:10]
SECRETS = [f"Hanna Melnyk-{TOKEN}", f"the foreman at the {TOKEN} orchard kept her passport"]
DOCKET = f"II K {TOKEN}/26"  # leads to court records naming the client: personal data


@pytest.fixture
def matter_id(app, casework):
    return UUID(a_matter(app, case_in_casework(app, casework)))


def test_a_letter_body_is_in_clear_in_no_dump(app, matter_id, cfg, runner):
    app.update_matter(LAWYER, matter_id, docket_number=DOCKET)
    letter = app.draft_letter(LAWYER, matter_id, "request_for_information", "prosecutor",
                              f"prosecutor-{TOKEN}", languages=["uk", "en"],
                              client_name=SECRETS[0], paragraphs=[SECRETS[1]],
                              recipient_name="Prokuratura Rejonowa Kraków")
    assert letter["language"] == "en"  # no Ukrainian template of this kind: English next
    read = app.get_letter(CASEWORKER, UUID(letter["letter_id"]), purpose="case_work")
    assert SECRETS[0] in read["body"] and SECRETS[1] in read["body"]
    assert DOCKET in read["body"]  # opened for the template, sealed again in the letter
    assert is_sealed(app.load(Letter, letter["letter_id"], sealed=True).body)
    runner.catch_up()  # the read models too: every table of every schema of the run
    dump = readable(pg_dump(cfg)).lower()
    assert f"prosecutor-{TOKEN}".encode() in dump  # the letter's codes are found...
    for secret in (*SECRETS, DOCKET):  # ...the letter's content and the docket are not
        assert not any(n in dump for n in needles(secret))
    assert "body" not in app.get_letter(OTHER_LAWYER, UUID(letter["letter_id"]),
                                        purpose="legal_proceedings")


def test_a_template_naming_the_shelter_address_drafts_nothing(app, matter_id, tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    (root / "shelter_letter").mkdir()
    (root / "shelter_letter" / "pl.html").write_text(
        '{% extends "pl.html" %}{% block body %}<p>Adres: {{ shelter.address }}</p>'
        "{% endblock %}")
    app.templates = LetterTemplates(root)
    before = app.recorder.max_notification_id()
    with pytest.raises(RuleViolated) as refused:
        app.draft_letter(LAWYER, matter_id, "shelter_letter", "court", "court-1",
                         client_name="Hanna")
    assert "may not contain" in refused.value.message
    assert app.recorder.max_notification_id() == before


def test_a_letter_to_the_client_carries_no_address_and_drafts_nothing(app, matter_id):
    """Where the client lives may be a shelter: no letter to the client prints an address."""
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        app.draft_letter(LAWYER, matter_id, "hearing_notice", "client", "client",
                         client_name="Hanna", recipient_address="ul. Cicha 5, Kraków")
    assert set(refused.value.errors) == {"recipient_address"}
    assert app.recorder.max_notification_id() == before
    assert app.draft_letter(LAWYER, matter_id, "hearing_notice", "client", "client",
                            client_name="Hanna")["letter_id"]  # without one: drafted
