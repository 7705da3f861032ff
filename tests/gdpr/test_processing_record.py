"""`haven gdpr record` (GDPR Art. 30): generated from the code, so it cannot drift from it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from services.casework.domain import Client
from services.intake.domain import Contact
from shared.cli import main
from shared.gdpr import declarations
from shared.gdpr.record import processing_record

pytestmark = pytest.mark.no_servers


def by_record(record, service):
    found = next(s for s in record["services"] if s["service"] == service)
    return {r["record"]: r for r in found["records"]}


def test_every_declared_personal_data_field_is_in_the_record_with_a_category():
    record = processing_record()
    assert record["undeclared"] == []
    client = by_record(record, "casework")["Client"]
    assert set(client["personal_data"]) == set(Client.PERSONAL_DATA)
    assert set(by_record(record, "intake")["Contact"]["personal_data"]) == \
        set(Contact.PERSONAL_DATA)
    assert "ClientRegistered" in client["events"]
    assert "police" in record["recipients"][
        "with the person's consent, per recipient (casework consent)"]


def test_a_new_personal_data_field_without_a_category_is_flagged(monkeypatch):
    monkeypatch.setattr(Client, "PERSONAL_DATA", {**Client.PERSONAL_DATA, "tattoo": "subject_id"})
    assert "casework: Client.tattoo has no category" in processing_record()["undeclared"]
    result = CliRunner().invoke(main, ["gdpr", "record"])
    assert result.exit_code == 1 and "tattoo (UNDECLARED)" in result.output


def test_the_command_writes_the_record_as_markdown_and_json(tmp_path):
    out = tmp_path / "art30.json"
    assert CliRunner().invoke(main, ["gdpr", "record", "--format", "json", "--out",
                                     str(out)]).exit_code == 0
    record = json.loads(out.read_text())
    assert {s["service"] for s in record["services"]} >= set(declarations.PURPOSES) - {"audit"}
    text = CliRunner().invoke(main, ["gdpr", "record"]).output
    assert "# Record of processing activities" in text and "given_name" in text
