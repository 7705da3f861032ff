"""`haven export htcds` over a real casework store holding a synthetic caseload of a few
thousand cases, each with a name, a birth date, a phone and an address."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date

import pytest
from click.testing import CliRunner

from services.casework.application import Casework
from services.casework.tests.conftest import SUPERVISOR
from shared.auth import issue_token
from shared.cli import main
from shared.htcds.anonymise import combinations
from shared.htcds.fields import QUASI_IDENTIFIERS
from tests.htcds.synthetic import caseload, known_aggregates

K = 11
START, END = date(2023, 7, 1), date(2025, 12, 31)  # some cases fall outside the period


@pytest.fixture(scope="module")
def stored():
    """2,000 cases opened through casework itself (module-wide: it takes a while)."""
    from shared.config import Settings

    cfg = Settings.from_env()
    own = type("Casework", (Casework,), {"name": "casework_htcds"})
    app = own(cfg)
    cases = caseload(2000)
    for c in cases:
        app.open_case(SUPERVISOR, opened_at=c.opened_at, client={
            "given_name": c.given_name, "family_name": c.family_name,
            "birth_date": c.birth_date.isoformat(), "phone": c.phone, "address": c.address,
            "gender": c.gender, "citizenship": c.citizenship, "languages": ["uk"]},
            origin_country=c.citizenship, exploitation_country=c.exploitation_country,
            exploitation_types=[c.exploitation_type], urgency="routine")
    app.close()
    return own.name, cases


def export(tmp_path, store, *extra, roles=("supervisor",)):
    out = tmp_path / "htcds.csv"
    result = CliRunner().invoke(main, [
        "export", "htcds", "--from", START.isoformat(), "--to", END.isoformat(), "--k", str(K),
        "--out", str(out), "--store", store, *extra],
        env={"HAVEN_TOKEN": issue_token("sup-1", list(roles))})
    return result, out


def test_the_export_is_k_anonymous_and_holds_no_direct_identifier(haven_run, stored, tmp_path):
    store, cases = stored
    result, out = export(tmp_path, store)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counts = combinations(rows, QUASI_IDENTIFIERS)  # recount every combination
    # The people's attributes reached the export (not all "Unknown"): each is published
    # at some level, the release generalised rather than withheld everything.
    assert any(r[col] != "Unknown" for r in rows for col in ("gender", "ageBroad",
                                                                "citizenship"))
    assert rows and min(counts.values()) >= K
    published = out.read_text(encoding="utf-8") + \
        out.with_name(out.name + ".report.json").read_text(encoding="utf-8")
    for c in cases:
        for value in (c.given_name, c.family_name, c.birth_date.isoformat(), c.phone,
                      c.address):
            assert value not in published
    assert "Synth" not in published and "Synthetyczna" not in published


def test_the_export_counts_every_case_of_the_period_with_known_aggregates(
        haven_run, stored, tmp_path):
    store, cases = stored
    result, out = export(tmp_path, store)
    report = json.loads(out.with_name(out.name + ".report.json").read_text())
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    known = known_aggregates(cases, START, END)
    assert len(rows) + report["records_suppressed"] == known["total"]["cases"]
    assert report["records_published"] == len(rows)
    types = Counter(r["typeOfExploitation"] for r in rows)
    for kind, n in known["typeOfExploitation"].items():
        assert n - report["records_suppressed"] <= types[kind] <= n
    assert set(report["quasi_identifiers"]) == set(QUASI_IDENTIFIERS)


def test_a_period_that_ends_before_it_starts_is_refused_and_writes_nothing(
        haven_run, stored, tmp_path):
    out = tmp_path / "htcds.csv"
    result = CliRunner().invoke(main, [
        "export", "htcds", "--from", "2025-01-01", "--to", "2024-01-01", "--out", str(out),
        "--store", stored[0]], env={"HAVEN_TOKEN": issue_token("sup-1", ["supervisor"])})
    assert result.exit_code == 2 and "invalid_input" in result.output
    assert not out.exists()


def test_a_caseworker_may_not_export(haven_run, stored, tmp_path):
    result, out = export(tmp_path, stored[0], roles=("caseworker",))
    assert result.exit_code == 3 and not out.exists()
