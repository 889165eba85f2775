"""A realistic synthetic registry, the same for the same seed.

The generator writes the four import CSVs and loads them through the ordinary import
pipeline, so demo data passes exactly the validation real data passes. Proportions follow
the public programme sizes in seed/programmes.csv (Old Age Allowance the largest cash
programme, Food Friendly Programme the largest e-token one) with some targeting errors on
purpose, since those are what the service exists to surface.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import redemptions
from registry.imports.kinds import CitizensImport, EnrolmentsImport, ETokensImport, OutletsImport, PaymentsImport
from registry.imports.runner import ImportReport, run_import
from registry.models import (
    Citizen,
    District,
    ETokenWallet,
    Outlet,
    Programme,
    Redemption,
    RedemptionChannel,
    Upazila,
)
from registry.reference_data import SEED_DIR
from registry.schedules import PaymentSchedule, instalment_amount, payment_cycles
from registry.validation import normalise_mobile

# Fixed so the same seed gives the same data on any day; pass as_of to move it.
DEMO_AS_OF = dt.date(2026, 11, 1)
CYCLES_PAID = 4
FAILURE_REASONS = {
    "failed": ["wallet account inactive", "NID and mobile account holder mismatch", "account number invalid"],
    "returned": ["account closed by the bank", "wallet limit exceeded"],
}
MOBILE_CHANNELS = ("bkash", "nagad", "rocket")
FEMALE_SURNAMES = ("Begum", "Khatun", "Akter")
# Planted for the signals (DemoGenerator._write_planted): QUEUE beneficiaries of the demo
# dealer's upazila, OUTSIDERS from another upazila, a mother, three households sharing one
# wallet number, two records of one person, one person in two exclusive programmes.
QUEUE, OUTSIDERS = 12, 2
PLANTED_PEOPLE = QUEUE + OUTSIDERS + 1 + 3 + 2 + 1
BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
MIN_FOR_PLANTS = 100  # a smaller demo is all ordinary people


@dataclass(frozen=True)
class Names:
    male: list[tuple[str, str]]
    female: list[tuple[str, str]]
    surnames: list[tuple[str, str]]

    @classmethod
    def load(cls) -> Names:
        kinds: dict[str, list[tuple[str, str]]] = {"male": [], "female": [], "surname": []}
        with open(SEED_DIR / "names.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                kinds[row["kind"]].append((row["en"], row["bn"]))
        return cls(kinds["male"], kinds["female"], kinds["surname"])


@dataclass
class Plan:
    """Where the planted beneficiaries live, by NID, for the redemptions."""

    upazila_id: int  # the demo dealer's and clinic's
    other_upazila_id: int
    queue: list[str] = field(default_factory=list)  # FFP, of the dealer's upazila
    outsiders: list[str] = field(default_factory=list)  # FFP, from the other upazila
    mother: str | None = None  # MHV


@dataclass
class DemoResult:
    citizens: int
    reports: list[ImportReport]
    samples: list[tuple[str, str]]  # (mobile, what to try with it)
    # Redemptions the beneficiary did not make (their complaint is the composition root's
    # to file: the grievance system sits above the registry).
    disputed: list[int] = field(default_factory=list)
    redemptions: int = 0


def _cycle(day: dt.date, months_back: int) -> str:
    month_index = day.year * 12 + day.month - 1 - months_back
    return f"{month_index // 12:04d}-{month_index % 12 + 1:02d}"


class DemoGenerator:
    def __init__(self, session: Session, seed: int, as_of: dt.date = DEMO_AS_OF) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.as_of = as_of
        self.names = Names.load()
        self.upazilas: dict[int, list[tuple[int, str]]] = {}
        districts = dict(session.execute(select(District.id, District.name_en)).all())
        for upazila_id, district_id in session.execute(select(Upazila.id, Upazila.district_id).order_by(Upazila.id)):
            self.upazilas.setdefault(district_id, []).append((upazila_id, districts[district_id]))
        self.district_ids = sorted(self.upazilas)
        self.programmes = {p.code: p for p in session.scalars(select(Programme))}
        self.txn_counter = 0
        self.plan: Plan | None = None

    # -- people -------------------------------------------------------------------------
    def _nid(self, index: int, birth: dt.date, district_id: int, upazila_id: int) -> str:
        kind = self.rng.random()
        if kind < 0.4:  # 10-digit smart card; an affine map of the index keeps them unique
            return str(1_000_000_000 + (index * 104_729 + self.seed) % 9_000_000_000)
        serial = f"{district_id:02d}1{upazila_id % 100:02d}{index:08d}"
        return serial if kind < 0.5 else f"{birth.year:04d}{serial}"

    def _mobile(self, index: int) -> str:
        operator = "3456789"[index % 7]
        return f"01{operator}{(index * 7_919 + self.seed) % 100_000_000:08d}"

    def _birth_date(self, age: int) -> dt.date:
        return self.as_of - dt.timedelta(days=age * 365 + self.rng.randrange(365))

    def _person(self, index: int, household: dict, role: str) -> dict:
        rng = self.rng
        gender = (
            "X"
            if rng.random() < 0.002
            else ("F" if (role == "head_f" or (role != "head_m" and rng.random() < 0.5)) else "M")
        )
        age = int(min(max(rng.gauss(44, 17), 18), 95))
        if rng.random() < 0.12:
            age = rng.randint(60, 90)  # the elderly are over-represented among the poor
        first = rng.choice(self.names.female if gender == "F" else self.names.male)
        surnames = (
            self.names.surnames if gender == "F" else [s for s in self.names.surnames if s[0] not in FEMALE_SURNAMES]
        )
        last = rng.choice(surnames)
        if age < 22:
            marital = rng.choices(["never_married", "married"], [70, 30])[0]
        elif gender == "F" and age >= 55:
            marital = rng.choices(["married", "widowed", "deserted", "divorced"], [45, 45, 5, 5])[0]
        else:
            marital = rng.choices(["married", "never_married", "widowed", "deserted", "divorced"], [78, 10, 6, 3, 3])[0]
        birth = self._birth_date(age)
        return {
            "nid": self._nid(index, birth, household["district_id"], household["upazila_id"]),
            "name_en": f"{first[0]} {last[0]}",
            "name_bn": f"{first[1]} {last[1]}",
            "date_of_birth": birth.isoformat(),
            "gender": gender,
            "mobile": self._mobile(index) if rng.random() < 0.85 else "",
            "district": household["district"],
            "upazila": str(household["upazila_id"]),
            "household_id": household["household_id"],
            "household_size": household["household_size"],
            "monthly_income_bdt": household["monthly_income_bdt"],
            "land_decimal": household["land_decimal"],
            "disability": "1" if rng.random() < 0.04 else "0",
            "marital_status": marital,
            "language": "en" if rng.random() < 0.05 else "bn",
            "_age": age,
        }

    def _household(self, number: int) -> dict:
        rng = self.rng
        district_id = rng.choice(self.district_ids)
        upazila_id, district = rng.choice(self.upazilas[district_id])
        size = max(1, min(12, round(rng.gauss(4.3, 1.7))))
        income = round(rng.lognormvariate(9.0, 0.6) / 100) * 100  # median about Tk 8,100 a month
        land = rng.choices([0, rng.randint(1, 15), rng.randint(16, 50), rng.randint(51, 300)], [30, 30, 25, 15])[0]
        return {
            "household_id": f"HH{self.seed}-{number:07d}",
            "district_id": district_id,
            "district": district,
            "upazila_id": upazila_id,
            "household_size": size,
            "monthly_income_bdt": income,
            "land_decimal": land,
        }

    # -- programmes -----------------------------------------------------------------------
    def _programmes_for(self, person: dict, household: dict) -> list[str]:
        """Enrol with the rough real targeting (and its errors): mostly the eligible, some not."""
        rng, age, gender = self.rng, person["_age"], person["gender"]
        poor = household["monthly_income_bdt"] <= 10_000
        chosen = []
        if age >= (65 if gender == "M" else 62) and (poor or rng.random() < 0.1) and rng.random() < 0.55:
            chosen.append("OAA")
        if gender == "F" and person["marital_status"] in ("widowed", "deserted", "divorced") and rng.random() < 0.5:
            chosen.append("WDA")
        if person["disability"] == "1" and rng.random() < 0.6:
            chosen.append("PDA")
        if gender == "F" and 18 <= age <= 40 and poor and rng.random() < 0.08:
            chosen.append("MCBP")
        if gender == "F" and 18 <= age <= 49 and household["land_decimal"] <= 15 and rng.random() < 0.05:
            chosen.append("VWB")
        if household["monthly_income_bdt"] <= 8_000 and rng.random() < 0.18:
            chosen.append("FFP")
        if 18 <= age <= 60 and household["land_decimal"] <= 50 and rng.random() < 0.03:
            chosen.append("EGPP")
        if rng.random() < 0.03:
            chosen.append("VGF")
        if age >= 60 and rng.random() < 0.04:
            chosen.append("GPEN")
        return chosen

    def _enrolment(self, person: dict, code: str) -> dict:
        rng = self.rng
        channel = rng.choices([*MOBILE_CHANNELS, "post_office", "bank", "agent_banking"], [35, 40, 8, 7, 6, 4])[0]
        if channel in MOBILE_CHANNELS:
            account = person["mobile"] or self._mobile(rng.randrange(10**7))
        else:
            account = f"{rng.randrange(10**12, 10**13)}"
        status = rng.choices(["active", "suspended", "exited"], [92, 5, 3])[0]
        enrolled = self.as_of - dt.timedelta(days=rng.randint(120, 2500))
        return {
            "nid": person["nid"],
            "programme": code,
            "status": status,
            "enrolled_on": enrolled.isoformat(),
            "payment_channel": channel,
            "account_number": account,
            "_channel": channel,
        }

    def _payments(self, person: dict, enrolment: dict) -> list[dict]:
        """The programme's own schedule: the last CYCLES_PAID payment months attempted, and
        a scheduled one when this month is a payment month (a quarterly allowance at the
        start of November has October's instalment paid and January's still to come)."""
        programme = self.programmes[enrolment["programme"]]
        if programme.benefit_type != "cash":
            return []
        schedule = programme.payment_schedule
        rate = programme.amount_bdt or Decimal(8000 if programme.code == "EGPP" else 1000)
        amount = instalment_amount(schedule, rate, programme.unit) or rate
        rows = []
        for cycle in self._cycles(schedule):
            if cycle == _cycle(self.as_of, 0):
                status = "scheduled"
            else:
                status = self.rng.choices(["credited", "sent", "failed", "returned"], [90, 3, 5, 2])[0]
            row = {
                "nid": person["nid"],
                "programme": programme.code,
                "cycle": cycle,
                "amount_bdt": f"{amount:.0f}",
                "status": status,
                "paid_on": "",
                "channel": enrolment["_channel"],
                "txn_id": "",
                "failure_reason": "",
            }
            if status != "scheduled":
                self.txn_counter += 1
                year, month = map(int, cycle.split("-"))
                row["paid_on"] = dt.date(year, month, self.rng.randint(5, 25)).isoformat()
                row["txn_id"] = f"G2P{self.seed:03d}{self.txn_counter:011d}"
            if status in FAILURE_REASONS:
                row["failure_reason"] = self.rng.choice(FAILURE_REASONS[status])
            rows.append(row)
        return rows

    def _cycles(self, schedule: PaymentSchedule) -> list[str]:
        this_month = _cycle(self.as_of, 0)
        if not schedule.pays_in_months:
            # Work wages and one-off payments: past months only, nothing promised next.
            return [_cycle(self.as_of, back) for back in range(CYCLES_PAID, 0, -1)]
        cycles = payment_cycles(schedule, this_month, CYCLES_PAID + 1)
        return cycles if cycles[-1] == this_month else cycles[1:]

    def _etoken(self, person: dict, code: str) -> dict | None:
        programme = self.programmes[code]
        if programme.benefit_type != "etoken":
            return None
        unit = "voucher" if code == "MHV" else "kg rice"
        balance = self.rng.randint(1, 3) if code == "MHV" else self.rng.choice([0, 10, 20, 30, 30, 30])
        expires = self.as_of + dt.timedelta(days=self.rng.choice([30, 45, 60]))
        return {
            "nid": person["nid"],
            "programme": code,
            "balance": balance,
            "unit": unit,
            "expires_on": expires.isoformat(),
        }

    # -- files ----------------------------------------------------------------------------
    def write_files(self, citizens: int, folder: Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
        kinds = (CitizensImport, EnrolmentsImport, PaymentsImport, ETokensImport)
        paths = {kind.name: folder / f"{kind.name}.csv" for kind in kinds}
        columns = {kind.name: kind.columns for kind in kinds}
        samples: dict[str, tuple[str, str]] = {}
        with contextlib.ExitStack() as files:
            writers = {}
            for kind, path in paths.items():
                handle = files.enter_context(open(path, "w", encoding="utf-8", newline=""))
                writers[kind] = csv.DictWriter(handle, columns[kind], extrasaction="ignore")
                writers[kind].writeheader()
            index, number = 0, 0
            regular = citizens - PLANTED_PEOPLE if citizens >= MIN_FOR_PLANTS else citizens
            while index < regular:
                number += 1
                household = self._household(number)
                roles = ["head_m" if self.rng.random() < 0.85 else "head_f", "spouse", "other"]
                for role in roles[: min(self.rng.choice([1, 2, 2, 3]), regular - index)]:
                    index += 1
                    person = self._person(index, household, role)
                    writers["citizens"].writerow(person)
                    for code in self._programmes_for(person, household):
                        enrolment = self._enrolment(person, code)
                        writers["enrolments"].writerow(enrolment)
                        payments = self._payments(person, enrolment)
                        writers["payments"].writerows(payments)
                        etoken = self._etoken(person, code)
                        if etoken:
                            writers["etokens"].writerow(etoken)
                        self._note_sample(samples, person, code, enrolment, payments, etoken)
            if regular < citizens:
                self._write_planted(writers, index, number)
        return paths, list(samples.values())

    # -- leakage planted for the signals ----------------------------------------------------
    def _write_planted(self, writers: dict, index: int, number: int) -> None:
        """The people every signal of monitoring.signals should find: the queue at the demo's
        dealer (a burst, at night, some from another upazila), a mother with health
        vouchers, one wallet number paid for three households, one person registered twice
        under two NIDs, and one person in two programmes meant to exclude each other."""
        district_id = self.district_ids[0]
        home, elsewhere = self.upazilas[district_id][0], self.upazilas[district_id][-1]
        self.plan = Plan(home[0], elsewhere[0])
        plants: list[tuple[str, tuple[int, str], dict, list[tuple[str, dict]]]] = []
        poor = {"monthly_income_bdt": 2000, "land_decimal": 5}
        for n in range(QUEUE + OUTSIDERS):
            place = home if n < QUEUE else elsewhere
            plants.append(("queue" if n < QUEUE else "outsider", place, {"_age": 40 + n}, [("FFP", {})]))
        plants.append(("mother", home, {"gender": "F", "_age": 24, "marital_status": "married"}, [("MHV", {})]))
        shared = f"0179{9_000_000 + self.seed % 1_000_000:07d}"
        for spelling in (shared, f"+88{shared}", f"{shared[:5]}-{shared[5:]}"):
            old = {"gender": "M", "_age": 70, "marital_status": "married"}
            plants.append(("shared", home, old, [("OAA", {"payment_channel": "nagad", "account_number": spelling})]))
        twin = {"gender": "F", "_age": 51, "marital_status": "widowed"}
        plants += [("twin", home, twin, [("WDA", {})]), ("twin", home, twin, [])]
        plants.append(
            ("both", home, {"gender": "M", "_age": 68, "marital_status": "married"}, [("OAA", {}), ("GPEN", {})])
        )
        assert len(plants) == PLANTED_PEOPLE
        first_twin: dict | None = None
        for role, (upazila_id, district), overrides, programmes in plants:
            number += 1
            index += 1
            household = {
                **self._household(number),
                **poor,
                "district_id": district_id,
                "district": district,
                "upazila_id": upazila_id,
            }
            sex = {"F": "head_f", "M": "head_m"}.get(overrides.get("gender", ""), "other")
            person = {**self._person(index, household, sex), **overrides, "mobile": self._mobile(index)}
            birth = self._birth_date(int(person["_age"]))
            person["date_of_birth"] = birth.isoformat()
            person["nid"] = self._nid(index, birth, district_id, upazila_id)
            if role == "twin":
                if first_twin is None:
                    first_twin = person
                else:  # the same person again, under another NID (a 17-digit one here)
                    person.update({k: first_twin[k] for k in ("name_en", "name_bn", "date_of_birth", "gender")})
                    person["nid"] = (
                        f"{first_twin['date_of_birth'][:4]}{district_id:02d}1{upazila_id % 100:02d}9{index:07d}"
                    )
            writers["citizens"].writerow(person)
            for code, fields in programmes:
                enrolment = {**self._enrolment(person, code), "status": "active", **fields}
                enrolment["_channel"] = enrolment["payment_channel"]
                writers["enrolments"].writerow(enrolment)
                writers["payments"].writerows(self._payments(person, enrolment))
                etoken = self._etoken(person, code)
                if etoken:
                    etoken["balance"] = 3 if code == "MHV" else 30
                    writers["etokens"].writerow(etoken)
                    if role == "mother":
                        self.plan.mother = person["nid"]
                    else:
                        (self.plan.queue if role == "queue" else self.plan.outsiders).append(person["nid"])

    def _note_sample(
        self, samples: dict, person: dict, code: str, enrolment: dict, payments: list, etoken: dict | None
    ) -> None:
        if not person["mobile"] or enrolment["status"] != "active":
            return
        if code == "OAA" and "oaa" not in samples:
            samples["oaa"] = (normalise_mobile(person["mobile"]), "Old Age Allowance beneficiary")
        attempted = [p for p in payments if p["status"] != "scheduled"]
        if attempted and attempted[-1]["status"] in ("failed", "returned") and "failed" not in samples:
            samples["failed"] = (normalise_mobile(person["mobile"]), f"last {code} payment failed or returned")
        if etoken and int(etoken["balance"]) > 0 and "etoken" not in samples:
            samples["etoken"] = (normalise_mobile(person["mobile"]), f"{code} e-token balance")


def _outlets_file(session: Session, generator: DemoGenerator, plan: Plan, folder: Path) -> Path:
    """The demo's dealer and clinic in the planted upazila, and a dealer in each of the three
    other upazilas with the most rice e-tokens to give, each with its operator's phone."""
    district_of = {upazila_id: name for places in generator.upazilas.values() for upazila_id, name in places}
    district = district_of[plan.upazila_id]
    rows = [
        ("DEMO-DEALER-1", "Demo rice dealer", "ডেমো চাল ডিলার", "food_dealer", "FFP;VGF", district, plan.upazila_id),
        (
            "DEMO-CLINIC-1",
            "Demo union health centre",
            "ডেমো ইউনিয়ন স্বাস্থ্য কেন্দ্র",
            "clinic",
            "MHV",
            district,
            plan.upazila_id,
        ),
    ]
    busiest = session.scalars(
        select(Citizen.upazila_id)
        .join(ETokenWallet, ETokenWallet.citizen_id == Citizen.id)
        .where(ETokenWallet.programme_code == "FFP", ETokenWallet.balance >= 10, Citizen.upazila_id != plan.upazila_id)
        .group_by(Citizen.upazila_id)
        .order_by(func.count().desc(), Citizen.upazila_id)
        .limit(3)
    ).all()
    for n, upazila_id in enumerate(busiest, start=2):
        bn = f"ডেমো চাল ডিলার {n}".translate(BENGALI_DIGITS)
        rows.append(
            (f"DEMO-DEALER-{n}", f"Demo rice dealer {n}", bn, "food_dealer", "FFP", district_of[upazila_id], upazila_id)
        )
    path = folder / "outlets.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OutletsImport.columns)
        for n, row in enumerate(rows, start=1):
            writer.writerow([*row, f"+880159{generator.seed % 100:02d}{n:05d}"])
    return path


