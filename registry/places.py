"""Place names as ministries write them: divisions, districts and upazilas by any known spelling.

Government files spell one place several ways: the Bureau of Statistics writes "Pirgachha"
where our list says "Pirgacha", older files keep "Comilla", "Jessore" and "Bogra", some add
"Upazila" or "Sadar", and Bangla names come with or without a nukta or a joiner. A name is
looked up by two keys, tried in turn:

- the exact key: case, spaces, punctuation, accents and the words "Upazila", "Zila",
  "District"... removed, Bangla in NFC without joiners;
- the loose key: also ``h`` after a consonant, doubled letters and the difference between
  similar vowels dropped (``Gonj``/``Ganj``, ``Jhalokati``/``Jhalakathi``), and in Bangla
  long and short vowel signs, the three sibilants and the two n's merged.

A key that two places of the same scope share (two districts, two upazilas of one district)
names neither, and a name no key finds gets up to three "did you mean" suggestions. Upazilas
are always looked up within their district: several districts have a Kaliganj or a Sadar.

The spellings beyond the canonical ones come from ``seed/geo/aliases.csv`` (see SOURCE.md
there and ``scripts/build_geo_aliases.py``, which makes it).
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent / "seed" / "geo"
LEVELS = ("division", "district", "upazila")
MAX_SUGGESTIONS = 3
_FOUND_KEPT = 50_000  # remembered answers; more distinct names than that start afresh

# Words that say what kind of unit a name is, not which one ("Pirgachha Upazila", "Rangpur
# Zila", "ঢাকা বিভাগ"). Dropped wherever they stand.
_UNIT_WORDS = {
    "upazila",
    "upazilla",
    "upozila",
    "thana",
    "zila",
    "zilla",
    "jela",
    "district",
    "division",
    "bibhag",
    "উপজেলা",
    "থানা",
    "জেলা",
    "বিভাগ",
}
_SADAR = {"sadar", "sador", "সদর"}
_JOINERS = dict.fromkeys(map(ord, "\u200c\u200d\u00ad"))
_WORD = re.compile(r"[\w\u0980-\u09ff]+")  # \w alone splits Bangla at its vowel signs
_BANGLA = re.compile(r"[\u0980-\u09ff]")

# The loose key, Latin: vowels that romanisations swap, and letters they double or aspirate.
_LATIN_VOWELS = str.maketrans(
    {"o": "a", "u": "a", "w": "a", "e": "i", "y": "i", "v": "b", "z": "j", "q": "k", "f": "p", "x": "ks"}
)
_ASPIRATED_H = re.compile(r"(?<=[bcdgjkpstr])h")
_DOUBLED = re.compile(r"(.)\1+")
# The loose key, Bangla: what spellings mix up, as the Latin key merges vowels and drops "h":
# vowel signs (কালাপারা/কলাপাড়া), the three sibilants, the two n's, aspirated and plain
# consonants, the nukta (য়/য, ড়/ড), ড় and র, and the virama that joins conjuncts.
_BANGLA_LOOSE = str.maketrans(
    {
        **dict.fromkeys(map(ord, "\u09bc\u09cd\u0981"), None),  # nukta, virama, chandrabindu
        **dict.fromkeys(map(ord, "\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc"), None),
        **dict(zip("ঈঊণষশখঘছঝঠঢথধফভড", "ইউনসসকগচজটরতদপবর", strict=True)),
        "ৎ": "ত",
        "ঙ": "ং",
    }
)


def _words(text: str) -> list[str]:
    """Lower-case words of a name, accents and joiners removed, unit words dropped."""
    text = unicodedata.normalize("NFC", text.translate(_JOINERS)).casefold()
    # Latin letters lose their accents (Barishāl); Bangla keeps its vowel signs, which NFKD
    # would also split off, so only non-Bangla text is decomposed.
    if not _BANGLA.search(text):
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("'", "").replace("\u2019", "")  # Cox's Bazar, Coxsbazar
    return _sadar_abbreviated([word for word in _WORD.findall(text) if word not in _UNIT_WORDS])


def exact_key(text: str) -> str:
    return "".join(_words(text))


def loose_key(text: str) -> str:
    key = exact_key(text)
    if _BANGLA.search(key):
        return _DOUBLED.sub(r"\1", key.translate(_BANGLA_LOOSE))
    key = _DOUBLED.sub(r"\1", key.translate(_LATIN_VOWELS))  # "chh" is "ch", then "c"
    return _DOUBLED.sub(r"\1", _ASPIRATED_H.sub("", key))


def _sadar_abbreviated(words: list[str]) -> list[str]:
    """Statistical tables shorten Sadar to a final "S" ("Meherpur-S", "Joypurhat S")."""
    return [*words[:-1], "sadar"] if len(words) > 1 and words[-1] == "s" else words


def sadar_keys(text: str, district_keys: set[str]) -> set[str]:
    """Other exact keys of a Sadar upazila: "Rangpur Sadar" is also "Rangpur" and "Sadar"
    within Rangpur district ("Cumilla Sadar Dakshin" is only "Cumilla Dakshin")."""
    words = _words(text)
    if not _SADAR & set(words):
        return set()
    rest = "".join(word for word in words if word not in _SADAR)
    keys = {rest} if rest else set()
    if not rest or rest in district_keys:
        keys |= {"sadar", "সদর"}
    return keys


@dataclass(frozen=True)
class Place:
    level: str
    id: int
    name_en: str
    name_bn: str
    parent_id: int | None = None  # the division of a district, the district of an upazila


@dataclass(frozen=True)
class Alias:
    level: str
    id: int
    alias: str
    kind: str
    source: str


class UnknownPlace(ValueError):
    """No place of this level (within this district) has the name; ``suggestions`` are
    the closest names, at most three."""

    def __init__(self, level: str, raw: str, suggestions: list[str], within: str = "") -> None:
        self.level, self.raw, self.suggestions, self.within = level, raw, suggestions, within
        where = f" in {within}" if within else ""
        message = f"unknown {level} {raw!r}{where}"
        if suggestions:
            message += " (did you mean " + ", ".join(suggestions) + "?)"
        super().__init__(message)


class PlaceIndex:
    """Every spelling of every place, by level and scope (the district, for an upazila)."""

    def __init__(self, places: Iterable[Place], aliases: Iterable[Alias] = ()) -> None:
        self.places: dict[tuple[str, int], Place] = {(p.level, p.id): p for p in places}
        # (level, scope) -> key -> ids; scope is the district id for upazilas, 0 otherwise
        self._exact: dict[tuple[str, int], dict[str, set[int]]] = {}
        self._loose: dict[tuple[str, int], dict[str, set[int]]] = {}
        self._found: dict[tuple[str, str, int | None], int | None] = {}
        spellings: dict[tuple[str, int], set[str]] = {}
        for place in self.places.values():
            spellings.setdefault((place.level, place.id), set()).update({place.name_en, place.name_bn})
        for alias in aliases:
            if (alias.level, alias.id) in self.places:
                spellings[(alias.level, alias.id)].add(alias.alias)
        district_keys = {
            p.id: {exact_key(s) for s in spellings[("district", p.id)]}
            for p in self.places.values()
            if p.level == "district"
        }
        for (level, place_id), names in spellings.items():
            place = self.places[(level, place_id)]
            scope = self._scope(place)
            for name in filter(None, names):
                keys = {exact_key(name)}
                if level == "upazila":
                    keys |= sadar_keys(name, district_keys.get(place.parent_id or 0, set()))
                for key in filter(None, keys):
                    self._exact.setdefault((level, scope), {}).setdefault(key, set()).add(place_id)
                    self._loose.setdefault((level, scope), {}).setdefault(loose_key(key), set()).add(place_id)

    @staticmethod
    def _scope(place: Place) -> int:
        return (place.parent_id or 0) if place.level == "upazila" else 0

    def ids(self, level: str) -> set[int]:
        return {place_id for (lvl, place_id) in self.places if lvl == level}

    def find(self, level: str, raw: str, district_id: int | None = None) -> int | None:
        """The one place this name means, or None (unknown, or shared by two places)."""
        # An import names the same few places on every row, and computing a name's two keys
        # is most of a look-up's work: answers are remembered.
        question = (level, raw, district_id)
        if question not in self._found:
            if len(self._found) >= _FOUND_KEPT:
                self._found.clear()
            self._found[question] = self._find(level, raw, district_id)
        return self._found[question]

    def _find(self, level: str, raw: str, district_id: int | None) -> int | None:
        scope = (level, (district_id or 0) if level == "upazila" else 0)
        for table, key in ((self._exact, exact_key(raw)), (self._loose, loose_key(raw))):
            ids = table.get(scope, {}).get(key)
            if ids and len(ids) == 1:
                return next(iter(ids))
            if ids:
                return None  # two places share this spelling: guessing would file it wrongly
        return None

    def resolve(self, level: str, raw: str, district_id: int | None = None) -> int:
        """The place's id by name, alias or geo-code, else UnknownPlace with suggestions."""
        place_id = self.find(level, raw, district_id)
        if place_id is None:
            within = self.places[("district", district_id)].name_en if district_id and level == "upazila" else ""
            raise UnknownPlace(level, raw, self.suggest(level, raw, district_id), within)
        return place_id

    def suggest(self, level: str, raw: str, district_id: int | None = None) -> list[str]:
        """Up to three canonical names whose spellings come closest to ``raw``."""
        scope = (level, (district_id or 0) if level == "upazila" else 0)
        keys = self._loose.get(scope, {})
        names: list[str] = []
        for key in difflib.get_close_matches(loose_key(raw), keys, n=10, cutoff=0.6):
            for place_id in sorted(keys[key]):
                name = self.places[(level, place_id)].name_en
                if name not in names:
                    names.append(name)
        return names[:MAX_SUGGESTIONS]


def _csv(name: str) -> list[dict[str, str]]:
    with open(GEO_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed_places() -> list[Place]:
    """The divisions, districts and upazilas of seed/geo, as the registry stores them."""
    return [
        *(Place("division", int(r["id"]), r["name_en"], r["name_bn"]) for r in _csv("divisions.csv")),
        *(
            Place("district", int(r["id"]), r["name_en"], r["name_bn"], int(r["division_id"]))
            for r in _csv("districts.csv")
        ),
        *(
            Place("upazila", int(r["id"]), r["name_en"], r["name_bn"], int(r["district_id"]))
            for r in _csv("upazilas.csv")
        ),
    ]


def seed_aliases() -> list[Alias]:
    return [Alias(r["level"], int(r["id"]), r["alias"], r["kind"], r["source"]) for r in _csv("aliases.csv")]


@lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    """The index of the seed data, built once per process (it changes with a release only)."""
    return PlaceIndex(seed_places(), seed_aliases())
