import csv
import unicodedata
from pathlib import Path

import pytest

from registry.places import Alias, Place, PlaceIndex, UnknownPlace, exact_key, loose_key, place_index, seed_places

HELD_BACK = Path(__file__).parent / "data" / "heldback_place_spellings.csv"
ALIASES = Path(__file__).resolve().parents[2] / "registry" / "seed" / "geo" / "aliases.csv"


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _names():
    return {(p.level, p.id): p.name_en for p in seed_places()}


def _resolved(index, district, upazila):
    district_id = index.find("district", district)
    return district_id, index.find("upazila", upazila, district_id) if district_id else None


def test_held_back_spellings_resolve_to_the_right_unit_or_are_refused():
    """A list the alias table was not built from: no spelling lands on a wrong unit, the ones
    of units we have resolve (all but the misspelt), and the rest get the unit as a suggestion."""
    index, names = place_index(), _names()
    rows = _rows(HELD_BACK)
    resolved, suggested, refused = {"en": 0, "bn": 0}, 0, 0
    for row in rows:
        district_id, upazila_id = _resolved(index, row["district"], row["upazila"])
        if upazila_id is None:
            refused += 1
            if row["expected_upazila"] and district_id:
                suggested += row["expected_upazila"] in index.suggest("upazila", row["upazila"], district_id)
            continue
        assert (names[("district", district_id)], names[("upazila", upazila_id)]) == (
            row["expected_district"],
            row["expected_upazila"],
        ), row
        resolved[row["script"]] += 1
    # Before the alias table, 110 English and no Bangla spellings resolved.
    assert resolved == {"en": 471, "bn": 446}, (resolved, refused, suggested)
    assert (refused, suggested) == (len(rows) - 917, 53), (resolved, refused, suggested)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Comilla", "Cumilla"),
        ("Cumilla", "Cumilla"),
        ("Chittagong", "Chattogram"),
        ("Chattogram", "Chattogram"),
        ("Jessore", "Jashore"),
        ("Jashore", "Jashore"),
        ("Barishal", "Barisal"),
        ("Bogra", "Bogura"),
        ("Chapainababganj", "Chapainawabganj"),
        ("Chapai Nawabganj", "Chapainawabganj"),
        ("Cox's Bazar", "Coxsbazar"),
        ("Jhalokati", "Jhalakathi"),
        ("Maulvibazar", "Moulvibazar"),
        ("Rangpur Zila", "Rangpur"),
        ("SYLHET DISTRICT", "Sylhet"),
        ("BD5585", "Rangpur"),
        ("কুমিল্লা", "Cumilla"),
        ("ময়মনসিংহ জেলা", "Mymensingh"),
    ],
)
def test_districts_by_old_new_bbs_bangla_spelling_and_geocode(name, canonical):
    index, names = place_index(), _names()
    assert names[("district", index.resolve("district", name))] == canonical


def test_divisions_by_old_and_new_spelling():
    index, names = place_index(), _names()
    for name in ("Chittagong", "Chattogram", "Chattagram", "Barishal", "BD20", "চট্টগ্রাম বিভাগ"):
        assert names[("division", index.resolve("division", name))] in {"Chattagram", "Barisal"}


def test_pirgachha_the_bbs_way_is_pirgacha_of_rangpur():
    index, names = place_index(), _names()
    rangpur = index.resolve("district", "Rangpur")
    for spelling in ("Pirgachha", "Pirgacha", "pirgachha upazila", "BD55850073", "পীরগাছা"):
        assert names[("upazila", index.resolve("upazila", spelling, rangpur))] == "Pirgacha"


def test_an_upazila_is_looked_up_within_its_district():
    index, names = place_index(), _names()
    rangpur, feni = index.resolve("district", "Rangpur"), index.resolve("district", "Feni")
    assert names[("upazila", index.resolve("upazila", "Sadar", rangpur))] == "Rangpur Sadar"
    assert names[("upazila", index.resolve("upazila", "Sadar", feni))] == "Feni Sadar"
    assert names[("upazila", index.resolve("upazila", "Feni", feni))] == "Feni Sadar"
    with pytest.raises(UnknownPlace):
        index.resolve("upazila", "Pirgachha", feni)


def test_bangla_variants_nukta_joiners_and_vowel_signs():
    index = place_index()
    cumilla = index.resolve("district", "Cumilla")
    barura = index.resolve("upazila", "বরুড়া", cumilla)
    decomposed = unicodedata.normalize("NFD", "বরুড়া")
    assert index.resolve("upazila", decomposed, cumilla) == barura
    assert index.resolve("upazila", "বরু\u200cড়া", cumilla) == barura
    # Long for short vowel sign: দেবীদ্বার for দেবিদ্বার.
    assert index.resolve("upazila", "দেবীদ্বার", cumilla) == index.resolve("upazila", "Debidwar", cumilla)


def test_unknown_name_gets_at_most_three_suggestions():
    index = place_index()
    rangpur = index.resolve("district", "Rangpur")
    with pytest.raises(UnknownPlace) as raised:
        index.resolve("upazila", "Pirgaxxa", rangpur)
    assert 1 <= len(raised.value.suggestions) <= 3 and "Pirgacha" in raised.value.suggestions
    assert "did you mean" in str(raised.value) and "in Rangpur" in str(raised.value)
    with pytest.raises(UnknownPlace) as raised:
        index.resolve("district", "Zzzz")
    assert raised.value.suggestions == [] and "did you mean" not in str(raised.value)


def test_a_spelling_two_places_share_names_neither():
    index = PlaceIndex(
        [Place("district", 1, "Alpha", "ক"), Place("district", 2, "Beta", "খ")],
        [Alias("district", 1, "Gamma", "old_en", "test"), Alias("district", 2, "Gamma", "old_en", "test")],
    )
    assert index.find("district", "Gamma") is None
    assert index.find("district", "Alpha") == 1


def test_keys_drop_case_punctuation_accents_and_unit_words():
    assert exact_key("  Cox's  Bazar Zila ") == exact_key("coxsbazar") == "coxsbazar"
    assert exact_key("Barishāl") == "barishal"
    assert loose_key("Sirajgonj") == loose_key("Sirajganj")
    assert loose_key("Khagrachari") == loose_key("Khagrachhari")
    assert loose_key("Pirgachha") == loose_key("Pirgacha")


def test_alias_file_names_only_places_we_have_and_every_row_has_a_source():
    ours = {(p.level, p.id) for p in seed_places()}
    rows = _rows(ALIASES)
    assert rows and all((r["level"], int(r["id"])) in ours and r["source"] for r in rows)
    assert {r["kind"] for r in rows} <= {"bbs", "old_en", "new_en", "bn", "geocode"}
    assert {(level, place_id) for level, place_id in ours} == {
        (r["level"], int(r["id"])) for r in rows if r["kind"] == "bbs"
    }
