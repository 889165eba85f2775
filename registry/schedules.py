"""When a programme pays and how much one instalment is: pure functions over a schedule.

A schedule is data (seed/programmes.csv `payment_frequency`, `payment_months`): monthly
(every month, or only the listed months for a seasonal programme), quarterly and yearly
(in the listed months), one-off, or irregular (no month can be promised). Months are the
months the money is paid in, which for a quarterly allowance is the month after the
quarter it covers.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
from dataclasses import dataclass
from decimal import Decimal


class PaymentFrequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_OFF = "one_off"
    IRREGULAR = "irregular"  # festivals, disasters, work cycles: no month to promise


# How many months of a monthly rate one instalment pays.
MONTHS_PER_INSTALMENT = {PaymentFrequency.MONTHLY: 1, PaymentFrequency.QUARTERLY: 3, PaymentFrequency.YEARLY: 12}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A unit that states a monthly rate ("BDT/month", "BDT/month per child"): an instalment is
# that rate times its months; any other unit (per day of work, per pregnancy) is no rate.
_MONTHLY_RATE_UNIT = "BDT/month"


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class PaymentSchedule:
    frequency: PaymentFrequency
    months: tuple[int, ...] = ()  # 1-12, ascending; empty for monthly means every month

    def __post_init__(self) -> None:
        months, frequency = self.months, self.frequency
        if list(months) != sorted(set(months)) or any(not 1 <= m <= 12 for m in months):
            raise ScheduleError(f"months must be distinct, ascending, 1-12: {months}")
        if frequency is PaymentFrequency.QUARTERLY and not _three_months_apart(months):
            raise ScheduleError(f"a quarterly schedule names 4 months 3 apart, not {months}")
        if frequency is PaymentFrequency.YEARLY and len(months) != 1:
            raise ScheduleError(f"a yearly schedule names 1 month, not {months}")
        if frequency in (PaymentFrequency.ONE_OFF, PaymentFrequency.IRREGULAR) and months:
            raise ScheduleError(f"a {frequency.value} schedule names no months")

    @property
    def pays_in_months(self) -> bool:
        """Whether a month can be named for the next payment at all."""
        return self.frequency in MONTHS_PER_INSTALMENT

    def paid_in(self, month: int) -> bool:
        if self.frequency is PaymentFrequency.MONTHLY and not self.months:
            return True
        return month in self.months

    def to_text(self) -> str:
        """How the database stores the months: "1,4,7,10" (empty for none or every month)."""
        return ",".join(str(m) for m in self.months)


def _three_months_apart(months: tuple[int, ...]) -> bool:
    return len(months) == 4 and all((b - a) == 3 for a, b in itertools.pairwise(months))


@functools.lru_cache(maxsize=256)  # on every payment look-up; a handful of distinct schedules
def parse_schedule(frequency: str, months: str) -> PaymentSchedule:
    """A schedule as the seed file writes it ("quarterly", "Jan Apr Jul Oct") or as the
    database stores it ("quarterly", "1,4,7,10")."""
    try:
        kind = PaymentFrequency((frequency or "").strip().lower())
    except ValueError:
        raise ScheduleError(f"unknown payment frequency {frequency!r}") from None
    numbers = []
    for word in (months or "").replace(",", " ").split():
        token = word.strip().lower()
        if token.isdigit():
            numbers.append(int(token))
        elif token in _MONTH_NAMES:
            numbers.append(_MONTH_NAMES.index(token) + 1)
        else:
            raise ScheduleError(f"not a month: {word!r}")
    return PaymentSchedule(kind, tuple(sorted(numbers)))


def cycle_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month_index(cycle: str) -> int:
    year, month = cycle.split("-")
    return int(year) * 12 + int(month) - 1


def next_payment_cycle(schedule: PaymentSchedule, today_cycle: str, last_cycle: str | None = None) -> str | None:
    """The first month the schedule pays in that is not before this month and after the
    last payment made (a payment month not yet paid is still the next one), as "YYYY-MM";
    None when the schedule names no month (one-off, irregular)."""
    if not schedule.pays_in_months:
        return None
    start = _month_index(today_cycle)
    if last_cycle is not None:
        start = max(start, _month_index(last_cycle) + 1)
    for index in range(start, start + 12):
        if schedule.paid_in(index % 12 + 1):
            return cycle_of(index // 12, index % 12 + 1)
    return None  # unreachable for a valid schedule: each names at least one month


def payment_cycles(schedule: PaymentSchedule, until_cycle: str, count: int) -> list[str]:
    """The last ``count`` months the schedule paid in, up to and including ``until_cycle``,
    oldest first (what a history of payments looks like)."""
    if not schedule.pays_in_months:
        return []
    found: list[str] = []
    index = _month_index(until_cycle)
    while len(found) < count:
        if schedule.paid_in(index % 12 + 1):
            found.append(cycle_of(index // 12, index % 12 + 1))
        index -= 1
    return found[::-1]


def instalment_amount(schedule: PaymentSchedule, rate_bdt: Decimal | None, unit: str | None) -> Decimal | None:
    """One payment's amount: a monthly rate times the months an instalment covers (a
    quarterly payment of a Tk 600/month allowance is Tk 1,800); a one-off amount as it is;
    None when the programme states no amount or no monthly rate."""
    if rate_bdt is None:
        return None
    if schedule.frequency is PaymentFrequency.ONE_OFF and unit and unit.startswith("BDT"):
        return rate_bdt
    if schedule.frequency in MONTHS_PER_INSTALMENT and unit and unit.startswith(_MONTHLY_RATE_UNIT):
        return rate_bdt * MONTHS_PER_INSTALMENT[schedule.frequency]
    return None


@dataclass(frozen=True)
class ExpectedPayment:
    """The next payment as a programme's schedule foresees it, when none is scheduled."""

    cycle: str  # the month it is expected in, "YYYY-MM"
    amount_bdt: Decimal | None  # one instalment at the programme's rate, if it states one
    frequency: PaymentFrequency


def expected_payment(
    schedule: PaymentSchedule, rate_bdt: Decimal | None, unit: str | None, today: dt.date, last_cycle: str | None
) -> ExpectedPayment | None:
    """The payment the schedule expects next after ``last_cycle``, not before this month."""
    cycle = next_payment_cycle(schedule, cycle_of(today.year, today.month), last_cycle)
    if cycle is None:
        return None
    return ExpectedPayment(cycle, instalment_amount(schedule, rate_bdt, unit), schedule.frequency)
