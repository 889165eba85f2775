"""Place names as ministries write them: divisions, districts and upazilas by any known spelling.

Government files spell one place several ways: the Bureau of Statistics writes "Pirgachha"
where our list says "Pirgacha", older files keep "Comilla", "Jessore" and "Bogra", some add
"Upazila" or "Sadar", and Bangla names come with or without a nukta or a joiner. A name is
looked up by three keys, tried in turn:

- the exact key: case, spaces, punctuation, accents and the words "Upazila", "Zila",
  "District"... removed, Bangla in NFC without joiners;
- the loose key: also ``h`` after a consonant, doubled letters and the difference between
  similar vowels dropped (``Gonj``/``Ganj``, ``Jhalokati``/``Jhalakathi``), and in Bangla
  long and short i and u, the nukta, the three sibilants and the two n's merged;
- the rough key, Bangla only: every vowel sign, aspiration and ড়/র merged as well.

A code (anything with a digit, "BD55850073") has the exact key only. A key that two places
of the same scope share (two districts, two upazilas of one district) names neither. A
loose or rough answer is taken only when no other place could be meant (``_doubtful``):
many real names differ only in what those keys merge (Ramu and Ruma, শেরপুর and শ্রীপুর),
and a wrong place is worse than a refusal. A name no key finds, or a doubtful one, gets up
to three "did you mean" suggestions. Upazilas are always looked up within their district:
several districts have a Kaliganj or a Sadar.

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
# The loose key, Bangla: only what spellings of one name mix up without making it another
# name: long and short i and u, the nukta (য়/য, ড়/ড), the three sibilants and the two n's.
# Vowel signs stay (শেরপুর is not শ্রীপুর, নবাবগঞ্জ is not নবীগঞ্জ), as do aspirated letters.
_BANGLA_LOOSE = str.maketrans(
    {
        "\u09bc": None,  # nukta
        **dict(zip("ীূঈঊণষশ", "িুইউনসস", strict=True)),
    }
)
# The rough key, Bangla: every vowel sign dropped (কালাপারা/কলাপাড়া), aspirated and plain
# letters, ড় and র, the virama and chandrabindu merged. Many real names share a rough key,
# so a rough answer is taken only when no other place is near it (see PlaceIndex._doubtful).
_BANGLA_ROUGH = str.maketrans(
    {
        **dict.fromkeys(map(ord, "\u09bc\u09cd\u0981"), None),  # nukta, virama, chandrabindu
        **dict.fromkeys(map(ord, "\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc"), None),
        **dict(zip("ঈঊণষশখঘছঝঠঢথধফভড", "ইউনসসকগচজটরতদপবর", strict=True)),
        "ৎ": "ত",
        "ঙ": "ং",
    }
)
_DIGIT = re.compile(r"\d")


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
    """The exact key with the differences of spelling above merged; a code (anything with a
    digit) keeps its exact key: BD20190003 is not BD20190033."""
    return _loosened(exact_key(text))


def _loosened(key: str) -> str:
    if _DIGIT.search(key):
        return key
    if _BANGLA.search(key):
        return key.translate(_BANGLA_LOOSE)
    key = _DOUBLED.sub(r"\1", key.translate(_LATIN_VOWELS))  # "chh" is "ch", then "c"
    return _DOUBLED.sub(r"\1", _ASPIRATED_H.sub("", key))


def _roughened(key: str) -> str | None:
    if _DIGIT.search(key) or not _BANGLA.search(key):
        return None
    return _DOUBLED.sub(r"\1", key.translate(_BANGLA_ROUGH))


# The loose and rough keys of an exact key, in the order they are tried.
_LOOSER = (_loosened, _roughened)


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
        # By key kind (exact, loose, rough): (level, scope) -> key -> ids, where scope is the
        # district for an upazila and 0 otherwise; and level -> key -> ids in every scope.
        kinds = range(1 + len(_LOOSER))
        self._keys: list[dict[tuple[str, int], dict[str, set[int]]]] = [{} for _ in kinds]
        self._anywhere: list[dict[str, dict[str, set[int]]]] = [{} for _ in kinds]
        self._by_length: list[dict[tuple[str, int, int], set[str]]] = [{} for _ in kinds]
        self._names: dict[tuple[str, int], set[str]] = {}  # a place's exact keys, bare "Sadar" aside
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
                    if key not in _SADAR:
                        self._names.setdefault((level, place_id), set()).add(key)
                    self._add(0, level, scope, key, place_id)
                    if not _DIGIT.search(key):  # a code is right or wrong, never nearly right
                        for kind, make in enumerate(_LOOSER, 1):
                            if (kind_key := make(key)) is not None:
                                self._add(kind, level, scope, kind_key, place_id)

    def _add(self, kind: int, level: str, scope: int, key: str, place_id: int) -> None:
        self._keys[kind].setdefault((level, scope), {}).setdefault(key, set()).add(place_id)
        self._anywhere[kind].setdefault(level, {}).setdefault(key, set()).add(place_id)
        self._by_length[kind].setdefault((level, scope, len(key)), set()).add(key)

    @staticmethod
    def _scope(place: Place) -> int:
        return (place.parent_id or 0) if place.level == "upazila" else 0

    def ids(self, level: str) -> set[int]:
        return {place_id for (lvl, place_id) in self.places if lvl == level}

    def find(self, level: str, raw: str, district_id: int | None = None) -> int | None:
        """The one place this name means, or None (unknown, shared by two places, or only
        nearly the name of one and as near to another's)."""
        # An import names the same few places on every row, and computing a name's keys is
        # most of a look-up's work: answers are remembered.
        question = (level, raw, district_id)
        if question not in self._found:
            if len(self._found) >= _FOUND_KEPT:
                self._found.clear()
            self._found[question] = self._find(level, raw, district_id)
        return self._found[question]

    def _find(self, level: str, raw: str, district_id: int | None) -> int | None:
        scope = (district_id or 0) if level == "upazila" else 0
        keys = [exact_key(raw)]
        ids = self._keys[0].get((level, scope), {}).get(keys[0])
        if _DIGIT.search(keys[0]) and not ids:
            return None
        for kind, make in enumerate((None, *_LOOSER)):
            if make is not None:
                if (kind_key := make(keys[0])) is None:
                    break
                keys.append(kind_key)
                ids = self._keys[kind].get((level, scope), {}).get(kind_key)
            if not ids:
                continue
            if len(ids) > 1:
                return None  # two places share this spelling: guessing would file it wrongly
            place_id = next(iter(ids))
            return place_id if kind == 0 or not self._doubtful(level, scope, place_id, keys) else None
        return None

    def _doubtful(self, level: str, scope: int, place_id: int, keys: list[str]) -> bool:
        """A name that is only loosely one place's is taken for it when nothing else could be
        meant: no other place of the level, in any district, has any of its keys (an upazila's
        name with the wrong district is a wrong row, not a misspelling), none of the same
        scope is a letter away from it (Mogura: Magura or Bogura?), and no upazila has a
        district's name. Otherwise it is refused, and the place is a suggestion."""
        levels = ("district", "upazila") if level == "district" else (level,)
        rivals = {
            (lvl, other)
            for lvl in levels
            for kind in range(len(keys))
            for key in {keys[kind], keys[-1]}
            for other in self._anywhere[kind].get(lvl, {}).get(key, ())
        }
        kind, key = len(keys) - 1, keys[-1]
        here = self._keys[kind].get((level, scope), {})
        for length in (len(key) - 1, len(key), len(key) + 1):
            for near in self._by_length[kind].get((level, scope, length), ()):
                if _one_edit(key, near):
                    rivals |= {(level, other) for other in here[near]}
        names = self._names.get((level, place_id), set())
        # A namesake (Kaliganj of another district; Rangpur Sadar for Rangpur) is no rival.
        return any(not names & self._names.get(rival, set()) for rival in rivals - {(level, place_id)})

    def resolve(self, level: str, raw: str, district_id: int | None = None) -> int:
        """The place's id by name, alias or geo-code, else UnknownPlace with suggestions."""
        place_id = self.find(level, raw, district_id)
        if place_id is None:
            within = self.places[("district", district_id)].name_en if district_id and level == "upazila" else ""
            raise UnknownPlace(level, raw, self.suggest(level, raw, district_id), within)
        return place_id

    def suggest(self, level: str, raw: str, district_id: int | None = None) -> list[str]:
        """Up to three canonical names whose spellings come closest to ``raw``: first the
        places a loose or rough key found but did not take, then those whose name begins
        with it, then the nearest loose keys."""
        scope = (level, (district_id or 0) if level == "upazila" else 0)
        key = exact_key(raw)
        found = [
            place_id
            for kind, make in enumerate(_LOOSER, 1)
            if not _DIGIT.search(key) and (kind_key := make(key)) is not None
            for place_id in sorted(self._keys[kind].get(scope, {}).get(kind_key, ()))
        ]
        keys, loose = self._keys[1].get(scope, {}), _loosened(key)
        if len(loose) >= 3:  # a shortened name: "Chapai" for Chapainawabganj
            found += [place_id for other in sorted(keys) if other.startswith(loose) for place_id in sorted(keys[other])]
        for near in difflib.get_close_matches(loose, keys, n=10, cutoff=0.6):
            found += sorted(keys[near])
        names: list[str] = []
        for place_id in found:
            name = self.places[(level, place_id)].name_en
            if name not in names:
                names.append(name)
        return names[:MAX_SUGGESTIONS]


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b are at most one insertion, deletion, substitution or swap apart."""
    if abs(len(a) - len(b)) > 1:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    a, b = a[prefix:], b[prefix:]
    if len(a) == len(b):
        return len(a) <= 1 or a[1:] == b[1:] or (a[:2] == b[1::-1] and a[2:] == b[2:])
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer[1:]


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
