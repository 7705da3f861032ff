"""The anonymiser alone, on a synthetic caseload of a few thousand: every published
combination of quasi-identifiers is shared by at least k cases, and nothing else changes."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.htcds.anonymise import ANY, Ladder, anonymise, combinations, top
from shared.htcds.export import htcds_release
from shared.htcds.fields import LADDERS, QUASI_IDENTIFIERS
from tests.htcds.synthetic import caseload, row

pytestmark = pytest.mark.no_servers
K = 11


@pytest.fixture(scope="module")
def rows():
    return [row(c) for c in caseload(3000)]


def test_every_published_combination_of_quasi_identifiers_covers_at_least_k_cases(rows):
    release = htcds_release(rows, K, 0.05)
    counts = combinations(release.rows, QUASI_IDENTIFIERS)
    assert counts and min(counts.values()) >= K
    assert release.smallest_class == min(counts.values())
    assert release.classes == len(counts)


def test_cases_are_either_published_or_counted_as_suppressed_within_the_budget(rows):
    release = htcds_release(rows, K, 0.05)
    assert len(release.rows) + release.suppressed == len(rows)
    assert release.suppressed <= 0.05 * len(rows)
    assert release.report()["records_suppressed"] == release.suppressed


def test_what_is_not_a_quasi_identifier_is_published_as_it_was(rows):
    release = htcds_release(rows, K, 0.0)  # no suppression: every case is in the release
    assert release.suppressed == 0
    assert Counter(r["typeOfExploitation"] for r in release.rows) == \
        Counter(r["typeOfExploitation"] for r in rows)


def test_rare_citizenships_are_generalised_or_suppressed_never_published(rows):
    release = htcds_release(rows, K, 0.05)
    published = {r["citizenship"] for r in release.rows}
    assert not {"ER", "PE", "NP", "LK", "MN", "GT", "FJ", "UZ"} & published
    assert release.levels.keys() == set(QUASI_IDENTIFIERS)


def test_fewer_cases_than_k_publish_nothing():
    release = anonymise([{"x": 1}] * 5, [Ladder("x", (("value", str), (ANY, top)))], K)
    assert release.rows == [] and release.suppressed == 5


def test_the_least_generalisation_that_suffices_is_chosen():
    many = [{"x": "a"}] * 20 + [{"x": "b"}] * 20
    release = anonymise(many, [Ladder("x", (("value", str), (ANY, top)))], K)
    assert release.levels == {"x": "value"} and release.suppressed == 0


def test_the_ladders_end_in_the_withheld_value():
    assert all(ladder.steps[-1][0] == ANY for ladder in LADDERS)
    with pytest.raises(ValueError):
        Ladder("x", (("value", str),))


def test_a_case_is_joined_to_its_clients_attributes_whatever_the_id_spelling():
    from uuid import uuid4

    from shared.htcds.export import fold

    client, case = uuid4(), uuid4()
    cases, clients = fold([
        ("ClientRegistered", client.hex, {"gender": "Female", "birth_year": 1990,
                                          "citizenship": "UA"}),
        ("CaseOpened", case.hex, {"client_id": str(client), "opened_at": "2025-03-01T10:00:00",
                                  "exploitation_country": "PL"})])
    assert clients[cases[str(case)].client_id].citizenship == "UA"
