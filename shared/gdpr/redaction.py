"""What of a stored event the data subject gets back (GDPR Art. 15), and what is someone
else's: pure, standard library and shared.crypto's format only.

Two rules, both from how Haven stores data rather than from guesses about text:
  - a sealed value opens only when it is sealed under one of the person's own data
    subjects (their client subject, their cases, their contacts, stays and access log);
    sealed under anyone else's -- another resident, a co-victim, a caller, a shelter's
    secret address -- it is redacted, never opened;
  - a field naming a person or a case (client, case, contact, stay, subject ids and case
    references) keeps its value only when that value is the person's own.
Staff ids (actor, caseworker, lawyer, operator) stay: the centre's policy is that a
person may know who handled their case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from shared.crypto import is_sealed, sealed_subject

OTHER_PERSON = "[redacted: another person's data]"
# Fields whose values name a person or a case (never staff).
NAMING_FIELDS = frozenset({
    "client_id", "previous_client_id", "case_id", "case_ids", "contact_id", "contact_ids",
    "subject_id", "subject_ids", "candidate_subject_id", "person_subject_id", "stay_id",
    "case_reference", "reference", "resident_ids", "apart", "group", "linked_case_id"})
NAMING_SUFFIXES = ("case_id", "client_id", "subject_id", "contact_id", "stay_id", "case_ids",
                   "client_ids", "subject_ids", "contact_ids", "stay_ids")


def names_someone(key: str) -> bool:
    return key in NAMING_FIELDS or key.endswith(NAMING_SUFFIXES)


class Redactor:
    """Opens the person's own sealed values, redacts everyone else's; counts what it did."""

    def __init__(self, own_subjects: set[str], own_names: set[str],
                 unseal: Callable[[str, str], Any]):
        self.own_subjects = {s.replace("-", "").lower() for s in own_subjects}
        self.own_names = {n.replace("-", "").lower() for n in own_names}
        self.unseal = unseal  # (sealed value, where it was sealed) -> the value
        self.counts: Counter[str] = Counter()

    def _own_subject(self, sealed: str) -> bool:
        return sealed_subject(sealed).replace("-", "").lower() in self.own_subjects

    def _own_name(self, value: Any) -> bool:
        return str(value).replace("-", "").lower() in self.own_names

    def data(self, data: dict[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
        """An event's fields, `where(field)` giving each one's seal context."""
        return {key: self.value(value, where(key), naming=names_someone(key))
                for key, value in data.items()}

    def value(self, value: Any, where: str, naming: bool = False) -> Any:
        if is_sealed(value):
            if not self._own_subject(value):
                self.counts["sealed under another person"] += 1
                return OTHER_PERSON
            self.counts["opened"] += 1
            return self.unseal(value, where)
        if isinstance(value, dict):
            return self._mapping(value, where, naming)
        if isinstance(value, list):
            return [self.value(v, where, naming) for v in value]
        if naming and value is not None and not isinstance(value, bool) \
                and not self._own_name(value):
            self.counts["names another person or case"] += 1
            return OTHER_PERSON
        return value

    def _mapping(self, value: dict[str, Any], where: str, naming: bool) -> dict[str, Any]:
        """In a field naming people, keys are ids too (e.g. keep-apart flags by case)."""
        out: dict[str, Any] = {}
        for key, item in value.items():
            shown = key
            if naming and not self._own_name(key):
                self.counts["names another person or case"] += 1
                shown = f"{OTHER_PERSON} #{len(out) + 1}"
            out[shown] = self.value(item, where, naming or names_someone(key))
        return out
