"""The four import kinds: how a CSV row is checked, and how a batch is written."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from foundation.bulk import in_rows, in_values, upsert
from registry import validation as v
from registry.etokens import set_balances
from registry.events import Announcer, PaymentKey
from registry.households import rescore_households
from registry.imports.lookups import Lookups
from registry.models import (
    Citizen,
    Enrolment,
    EnrolmentStatus,
    ETokenWallet,
    Gender,
    Household,
    Language,
    MaritalStatus,
    Outlet,
    OutletKind,
    OutletProgramme,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Programme,
)


class FieldProblem(Exception):
    def __init__(self, column: str, reason: str, raw: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.raw = raw  # the row as read, for the reject file, when a source refused it whole


@dataclass
class ParsedRow:
    line: int
    raw: dict[str, str]
    record: dict[str, Any]


@dataclass
class BatchProblem:
    row: ParsedRow
    column: str
    reason: str


class Fields:
    """Reads one CSV row field by field; a parser's failure names the column it read."""

    __slots__ = ("row",)

    def __init__(self, row: dict[str, str]) -> None:
        self.row = row

    def __call__(self, column: str, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return parse(self.row.get(column) or "", *args, **kwargs)
        except v.InvalidValue as exc:
            raise FieldProblem(column, str(exc)) from None


def _choices(enum_cls: type, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    choices = {member.value.lower(): member for member in enum_cls}
    choices.update(extra or {})
    return choices


INCOME_LIMIT = Decimal(10_000_000)
LAND_LIMIT = Decimal(1_000_000)
AMOUNT_LIMIT = Decimal(9_999_999)
GENDERS = _choices(Gender)
MARITAL_STATUSES = _choices(
    MaritalStatus, {"never married": MaritalStatus.NEVER_MARRIED, "single": MaritalStatus.NEVER_MARRIED}
)
LANGUAGES = _choices(Language, {"": Language.BANGLA, "bangla": Language.BANGLA, "english": Language.ENGLISH})
ENROLMENT_STATUSES = _choices(EnrolmentStatus)
PAYMENT_STATUSES = _choices(PaymentStatus)
CHANNELS = _choices(
    PaymentChannel, {"post office": PaymentChannel.POST_OFFICE, "agent banking": PaymentChannel.AGENT_BANKING}
)
OPTIONAL_CHANNELS = {**CHANNELS, "": None}
OUTLET_KINDS = _choices(OutletKind, {"food dealer": OutletKind.FOOD_DEALER, "dealer": OutletKind.FOOD_DEALER})
OUTLET_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
NOT_YOURS = "another ministry's programme: this import may not change the outlet"
NO_OWNER = "so no ministry's import may change it: ask the registry's keeper to import it"


@dataclass
class ImportKind:
    """Base for a kind: subclasses say which columns they read and how rows become records."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    tables: ClassVar[tuple[str, ...]]  # what it writes, to refresh statistics afterwards
    lookups: Lookups
    seen: dict[Any, int] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    # Who hears of the payments and e-tokens this import changes (nobody, unless subscribed).
    announcer: Announcer = field(default_factory=Announcer)

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def accept(self, row: ParsedRow) -> None:
        """Checks across rows of the file (repeated keys); raises FieldProblem."""

    def check_unique(self, column: str, key: Any, line: int) -> None:
        """A key repeated inside one file is an error: which of the two rows is right?"""
        first = self.seen.setdefault(key, line)
        if first != line:
            raise FieldProblem(column, f"repeats line {first} of this file")

    def check_batch(self, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
        return []

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        raise NotImplementedError

    def finish(self, session: Session) -> None:
        """Work after the last batch, in the same transaction."""

    def after_commit(self) -> None:
        """Work once the import has committed: its listeners act on what they recorded."""
        self.announcer.import_committed()


def _resolve_nids(kind: ImportKind, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
    kind.lookups.resolve_citizens(session, (row.record["nid"] for row in batch))
    problems = []
    for row in batch:
        citizen_id = kind.lookups.citizen_ids.get(row.record["nid"])
        if citizen_id is None:
            problems.append(
                BatchProblem(row, "nid", "no citizen with this NID in the registry (import citizens first)")
            )
        else:
            row.record["citizen_id"] = citizen_id
    return problems


@dataclass
class CitizensImport(ImportKind):
    name: ClassVar[str] = "citizens"
    tables: ClassVar[tuple[str, ...]] = ("households", "citizens")
    columns: ClassVar[tuple[str, ...]] = (
        "nid",
        "name_en",
        "name_bn",
        "date_of_birth",
        "gender",
        "mobile",
        "district",
        "upazila",
        "household_id",
        "household_size",
        "monthly_income_bdt",
        "land_decimal",
        "disability",
        "marital_status",
        "language",
    )
    households_seen: dict[str, tuple[tuple[Any, ...], int]] = field(default_factory=dict)
    touched_households: set[int] = field(default_factory=set)

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        f = Fields(row)
        date_of_birth = f("date_of_birth", v.parse_date, field="date_of_birth", not_after=self.today)
        district_id = f("district", self.lookups.district)
        return {
            "nid": f("nid", v.parse_nid, date_of_birth),
            "name_en": f("name_en", v.required_text, field="name_en", max_length=120),
            "name_bn": f("name_bn", v.required_text, field="name_bn", max_length=120),
            "date_of_birth": date_of_birth,
            "gender": f("gender", v.parse_choice, GENDERS, field="gender"),
            # Not every citizen owns a phone; an empty mobile is allowed, a wrong one is not.
            "mobile": f("mobile", v.normalise_optional_mobile),
            "district_id": district_id,
            "upazila_id": f("upazila", self.lookups.upazila, district_id),
            "household_external_id": f("household_id", v.required_text, field="household_id", max_length=40),
            "household": (
                f("household_size", v.parse_int, field="household_size", minimum=1, maximum=40),
                f("monthly_income_bdt", v.parse_decimal, field="monthly_income_bdt", maximum=INCOME_LIMIT),
                f("land_decimal", v.parse_decimal, field="land_decimal", maximum=LAND_LIMIT),
            ),
            "disability": f("disability", v.parse_bool, field="disability"),
            "marital_status": f("marital_status", v.parse_choice, MARITAL_STATUSES, field="marital_status"),
            "language": f("language", v.parse_choice, LANGUAGES, field="language"),
        }

    def accept(self, row: ParsedRow) -> None:
        record = row.record
        self.check_unique("nid", record["nid"], row.line)
        external_id = record["household_external_id"]
        first = self.households_seen.setdefault(external_id, (record["household"], row.line))
        if first[0] != record["household"]:
            raise FieldProblem(
                "household_id",
                f"household {external_id} has different size, income or land on line {first[1]}",
            )

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        households: dict[str, dict[str, Any]] = {}
        for row in batch:
            size, income, land = row.record["household"]
            households[row.record["household_external_id"]] = {
                "external_id": row.record["household_external_id"],
                "size": size,
                "monthly_income_bdt": income,
                "land_decimal": land,
            }
        # Only what this file changes is rescored: a household whose own row changed, one
        # that gained or kept a changed member, and one a member moved out of. (Ages move
        # on without any import: registry.jobs.rescore_new_elders_job.)
        changed_households = upsert(
            session, Household.__table__, list(households.values()), ["external_id"], returning=("external_id", "id")
        )
        self.touched_households.update(household_id for _, household_id in changed_households)
        household_ids = dict(changed_households)
        if unchanged := [external_id for external_id in households if external_id not in household_ids]:
            household_ids.update(
                session.execute(
                    select(Household.external_id, Household.id).where(
                        in_values(session, Household.external_id, unchanged)
                    )
                ).all()
            )
        nids = [row.record["nid"] for row in batch]
        where_now = select(Citizen.nid, Citizen.household_id).where(in_values(session, Citizen.nid, nids))
        previous = dict(session.execute(where_now).all())
        citizens = []
        for row in batch:
            citizen = dict(row.record)  # copied in C, then the household fields out: cheaper than building it in Python
            del citizen["household"]
            citizen["household_id"] = household_ids[citizen.pop("household_external_id")]
            citizens.append(citizen)
        changed_citizens = upsert(session, Citizen.__table__, citizens, ["nid"], returning=("nid", "household_id"))
        for nid, household_id in changed_citizens:
            self.touched_households.add(household_id)
            if nid in previous:
                self.touched_households.add(previous[nid])

    def finish(self, session: Session) -> None:
        rescore_households(session, self.touched_households, as_of=self.today)


@dataclass
class EnrolmentsImport(ImportKind):
    name: ClassVar[str] = "enrolments"
    tables: ClassVar[tuple[str, ...]] = ("enrolments",)
    columns: ClassVar[tuple[str, ...]] = (
        "nid",
        "programme",
        "status",
        "enrolled_on",
        "payment_channel",
        "account_number",
    )

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        f = Fields(row)
        return {
            "nid": f("nid", v.parse_nid),
            "programme_code": f("programme", self.lookups.programme),
            "status": f("status", v.parse_choice, ENROLMENT_STATUSES, field="status"),
            "enrolled_on": f("enrolled_on", v.parse_date, field="enrolled_on"),
            "payment_channel": f("payment_channel", v.parse_choice, OPTIONAL_CHANNELS, field="payment_channel"),
            "account_number": f("account_number", v.optional_text, field="account_number", max_length=34, compact=True),
        }

    def accept(self, row: ParsedRow) -> None:
        self.check_unique("programme", (row.record["nid"], row.record["programme_code"]), row.line)

    def check_batch(self, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
        return _resolve_nids(self, session, batch)

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        rows = [{k: val for k, val in row.record.items() if k != "nid"} for row in batch]
        upsert(session, Enrolment.__table__, rows, ["citizen_id", "programme_code"])


@dataclass
class PaymentsImport(ImportKind):
    name: ClassVar[str] = "payments"
    tables: ClassVar[tuple[str, ...]] = ("payments",)
    columns: ClassVar[tuple[str, ...]] = (
        "nid",
        "programme",
        "cycle",
        "amount_bdt",
        "status",
        "paid_on",
        "channel",
        "txn_id",
        "failure_reason",
    )

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        f = Fields(row)
        record = {
            "nid": f("nid", v.parse_nid),
            "programme_code": f("programme", self.lookups.programme),
            "cycle": f("cycle", v.parse_cycle),
            "amount_bdt": f("amount_bdt", v.parse_decimal, field="amount_bdt", maximum=AMOUNT_LIMIT),
            "status": f("status", v.parse_choice, PAYMENT_STATUSES, field="status"),
            "paid_on": f("paid_on", v.parse_optional_date, field="paid_on"),
            "channel": f("channel", v.parse_choice, OPTIONAL_CHANNELS, field="channel"),
            "txn_id": f("txn_id", v.optional_text, field="txn_id", max_length=40),
            "failure_reason": f("failure_reason", v.optional_text, field="failure_reason", max_length=200),
        }
        status = record["status"]
        if status in (PaymentStatus.SENT, PaymentStatus.CREDITED):
            if not record["txn_id"]:
                raise FieldProblem("txn_id", f"txn_id is required for a {status.value} payment")
            if record["paid_on"] is None:
                raise FieldProblem("paid_on", f"paid_on is required for a {status.value} payment")
        if status in (PaymentStatus.FAILED, PaymentStatus.RETURNED) and not record["failure_reason"]:
            raise FieldProblem("failure_reason", f"failure_reason is required for a {status.value} payment")
        return record

    def accept(self, row: ParsedRow) -> None:
        record = row.record
        self.check_unique("cycle", (record["nid"], record["programme_code"], record["cycle"]), row.line)
        if record["txn_id"]:
            self.check_unique("txn_id", ("txn", record["txn_id"]), row.line)

    def check_batch(self, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
        problems = _resolve_nids(self, session, batch)
        by_txn = {row.record["txn_id"]: row for row in batch if row.record["txn_id"] and "citizen_id" in row.record}
        if by_txn:
            existing = session.execute(
                select(Payment.txn_id, Payment.citizen_id, Payment.programme_code, Payment.cycle).where(
                    in_values(session, Payment.txn_id, list(by_txn))
                )
            )
            for txn_id, citizen_id, programme_code, cycle in existing:
                record = by_txn[txn_id].record
                if (citizen_id, programme_code, cycle) != (
                    record["citizen_id"],
                    record["programme_code"],
                    record["cycle"],
                ):
                    problems.append(BatchProblem(by_txn[txn_id], "txn_id", "txn_id already belongs to another payment"))
        return problems

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        rows = [{k: val for k, val in row.record.items() if k != "nid"} for row in batch]
        keys = [(row["citizen_id"], row["programme_code"], row["cycle"]) for row in rows]
        before = payment_statuses(session, keys)
        upsert(session, Payment.__table__, rows, ["citizen_id", "programme_code", "cycle"])
        # Only what changed is news: re-importing a file alerts nobody twice.
        changed = [key for key, row in zip(keys, rows, strict=True) if before.get(key) != row["status"]]
        self.announcer.payments_changed(session, changed, self.today)


def payment_statuses(session: Session, keys: Sequence[PaymentKey]) -> dict[PaymentKey, PaymentStatus]:
    """The stored status of each payment (before an import changes it)."""
    if not keys:
        return {}
    rows = session.execute(
        select(Payment.citizen_id, Payment.programme_code, Payment.cycle, Payment.status).where(
            in_rows(session, (Payment.citizen_id, Payment.programme_code, Payment.cycle), keys)
        )
    )
    return {(citizen_id, code, cycle): status for citizen_id, code, cycle, status in rows}


@dataclass
class ETokensImport(ImportKind):
    name: ClassVar[str] = "etokens"
    tables: ClassVar[tuple[str, ...]] = ("etoken_wallets", "etoken_ledger")
    columns: ClassVar[tuple[str, ...]] = ("nid", "programme", "balance", "unit", "expires_on")

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        f = Fields(row)
        return {
            "nid": f("nid", v.parse_nid),
            "programme_code": f("programme", self.lookups.programme),
            "balance": f("balance", v.parse_decimal, field="balance", maximum=AMOUNT_LIMIT),
            "unit": f("unit", v.required_text, field="unit", max_length=40),
            "expires_on": f("expires_on", v.parse_optional_date, field="expires_on"),
        }

    def accept(self, row: ParsedRow) -> None:
        self.check_unique("programme", (row.record["nid"], row.record["programme_code"]), row.line)

    def check_batch(self, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
        return _resolve_nids(self, session, batch)

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        wallets = [
            {
                "citizen_id": row.record["citizen_id"],
                "programme_code": row.record["programme_code"],
                "unit": row.record["unit"],
                "expires_on": row.record["expires_on"],
            }
            for row in batch
        ]
        # The balance is not upserted: it only moves through ledger entries (set_balances).
        upsert(session, ETokenWallet.__table__, wallets, ["citizen_id", "programme_code"])
        targets = {(row.record["citizen_id"], row.record["programme_code"]): row.record["balance"] for row in batch}
        current = session.execute(
            select(ETokenWallet.id, ETokenWallet.citizen_id, ETokenWallet.programme_code, ETokenWallet.balance).where(
                in_rows(session, (ETokenWallet.citizen_id, ETokenWallet.programme_code), list(targets))
            )
        )
        entries = set_balances(
            session,
            (
                (wallet_id, Decimal(balance), targets[(citizen_id, code)])
                for wallet_id, citizen_id, code, balance in current
            ),
            reason="import",
        )
        self.announcer.etokens_credited(session, [entry_id for entry_id, amount in entries if amount > 0])


def _outlet_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if not code:
        raise v.InvalidValue("code is missing")
    if not OUTLET_CODE.fullmatch(code):
        raise v.InvalidValue("code must be up to 32 letters, digits, - or _")
    return code


@dataclass
class OutletsImport(ImportKind):
    """Food dealers and clinics. An outlet serves only its programmes, each an e-token
    programme; re-importing a changed list replaces the outlet's programmes."""

    name: ClassVar[str] = "outlets"
    tables: ClassVar[tuple[str, ...]] = ("outlets", "outlet_programmes")
    columns: ClassVar[tuple[str, ...]] = (
        "code",
        "name_en",
        "name_bn",
        "kind",
        "programmes",
        "district",
        "upazila",
        "operator_mobile",
    )
    etoken_programmes: set[str] | None = None

    def parse(self, row: dict[str, str]) -> dict[str, Any]:
        f = Fields(row)
        district_id = f("district", self.lookups.district)
        return {
            "code": f("code", _outlet_code),
            "name_en": f("name_en", v.required_text, field="name_en", max_length=200),
            "name_bn": f("name_bn", v.required_text, field="name_bn", max_length=200),
            "kind": f("kind", v.parse_choice, OUTLET_KINDS, field="kind"),
            "programmes": f("programmes", self._programmes),
            "district_id": district_id,
            "upazila_id": f("upazila", self.lookups.upazila, district_id),
            "operator_mobile": f("operator_mobile", v.normalise_mobile),
        }

    def _programmes(self, raw: str) -> tuple[str, ...]:
        codes = [part.strip() for part in (raw or "").split(";") if part.strip()]
        if not codes:
            raise v.InvalidValue("programmes is missing (codes separated by ;, e.g. FFP;VGF)")
        resolved = tuple(dict.fromkeys(self.lookups.programme(code) for code in codes))
        return resolved

    def accept(self, row: ParsedRow) -> None:
        self.check_unique("code", row.record["code"], row.line)

    def check_batch(self, session: Session, batch: Sequence[ParsedRow]) -> list[BatchProblem]:
        if self.etoken_programmes is None:
            self.etoken_programmes = set(
                session.scalars(select(Programme.code).where(Programme.benefit_type == "etoken"))
            )
        problems = []
        for row in batch:
            cash = [code for code in row.record["programmes"] if code not in self.etoken_programmes]
            if cash:
                problems.append(BatchProblem(row, "programmes", f"not an e-token programme: {', '.join(cash)}"))
        if self.lookups.writable is not None:
            problems.extend(self._others_outlets(session, batch, self.lookups.writable))
        return problems

    def _others_outlets(
        self, session: Session, batch: Sequence[ParsedRow], writable: frozenset[str]
    ) -> list[BatchProblem]:
        """An outlet that already serves another ministry's programme is that ministry's too:
        re-importing it would drop that programme (the file's list replaces the outlet's) or
        hand the outlet to a new operator, so an import limited to some programmes may not.
        Nor may it change an outlet that serves no programme at all (its programmes were
        removed): nothing then says whose it is, and any ministry could hand it, and its
        redemption token, to an operator of its choosing. The registry's keeper (the CLI,
        limited to no programmes) can."""
        by_code = {row.record["code"]: row for row in batch}
        served = session.execute(
            select(Outlet.code, OutletProgramme.programme_code)
            .outerjoin(OutletProgramme, OutletProgramme.outlet_id == Outlet.id)
            .where(in_values(session, Outlet.code, list(by_code)))
        )
        foreign: dict[str, set[str]] = {}
        ownerless: set[str] = set()
        for code, programme in served:
            if programme is None:
                ownerless.add(code)
            elif programme not in writable:
                foreign.setdefault(code, set()).add(programme)
        problems = [
            BatchProblem(by_code[code], "code", f"outlet {code} also serves {', '.join(sorted(codes))}, {NOT_YOURS}")
            for code, codes in sorted(foreign.items())
        ]
        problems.extend(
            BatchProblem(by_code[code], "code", f"outlet {code} serves no programme, {NO_OWNER}")
            for code in sorted(ownerless)
        )
        return problems

    def write(self, session: Session, batch: Sequence[ParsedRow]) -> None:
        outlets = [{k: val for k, val in row.record.items() if k != "programmes"} for row in batch]
        codes = [row.record["code"] for row in batch]
        # The token is not in the file: re-importing an outlet keeps the one issued to it, unless
        # its operator changed. A token is the operator's: a dismissed dealer's app must stop
        # redeeming (in the new operator's name) the day the file says so.
        operators = dict(
            session.execute(
                select(Outlet.code, Outlet.operator_mobile).where(in_values(session, Outlet.code, codes))
            ).all()
        )
        handed_over = [
            row.record["code"]
            for row in batch
            if row.record["code"] in operators and operators[row.record["code"]] != row.record["operator_mobile"]
        ]
        upsert(session, Outlet.__table__, outlets, ["code"])
        if handed_over:
            session.execute(update(Outlet).where(in_values(session, Outlet.code, handed_over)).values(token_hash=None))
        ids = dict(session.execute(select(Outlet.code, Outlet.id).where(in_values(session, Outlet.code, codes))).all())
        wanted = {(ids[row.record["code"]], code) for row in batch for code in row.record["programmes"]}
        current = set(
            session.execute(
                select(OutletProgramme.outlet_id, OutletProgramme.programme_code).where(
                    in_values(session, OutletProgramme.outlet_id, list(ids.values()))
                )
            ).all()
        )
        if dropped := current - wanted:
            session.execute(
                delete(OutletProgramme).where(
                    in_rows(session, (OutletProgramme.outlet_id, OutletProgramme.programme_code), sorted(dropped))
                )
            )
        if added := wanted - current:
            session.execute(
                insert(OutletProgramme),
                [{"outlet_id": outlet_id, "programme_code": code} for outlet_id, code in sorted(added)],
            )


KINDS: dict[str, type[ImportKind]] = {
    kind.name: kind for kind in (CitizensImport, EnrolmentsImport, PaymentsImport, ETokensImport, OutletsImport)
}
