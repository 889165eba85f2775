"""How many pages each citizen journey takes, and what they say, in bn, romanized bn and en.

    .venv/bin/python scripts/ussd_pages.py [--verbatim]

Builds a throwaway SQLite registry with two callers (a woman of 70 in the Old Age Allowance
with a failed payment and Food Friendly rice; a man of 64 in no programme), drives each
journey through the real Africa's Talking endpoint (romanized: the same endpoint set to
ASCII only, as bdapps is), follows "98" to the end, and prints the page counts (with
--verbatim, every page). Run it on an older checkout to compare before and after.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SAHAYATA_ENV", "development")  # a developer's throwaway start

from foundation.db import db_session
from grievance.reference_data import sync_grievance_reference_data
from registry.models import Gender, Language
from registry.reference_data import sync_reference_data
from sahayata import migrate
from sahayata.app import create_app
from tests.factories import make_citizen, make_household, make_old_age_beneficiary

RAHIMA, KARIM = "+8801712000001", "+8801712000002"
OLD_AGE = {"bn": "বয়স্ক ভাতা", "bn_Latn": "Boyosko bhata", "en": "Old Age Allowance"}
JOURNEYS = {  # name: (phone, keys from the dial)
    "main menu": (RAHIMA, []),
    "my payments": (RAHIMA, ["2"]),
    "eligibility list": (RAHIMA, ["1"]),
    "eligibility, all programmes": (RAHIMA, ["1", "1"]),
    "e-tokens": (RAHIMA, ["3"]),
    "complaint categories": (RAHIMA, ["4"]),
    "complaint programmes": (RAHIMA, ["4", "1"]),
}


class Dialer:
    """One locale's service on its own throwaway database."""

    def __init__(self, locale: str, folder: str) -> None:
        env = dict(os.environ)
        if locale == "bn_Latn":
            env["USSD_AFRICASTALKING_ASCII_ONLY"] = "1"
        self.locale = locale
        self.app = create_app({"DATABASE_URL": f"sqlite:///{folder}/{locale}.db", "REDIS_URL": None}, env=env)
        migrate.upgrade(self.app)
        with self.app.app_context():
            self._people(Language.ENGLISH if locale == "en" else Language.BANGLA)
        self.client = self.app.test_client()
        self.sessions = itertools.count()

    @staticmethod
    def _people(language: Language) -> None:
        session = db_session()
        sync_reference_data(session)
        sync_grievance_reference_data(session)
        make_old_age_beneficiary(session, RAHIMA, account_number="01712001733", language=language)
        poor = make_household(session, monthly_income_bdt=Decimal(3000))
        make_citizen(session, age=64, gender=Gender.MALE, mobile=KARIM, language=language, household=poor)
        session.commit()

    def pages(self, phone: str, keys: list[str], follow: bool = True) -> list[str]:
        """The screen after ``keys`` from the dial, then every further page, in one session."""
        self.app.extensions["sahayata.redis"].flushdb()  # no resume offer from the journey before
        session_id, typed = f"r{next(self.sessions)}", []
        screen = self._hop(phone, session_id, typed)
        for key in keys:
            typed.append(key)
            screen = self._hop(phone, session_id, typed)
        pages = [screen]
        while follow and ("\n98 " in pages[-1] or "\n৯৮ " in pages[-1]) and len(pages) < 12:
            typed.append("98")
            pages.append(self._hop(phone, session_id, typed))
        return pages

    def _hop(self, phone: str, session_id: str, typed: list[str]) -> str:
        data = {"sessionId": session_id, "phoneNumber": phone, "text": "*".join(typed)}
        return self.client.post("/ussd/africastalking", data=data).get_data(as_text=True)

    def option(self, pages: list[str], label: str) -> str | None:
        for page in pages:
            for line in page.removeprefix("CON ").split("\n"):
                number, _, text = line.partition(" ")
                if text == label:
                    return number
        return None


def main() -> None:
    verbatim = "--verbatim" in sys.argv
    folder = tempfile.mkdtemp()
    for locale in ("bn", "bn_Latn", "en"):
        dialer = Dialer(locale, folder)
        results = {name: dialer.pages(phone, keys) for name, (phone, keys) in JOURNEYS.items()}
        # The man of 64 asks about the Old Age Allowance.
        number = dialer.option(dialer.pages(KARIM, ["1"]), OLD_AGE[locale])
        results["not eligible (age 64, Old Age Allowance)"] = dialer.pages(KARIM, ["1", number]) if number else []
        # A complaint: the first category, the first programme, no text, send.
        results["complaint confirmation"] = dialer.pages(RAHIMA, ["4", "1", "1", "1", "1"], follow=False)
        print(f"=== {locale}")
        for name, pages in results.items():
            print(f"  {name}: {len(pages)} page(s)")
            if verbatim:
                for page in pages:
                    print("      | " + page.replace("\n", "\n      | "))


if __name__ == "__main__":
    main()