def _redeem(session: Session, outlet: Outlet, nid: str, quantity: int, at: dt.datetime, wrong: int = 0) -> int | None:
    """One redemption through the service: started by the operator, the code the service
    returned typed back (after ``wrong`` wrong ones); returns its id, None if refused."""
    try:
        started = redemptions.start(
            session, outlet, outlet.operator_mobile, nid, Decimal(quantity), None, RedemptionChannel.USSD, now=at
        )
    except redemptions.Refused:
        return None
    assert started.code is not None
    for n in range(wrong):
        typo = f"{(int(started.code) + 1 + n) % 10**6:06d}"
        with contextlib.suppress(redemptions.Refused):
            redemptions.confirm_code(
                session, outlet, started.redemption.id, typo, now=at + dt.timedelta(seconds=20 + n)
            )
    if wrong < redemptions.MAX_WRONG_CODES:
        redemptions.confirm_code(
            session, outlet, started.redemption.id, started.code, now=at + dt.timedelta(seconds=30)
        )
    return started.redemption.id


def _plant_redemptions(session: Session, generator: DemoGenerator, as_of: dt.date, result: DemoResult) -> None:
    """Outlets, and redemptions at them through registry.redemptions (codes and ledger as
    for real): a queue served in a burst, some at night, some for people from another
    upazila, one cancelled after three wrong codes; ordinary ones at the other dealers."""
    plan = generator.plan
    assert plan is not None
    outlets = {o.code: o for o in session.scalars(select(Outlet).where(Outlet.code.like("DEMO-%")))}
    dealer = outlets["DEMO-DEALER-1"]
    day = dt.datetime.combine(as_of - dt.timedelta(days=3), dt.time(10, 0), tzinfo=redemptions.DHAKA)
    done: list[int | None] = []
    for n, nid in enumerate(plan.queue[:10]):  # ten in five minutes: a burst
        done.append(_redeem(session, dealer, nid, 10, day + dt.timedelta(seconds=30 * n)))
    night = day + dt.timedelta(days=1, hours=13, minutes=30)  # 23:30 in Dhaka
    nights = [
        _redeem(session, dealer, nid, 10, night + dt.timedelta(minutes=7 * n)) for n, nid in enumerate(plan.queue[:3])
    ]
    outsiders = [
        _redeem(session, dealer, nid, 20, day + dt.timedelta(hours=3, minutes=11 * n))
        for n, nid in enumerate(plan.outsiders)
    ]
    _redeem(session, dealer, plan.queue[10], 10, day + dt.timedelta(hours=5), wrong=redemptions.MAX_WRONG_CODES)
    _redeem(session, dealer, plan.queue[11], 10, day + dt.timedelta(hours=5, minutes=3))
    if plan.mother:
        _redeem(session, outlets["DEMO-CLINIC-1"], plan.mother, 1, day + dt.timedelta(hours=1))
    for n, code in enumerate(sorted(set(outlets) - {"DEMO-DEALER-1", "DEMO-CLINIC-1"})):
        outlet = outlets[code]
        holders = session.scalars(
            select(Citizen.nid)
            .join(ETokenWallet, ETokenWallet.citizen_id == Citizen.id)
            .where(
                Citizen.upazila_id == outlet.upazila_id,
                ETokenWallet.programme_code == "FFP",
                ETokenWallet.balance >= 10,
            )
            .order_by(Citizen.id)
            .limit(3)
        ).all()
        for m, nid in enumerate(holders):
            done.append(_redeem(session, outlet, nid, 10, day + dt.timedelta(days=n % 2, hours=m)))
    # Not them: the night ones the beneficiaries say they never made, and an outsider's.
    result.disputed = [i for i in (*nights[1:], *outsiders[:1]) if i is not None]
    result.redemptions = session.scalar(select(func.count()).select_from(Redemption)) or 0


