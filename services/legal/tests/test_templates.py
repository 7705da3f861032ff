"""Letter templates, without any server: what a template can name, and what it cannot."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.legal.domain import Hearing, Matter
from services.legal.templating import TEMPLATES, LetterTemplates, TemplateRefused, letter_context
from shared.checks import InvalidValue

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def context(**overrides):
    matter = Matter.open(matter_id=uuid.uuid4(), case_id=str(uuid.uuid4()), kind="labour_claim",
                         source="direct", opened_at=T0, standing="claimant")
    hearing = Hearing.schedule(
        hearing_id=uuid.uuid4(), matter_id=str(matter.id), case_id=matter.case_id,
        starts_at=T0 + timedelta(days=3), ends_at=T0 + timedelta(days=3, hours=1),
        time_zone="Europe/Warsaw", hearing_type="main_trial", court="Sąd Rejonowy Poznań",
        room="3", judge=None, lawyer_id=None, interpreter_needed=False,
        interpreter_language=None, accompaniment_needed=False, measures_requested=[], now=T0)
    values = {"today": date(2026, 3, 2), "case_reference": "KC-2026-0042", "matter": matter,
              "hearing": hearing, "recipient_name": "Prokuratura Rejonowa",
              "recipient_address": "ul. Krakowska 1, Poznań", "client_name": "Hanna Melnyk",
              "paragraphs": ["Please confirm receipt."], "signed_by": "mec. J. Kowalska",
              **overrides}
    return letter_context(**values)


@pytest.fixture
def templates(tmp_path):
    """The shipped templates, plus one a careless hand added."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    return root


def add(root, kind: str, text: str) -> LetterTemplates:
    (root / kind).mkdir()
    (root / kind / "pl.html").write_text('{% extends "pl.html" %}{% block body %}' + text
                                         + "{% endblock %}")
    return LetterTemplates(root)


def test_every_shipped_template_renders_in_each_of_its_languages():
    templates = LetterTemplates()
    kinds = templates.kinds()
    assert {"request_for_information", "protective_measures_request", "wage_claim",
            "document_request", "hearing_notice"} <= set(kinds)
    for kind, languages in kinds.items():
        assert "pl" in languages  # the fallback every kind has
        for language in languages:
            used, body = templates.render(kind, [language], context())
            assert used == language and "KC-2026-0042" in body and "Hanna Melnyk" in body


def test_the_clients_language_is_used_where_a_template_exists_else_polish():
    templates = LetterTemplates()
    assert templates.render("hearing_notice", ["vi", "en"], context())[0] == "vi"
    assert templates.render("wage_claim", ["vi", "en"], context())[0] == "en"
    assert templates.render("wage_claim", ["mn"], context())[0] == "pl"
    with pytest.raises(InvalidValue):
        templates.render("ransom_note", ["pl"], context())


@pytest.mark.parametrize("naming", ["{{ shelter_address }}", "{{ client.address }}",
                                    "{{ shelter.address }}", "{{ recipient.shelter }}"])
def test_a_template_naming_a_shelter_address_is_refused(templates, naming):
    careless = add(templates, "careless", f"<p>She lives at {naming}.</p>")
    with pytest.raises(TemplateRefused) as refused:
        careless.render("careless", ["pl"], context())
    assert "nothing was drafted" in str(refused.value)


def test_the_context_holds_no_address_but_the_recipients():
    def keys(value, path=""):
        if isinstance(value, dict):
            return {k for key, v in value.items() for k in keys(v, f"{path}.{key}")} | \
                {f"{path}.{key}" for key in value}
        return set()

    assert {k for k in keys(context()) if "address" in k} == {".recipient.address"}


def test_a_template_cannot_reach_behind_its_values(templates):
    sneaky = add(templates, "sneaky", "{{ paragraphs.__class__.__mro__ }}")
    with pytest.raises(TemplateRefused):
        sneaky.render("sneaky", ["pl"], context())
    calls = add(templates, "calls", "{{ paragraphs.append('x') }}")
    with pytest.raises(TemplateRefused):
        calls.render("calls", ["pl"], context())


def test_what_the_lawyer_types_is_escaped():
    _, body = LetterTemplates().render("wage_claim", ["en"], context(
        paragraphs=["<script>alert(1)</script>"], client_name="<b>Hanna</b>"))
    assert "<script>" not in body and "&lt;script&gt;" in body and "&lt;b&gt;Hanna" in body
