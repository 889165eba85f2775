"""Signals per outlet: what each food dealer or clinic redeemed, and the patterns in it that
suggest goods handed to someone other than the beneficiary (or to no one).

Dhaka time is UTC+6 all year: Bangladesh has kept no daylight saving since it ended the
2009 trial (the IANA time zone database, zone Asia/Dhaka, "+06" from 2010; the same fact
grievance.sla's DHAKA relies on). So a Dhaka hour is the UTC hour plus six, modulo 24, and
no date arithmetic is needed on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Select, and_, case, cast, func, literal, or_, select

from grievance.models import Grievance
from monitoring.sql import epoch_seconds, utc_hour
from registry.models import Citizen, District, Outlet, Redemption, RedemptionStatus, Upazila

DHAKA_UTC_OFFSET_HOURS = 6
NIGHT_STARTS = 22  # Dhaka hour, inclusive: 22:00 is night
NIGHT_ENDS = 6  # Dhaka hour, exclusive: 05:59 is night, 06:00 is not


@dataclass(frozen=True)
class BurstRule:
    """A burst is ``count`` completed redemptions at one outlet within ``minutes`` (the last
    less than ``minutes`` after the first). Each one needs the beneficiary present with a
    code sent to their phone, so a dealer honestly serving a queue completes a few in ten
    minutes; ten is a dealer typing codes it holds for absent people (or one phone's)."""

    count: int = 10
    minutes: int = 10

    def __post_init__(self) -> None:
        if self.count < 2 or self.minutes < 1:
            raise ValueError("a burst needs at least 2 redemptions and 1 minute")


def handed_over_at(redemption: Any = Redemption) -> Any:
    """When the goods changed hands: the code's entry (finished_at), else the start."""
    return func.coalesce(redemption.finished_at, redemption.started_at)


def dhaka_hour(moment: Any) -> Any:
    return (utc_hour(moment) + DHAKA_UTC_OFFSET_HOURS) % 24


def at_night(moment: Any) -> Any:
    hour = dhaka_hour(moment)
    return or_(hour >= NIGHT_STARTS, hour < NIGHT_ENDS)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _share(part: Any, whole: Any) -> Any:
    return cast(part, Float) / func.nullif(whole, 0)


def _disputed_redemptions() -> Any:
    """Redemptions a beneficiary complained about (the receipt's "not me", "2" to a code)."""
    return (
        select(Grievance.redemption_id.label("redemption_id"))
        .where(Grievance.redemption_id.is_not(None))
        .distinct()
        .subquery("disputed")
    )


def _bursts(rule: BurstRule) -> Any:
    """Per outlet and unit: completed redemptions that begin a burst, found with one window
    function (the redemption ``count - 1`` places later in time), not a self-join."""
    moment = handed_over_at()
    completed = (
        select(
            Redemption.outlet_id,
            Redemption.unit,
            epoch_seconds(moment).label("at"),
            func.lead(epoch_seconds(moment), rule.count - 1)
            .over(partition_by=(Redemption.outlet_id, Redemption.unit), order_by=(moment, Redemption.id))
            .label("later"),
        )
        .where(Redemption.status == RedemptionStatus.COMPLETED)
        .subquery("ordered")
    )
    return (
        select(completed.c.outlet_id, completed.c.unit, func.count().label("bursts"))
        .where(completed.c.later.is_not(None), completed.c.later - completed.c.at < rule.minutes * 60)
        .group_by(completed.c.outlet_id, completed.c.unit)
        .subquery("bursts")
    )


def outlet_signals(burst: BurstRule = BurstRule()) -> Select:
    """Per outlet and unit (an outlet serving rice and vouchers has a row for each):

    - ``redemptions``/``volume``: completed redemptions and the quantity handed over;
    - ``disputed``/``disputed_share``: those a beneficiary complained about, of the completed
      (a receipt the citizen disowns is the strongest sign of a code used without them);
    - ``wrong_codes``/``cancelled``: wrong codes typed and redemptions cancelled by three of
      them (an operator guessing codes for people who are not there);
    - ``night``: completed between 22:00 and 06:00 Dhaka time, when no dealer sells rice;
    - ``outside_upazila``: completed for beneficiaries registered in another upazila, who
      would have their own dealer nearer home;
    - ``bursts``: completed redemptions that begin a burst (``BurstRule``).

    Outlets with no redemption have a row of zeros (unit empty): a dealer with a licence
    and no hand-overs at all is a question too."""
    moment = handed_over_at()
    done = Redemption.status == RedemptionStatus.COMPLETED
    disputed = _disputed_redemptions()
    per_outlet = (
        select(
            Outlet.id.label("outlet_id"),
            Redemption.unit.label("unit"),
            _count(done).label("redemptions"),
            func.coalesce(func.sum(case((done, Redemption.quantity), else_=0)), 0).label("volume"),
            _count(and_(done, disputed.c.redemption_id.is_not(None))).label("disputed"),
            func.coalesce(func.sum(Redemption.wrong_codes), 0).label("wrong_codes"),
            _count(Redemption.status == RedemptionStatus.CANCELLED).label("cancelled"),
            _count(and_(done, at_night(moment))).label("night"),
            _count(and_(done, Citizen.upazila_id != Outlet.upazila_id)).label("outside_upazila"),
        )
        .select_from(Outlet)
        .outerjoin(Redemption, Redemption.outlet_id == Outlet.id)
        .outerjoin(Citizen, Citizen.id == Redemption.citizen_id)
        .outerjoin(disputed, disputed.c.redemption_id == Redemption.id)
        .group_by(Outlet.id, Redemption.unit)
        .subquery("per_outlet")
    )
    bursts = _bursts(burst)
    return (
        select(
            Outlet.code.label("outlet"),
            Outlet.name_en.label("name"),
            Outlet.kind.label("kind"),
            District.name_en.label("district"),
            Upazila.name_en.label("upazila"),
            func.coalesce(per_outlet.c.unit, literal("")).label("unit"),
            per_outlet.c.redemptions,
            per_outlet.c.volume,
            per_outlet.c.disputed,
            _share(per_outlet.c.disputed, per_outlet.c.redemptions).label("disputed_share"),
            per_outlet.c.wrong_codes,
            per_outlet.c.cancelled,
            per_outlet.c.night,
            per_outlet.c.outside_upazila,
            func.coalesce(bursts.c.bursts, 0).label("bursts"),
        )
        .join(Outlet, Outlet.id == per_outlet.c.outlet_id)
        .join(District, District.id == Outlet.district_id)
        .join(Upazila, Upazila.id == Outlet.upazila_id)
        .outerjoin(bursts, and_(bursts.c.outlet_id == per_outlet.c.outlet_id, bursts.c.unit == per_outlet.c.unit))
        .order_by(Outlet.code, per_outlet.c.unit)
    )


def outlet_redemptions(outlet_code: str) -> Select:
    """The drill-down: one outlet's redemptions with each flag, newest first (the caller
    masks the beneficiary's NID and phone before showing them)."""
    moment = handed_over_at()
    disputed = _disputed_redemptions()
    return (
        select(
            Redemption.id.label("redemption_id"),
            moment.label("at"),
            Redemption.status.label("status"),
            Redemption.programme_code.label("programme"),
            Redemption.quantity,
            Redemption.unit,
            Redemption.wrong_codes,
            Citizen.nid.label("nid"),
            Citizen.mobile.label("mobile"),
            at_night(moment).label("night"),
            (Citizen.upazila_id != Outlet.upazila_id).label("outside_upazila"),
            disputed.c.redemption_id.is_not(None).label("disputed"),
        )
        .join(Outlet, Outlet.id == Redemption.outlet_id)
        .join(Citizen, Citizen.id == Redemption.citizen_id)
        .outerjoin(disputed, disputed.c.redemption_id == Redemption.id)
        .where(Outlet.code == outlet_code)
        .order_by(moment.desc(), Redemption.id.desc())
    )
