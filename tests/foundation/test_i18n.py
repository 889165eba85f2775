import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from foundation.config import PROJECT_ROOT
from foundation.i18n import format_number, to_ascii_digits, to_bengali_digits


def test_bengali_digits_both_ways():
    assert to_bengali_digits("2026-07") == "২০২৬-০৭"
    assert to_ascii_digits("০১৭১২") == "01712"


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (1234567, "bn", "১২,৩৪,৫৬৭"),
        (1234567, "en", "12,34,567"),
        (600, "bn", "৬০০"),
        (12.5, "en", "12.5"),
    ],
)
def test_numbers_use_indian_grouping_and_bengali_digits(value, locale, expected):
    assert format_number(value, locale) == expected


@pytest.mark.parametrize("locale", ["bn", "en", "bn_Latn"])
def test_catalog_is_complete_and_compiled(locale):
    folder = PROJECT_ROOT / "locales" / locale / "LC_MESSAGES"
    with open(PROJECT_ROOT / "locales" / "messages.pot", "rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    with open(folder / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert template_ids <= translated, sorted(template_ids - translated)
    with open(folder / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    assert {m.id for m in compiled if m.id} >= template_ids, "run `make translations`"


def test_template_is_up_to_date_with_the_code(tmp_path):
    """Every gettext string in the code is in messages.pot (run `make catalogs` if not)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    with open(PROJECT_ROOT / "babel.cfg", encoding="utf-8") as cfg:
        from babel.messages.frontend import parse_mapping_cfg

        method_map, options_map = parse_mapping_cfg(cfg)
    in_code = set()
    for path in ("sahayata", "registry", "ussd_app", "sms", "grievance"):
        keywords = {**DEFAULT_KEYWORDS, "translate": (2,)}
        found = extract_from_dir(PROJECT_ROOT / path, method_map, options_map, keywords=keywords)
        for _file, _line, message, _comments, _context in found:
            in_code.add(message if isinstance(message, str) else message[0])
    with open(PROJECT_ROOT / "locales" / "messages.pot", "rb") as handle:
        template_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert in_code <= template_ids, sorted(in_code - template_ids)


def test_romanized_bangla_catalog_is_pure_ascii():
    """It exists for gateways that cannot show Bengali script at all."""
    with open(PROJECT_ROOT / "locales" / "bn_Latn" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    not_ascii = [m.string for m in catalog if m.id and not m.string.isascii()]
    assert not_ascii == []


def test_translate_uses_the_named_locale():
    from foundation.i18n import translate

    assert translate("bn", "eligible") == "যোগ্য"
    assert translate("bn_Latn", "eligible") == "joggo"
    assert translate("en", "not eligible: %(reason)s", reason="x") == "not eligible: x"
