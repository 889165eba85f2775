"""What each role may see and change. Every case query goes through ``visible``: a case
outside it is answered 404, whatever the URL or form says.

A complaint has a lead ministry (``ministry_code``) and may have an "also concerned" one
(``also_ministry_code``, e.g. the Finance Division for a payment failure). Staff of the
also-concerned ministry read the case under their own role's rules and may add notes; only
the lead ministry changes its status, because one office must answer for the outcome.

Sensitive complaints (a bribe demand) are never shown to an also-concerned ministry: the
lead ministry's redress officer handles them, and every extra office that reads the
complainant's name is one more place the accused may work.

Where an officer works. Routing sends a complaint to one office of its ministry
(``Grievance.office_level``): the upazila office of the complainant's upazila, the district
office (a programme run from the district, such as freedom fighters' honoraria), or the
ministry's redress officer. An officer may be limited to places, and each limit is an office:

- limited to districts: the district office, which oversees its upazila offices, so every
  tier-1 case filed in those districts, whatever office level it was routed to;
- limited to upazilas: those upazila offices, so the tier-1 cases of those upazilas routed
  to the upazila level; a case routed to the district office is the district's work, not
  its upazila officers' (they would answer for a decision their office does not take), and
  a case without an upazila reaches no upazila officer;
- limited to both: the listed districts wholly plus the upazila-level cases of the listed
  upazilas;
- not limited: every tier-1 case of the ministry, whatever its place and office level.

So a case routed to an upazila office reaches that upazila's officers, the officers of its
district and the ministry's unlimited officers, never a neighbouring upazila's; a case
routed to a district office reaches that district's officers and the unlimited ones. Nothing
notifies officers of a new case: reaching an officer means being in their queue, and the
queue, the CSV export, the case page and every action find cases through ``visible``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from grievance.models import Category, Grievance, OfficeLevel
from staff.models import Role, StaffUser

# Which categories are sensitive is the model's decision (Category.sensitive), not this module's.
SENSITIVE = tuple(category for category in Category if category.sensitive)
MINISTRY_ROLES = (Role.OFFICER, Role.GRO)


def visible(user: StaffUser) -> ColumnElement[bool]:
    """The cases ``user`` may open (monitoring: none; it sees aggregates only)."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.COORDINATOR:
        return Grievance.cluster_code == user.cluster_code
    if user.role in MINISTRY_ROLES:
        led = and_(Grievance.ministry_code == user.ministry_code, _role_cases(user, sensitive_too=True))
        also = and_(Grievance.also_ministry_code == user.ministry_code, _role_cases(user, sensitive_too=False))
        return or_(led, also)
    return false()


def _role_cases(user: StaffUser, sensitive_too: bool) -> ColumnElement[bool]:
    """Within a ministry: officers take tier 1 (in their places, if limited), redress
    officers the escalated cases and, in the lead ministry only, the sensitive ones."""
    if user.role is Role.GRO:
        if sensitive_too:
            return or_(Grievance.tier >= 2, Grievance.category.in_(SENSITIVE))
        return and_(Grievance.tier >= 2, Grievance.category.not_in(SENSITIVE))
    condition = and_(Grievance.tier == 1, Grievance.category.not_in(SENSITIVE))
    places = _officer_places(user)
    return condition if places is None else and_(condition, places)


def _officer_places(user: StaffUser) -> ColumnElement[bool] | None:
    """The cases an officer's place limits cover (see the module's docstring); None: no limit."""
    offices = []
    if user.district_ids:
        offices.append(Grievance.district_id.in_(user.district_ids))
    if user.upazila_ids:
        offices.append(
            and_(Grievance.upazila_id.in_(user.upazila_ids), Grievance.office_level == OfficeLevel.UPAZILA.value)
        )
    return or_(*offices) if offices else None


def may_act(user: StaffUser) -> bool:
    """Coordinators and monitoring read; officers, redress officers and admins act."""
    return user.role in (Role.OFFICER, Role.GRO, Role.ADMIN)


def leads(user: StaffUser, grievance: Grievance) -> bool:
    """Whether ``user`` works for the ministry answerable for ``grievance`` (admins: always)."""
    return user.role is Role.ADMIN or (user.role in MINISTRY_ROLES and grievance.ministry_code == user.ministry_code)


def may_change(user: StaffUser, grievance: Grievance) -> bool:
    """May acknowledge, resolve, reject, transfer or ask the citizen: the lead ministry only."""
    return may_act(user) and leads(user, grievance)


def also_concerned(user: StaffUser, grievance: Grievance) -> bool:
    """Whether ``user`` sees ``grievance`` only because their ministry is also concerned."""
    return (
        user.role in MINISTRY_ROLES
        and grievance.ministry_code != user.ministry_code
        and grievance.also_ministry_code == user.ministry_code
    )


def sees_cases(user: StaffUser) -> bool:
    return user.role is not Role.MONITORING
