"""What the code cannot say about processing: why each service processes personal data, on
which legal basis, for how long, and how each declared personal-data field is categorised.

Data, kept beside the record that uses it (shared.gdpr.record): a service or a sealed
field added without an entry here makes `haven gdpr record` list it as undeclared, and
the test of the record fails -- so the record cannot drift from the code. The texts are
the data protection officer's to review.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

CONTROLLER = ("the centre (national intervention and consultation centre for victims of"
              " human trafficking); contact: its data protection officer")

PURPOSES = {
    "intake": ("Answering the 24-hour helpline and every first contact; screening for"
               " indicators of trafficking; referring a person to casework; outreach."),
    "casework": ("Identification and support of victims: cases, consent, services delivered,"
                 " case plans, follow-ups; the log of who read a person's data."),
    "shelter": ("Safe accommodation: placements, beds, stays, provisions, security incidents,"
                " keep-apart rules."),
    "legal": ("Legal assistance: proceedings, hearings, representation, accompaniment,"
              " letters, disclosures to authorities with consent."),
    "notifications": ("Alerting and reminding staff about the cases they work on (case"
                      " references and links only, never a person's data in a message)."),
    "audit": "Accountability: the record of reveals of personal data to auditors.",
}

LEGAL_BASIS = ("Art. 6(1)(c) and (e) GDPR (tasks under the ministry's contract and the law on"
               " assistance to victims), Art. 6(1)(a) consent for disclosures; special"
               " categories under Art. 9(2)(a), (c), (f) and (g).")



class _RetentionTexts(Mapping[str, str]):
    """The retention of each service, quoting the period configured now
    (shared.gdpr.retention), so the record says what `haven gdpr retention` enforces."""

    def _texts(self) -> dict[str, str]:
        from shared.gdpr.retention import ENV_CLOSED_CASES_YEARS, Retention, RetentionConfigError

        try:
            years = f"{Retention.from_env().closed_cases_years} years"
        except RetentionConfigError:
            years = f"MISCONFIGURED ({ENV_CLOSED_CASES_YEARS})"
        return {
            "default": (f"clients whose cases are all closed: {years} after the last closure,"
                        " then erased by crypto-shredding (`haven gdpr retention`)"),
            "intake": ("contacts that referred a client: erased with the client; contacts not"
                       " referred: 2 years after the contact (declared, not yet enforced:"
                       " intake cannot erase a contact on its own)"),
            "notifications": "alerts: 1 year; they hold no personal data",
            "audit": "as long as the records they account for",
        }

    def __getitem__(self, key: str) -> str:
        return self._texts()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts())

    def __len__(self) -> int:
        return len(self._texts())


RETENTION: Mapping[str, str] = _RetentionTexts()

# Each declared personal-data field, by the category of data it holds.
CATEGORIES = {
    "identification": ("given_name", "family_name", "other_names", "known_as", "birth_date",
                       "identity_documents", "person", "candidate_person", "blind_index"),
    "contact details": ("phone", "email", "callback_contact"),
    "address or location": ("address",),
    "narratives (may reveal health, sex life, criminal offences suffered: special"
    " categories)": ("summary", "note", "notes", "evidence", "description", "texts",
                     "reason_text", "caption", "body", "document"),
    "legal representation and proceedings": ("attorney", "police_reference",
                                             "docket_number"),
}

# Who a declared field is about, by the aggregate that holds it.
SUBJECTS = {
    "Contact": "callers to the helpline and the people they call about",
    "MissedCall": "callers whose call was missed",
    "Client": "clients (presumed and identified victims)",
    "Case": "clients (presumed and identified victims)",
    "AccessLog": "clients (presumed and identified victims)",
    "Stay": "residents of shelters",
    "Shelter": "residents involved in security incidents (the address is the shelter's own)",
    "Matter": "clients in legal proceedings",
    "Letter": "clients in legal proceedings",
    "Disclosure": "clients in legal proceedings",
    "Session": "clients in legal proceedings",
}

SECURITY = (
    "Personal data encrypted field by field with a key per data subject (AES-GCM), keys"
    " wrapped under a master key held outside the database (shared.crypto)",
    "Erasure by shredding the subject's key: every copy, backups included, becomes unreadable",
    "Need to know: personal data only to the roles and relations each service's table names;"
    " every read logged per person, with purpose (break-the-glass marked and reviewed)",
    "Every stored event hash-chained, with signed checkpoints kept outside the database",
    "Messages between services carry ids and codes only, never personal data in clear",
    "Least-privilege database roles per service; append-only event tables",
    "Published statistics k-anonymised (k = 11) with small cells suppressed",
)
