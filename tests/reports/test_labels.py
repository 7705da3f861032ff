"""Every code the report draws has its words in Polish and English: a value added to a
service's vocabulary without a line in shared/reports/labels.toml is named here."""

import pytest

from services.casework.vocabulary import ServiceType
from services.intake.outreach_vocabulary import ConsultationTopic, InstitutionType, PreventionKind
from services.intake.vocabulary import Channel, Outcome, Topic
from services.legal.vocabulary import HearingType, SessionKind
from shared.reports.labels import LANGUAGES, TERMS, month_name, term

pytestmark = pytest.mark.no_servers

VOCABULARIES = {"channel": Channel, "topic": Topic, "outcome": Outcome,
                "service": ServiceType, "hearing": HearingType, "session": SessionKind,
                "institution": InstitutionType, "consultation": ConsultationTopic,
                "prevention": PreventionKind}


def test_every_code_the_report_draws_has_a_polish_and_an_english_label():
    missing = [f"{prefix}.{value}" for prefix, vocabulary in VOCABULARIES.items()
               for value in (str(v) for v in vocabulary) if f"{prefix}.{value}" not in TERMS]
    assert missing == []
    assert all(len(pair) == len(LANGUAGES) and all(pair) for pair in TERMS.values())


def test_labels_in_each_language():
    assert term("pl", "service.legal_counsel") == "porada prawna"
    assert term("en", "suppression", n=5).startswith("* — fewer than 5")
    assert (month_name("pl", "2026-03"), month_name("en", "2026-03")) == \
        ("marzec 2026", "March 2026")