def generate_demo_data(
    session: Session,
    citizens: int,
    seed: int,
    as_of: dt.date = DEMO_AS_OF,
    progress: Callable[[str, int, int], None] | None = None,
    batch_size: int = 5000,
) -> DemoResult:
    """The registry (through the importers) and, from MIN_FOR_PLANTS citizens on, outlets and
    redemptions planted for every signal. Loaded again, the registry's rows are left as they
    are: the redemptions are not repeated, and the e-token file is not re-imported (it would
    credit back what the first load's redemptions debited)."""
    generator = DemoGenerator(session, seed, as_of)
    planted_before = session.scalar(select(func.count()).select_from(Outlet).where(Outlet.code.like("DEMO-%")))
    with tempfile.TemporaryDirectory(prefix="sahayata-demo-") as folder:
        paths, samples = generator.write_files(citizens, Path(folder))
        if generator.plan is not None and planted_before:
            del paths["etokens"]
        reports = []
        kinds: list[tuple[str, Path | Callable[[], Path]]] = list(paths.items())
        if generator.plan is not None:  # outlets last: where the e-tokens are
            kinds.append(
                ("outlets", functools.partial(_outlets_file, session, generator, generator.plan, Path(folder)))
            )
        for kind, file in kinds:
            path = file if isinstance(file, Path) else file()
            report = run_import(session, kind, path, batch_size=batch_size, today=as_of)
            if not report.committed:
                raise RuntimeError(f"demo {kind} did not import: {report.problems[:3]}")
            reports.append(report)
            if progress:
                progress(kind, report.rows_written, len(reports))
    result = DemoResult(citizens, reports, samples)
    if generator.plan is not None and not planted_before:
        _plant_redemptions(session, generator, as_of, result)
    return result
