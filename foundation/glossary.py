"""The word each concept a citizen reads takes in Bangla, romanized Bangla and English.

The data is locales/glossary.csv (its romanization scheme is in locales/README.md); the
catalogs are checked against it, so "অভিযোগ"/"obhijog" is said one way on every channel.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from foundation.config import PROJECT_ROOT

GLOSSARY_FILE = PROJECT_ROOT / "locales" / "glossary.csv"
LOCALES = ("bn", "bn_Latn", "en")


@dataclass(frozen=True)
class Term:
    key: str
    words: dict[str, str]  # locale -> the word to use
    english_forms: tuple[str, ...]  # how English msgids write the concept ("complaint", "complaints")
    variants: dict[str, tuple[str, ...]]  # locale -> other accepted forms that grammar needs
    notes: str

    def forms(self, locale: str) -> tuple[str, ...]:
        """The word first, then the listed variants."""
        return (self.words[locale], *self.variants.get(locale, ()))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


@functools.cache
def glossary() -> dict[str, Term]:
    with open(GLOSSARY_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["term"]: Term(
            key=row["term"],
            words={"bn": row["bn"], "bn_Latn": row["bn_Latn"], "en": _split(row["en"])[0]},
            english_forms=_split(row["en"]),
            variants={"bn": _split(row["bn_variants"]), "bn_Latn": _split(row["bn_Latn_variants"])},
            notes=row["notes"],
        )
        for row in rows
    }


def term(key: str, locale: str) -> str:
    """The word for a concept in a locale: ``term("complaint", "bn_Latn") == "obhijog"``."""
    return glossary()[key].words[locale]
