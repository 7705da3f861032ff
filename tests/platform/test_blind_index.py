"""The blind index finds the same person however a name was typed, and reveals nothing.

Duplicate detection (is this caller already a client?) compares HMACs of normalised
names: the helpline types what it hears, the caseworker copies a passport.
"""

from __future__ import annotations

import hashlib

import pytest

from shared.config import Settings
from shared.crypto import blind_index, normalise_name


@pytest.fixture
def key(cfg: Settings) -> bytes:
    return cfg.blind_index_key


@pytest.mark.parametrize("typed", [
    "Ana-Maria Popescu",
    "ana maria popescu",
    "ANA MARIA POPESCU",
    "  Ana   Maria\tPopescu  ",   # extra and odd spacing
    "Ána María Popescu",          # accents
    "Ana - Maria  Popescu",       # hyphen with spaces
    "Ana\u2010Maria Popescu",     # Unicode hyphen, as word processors type it
    "Ana-Maria Popescu\u00a0",    # no-break space from a copied document
    "Ａｎａ Ｍａｒｉａ Ｐｏｐｅｓｃｕ",  # full-width letters
])
def test_the_same_person_typed_differently_has_one_index(key, typed):
    assert normalise_name(typed) == "ana maria popescu"
    assert blind_index(key, typed, 1999) == blind_index(key, "Ana Maria Popescu", 1999)


@pytest.mark.parametrize("one, other", [
    ("Łukasz Wójcik", "lukasz wojcik"),
    ("Søren Odegård", "Soren Odegard"),
    ("Marie-Thérèse Strauß", "marie therese strauss"),
    ("Олена Шевченко", "ОЛЕНА  ШЕВЧЕНКО"),  # Cyrillic: case and spacing only
    ("Nguyễn Thị Minh", "NGUYEN THI MINH"),
])
def test_letters_from_other_alphabets_and_diacritics_fold_together(key, one, other):
    assert blind_index(key, one, 2001) == blind_index(key, other, 2001)


@pytest.mark.parametrize("one, other", [
    ("ØSTERGAARD Ødegård", "Ostergaard Odegard"),
    ("Đặng Văn Lâm", "Dang Van Lam"),
    ("Yıldız Aydın", "Yildiz Aydin"),
])
def test_letters_with_strokes_or_without_dots_fold_too(key, one, other):
    assert blind_index(key, one, 2001) == blind_index(key, other, 2001)


def test_different_birth_years_give_different_indexes(key):
    indexes = {blind_index(key, "Ana Popescu", year) for year in (1998, 1999, 2000, None)}
    assert len(indexes) == 4


@pytest.mark.parametrize("other", [
    "Ana Popescu-Ionescu",   # an extra surname is another person until a human says so
    "Ana Popesku",
    "Anamaria Popescu",      # words are kept apart: "ana maria" is not "anamaria"
    "Ion Popescu",
])
def test_different_names_give_different_indexes(key, other):
    assert blind_index(key, other, 1999) != blind_index(key, "Ana Maria Popescu", 1999)


def test_another_key_gives_another_index(key):
    other_key = hashlib.sha256(b"another deployment").digest()
    assert other_key != key
    assert blind_index(key, "Ana Popescu", 1999) != blind_index(other_key, "Ana Popescu", 1999)


@pytest.mark.parametrize("name", ["Ana Maria Popescu", "Li", "Олена Шевченко"])
def test_the_index_never_contains_the_name(key, name):
    index = blind_index(key, name, 1999)
    assert len(index) == 64 and set(index) <= set("0123456789abcdef")  # an HMAC-SHA256, hex
    for word in [name, *normalise_name(name).split(), *name.split()]:
        assert word.lower() not in index.lower()
    assert "1999" not in index
    # It is keyed: without the index key, guessing a name and hashing it does not match.
    guess = f"{normalise_name(name)}|1999".encode()
    unkeyed = {hashlib.sha256(guess).hexdigest(), hashlib.sha256(name.encode()).hexdigest()}
    assert index not in unkeyed
