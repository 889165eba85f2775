"""What each role may see and change. Every case query goes through ``visible``: a case
outside it is answered 404, whatever the URL or form says.

A complaint has a lead ministry (``ministry_code``) and may have an "also concerned" one
(``also_ministry_code``, e.g. the Finance Division for a payment failure). Staff of the
also-concerned ministry read the case under their own role's rules and may add notes; only
the lead ministry changes its status, because one office must answer for the outcome.

Sensitive complaints (a bribe demand) are never shown to an also-concerned ministry: the
lead ministry's redress officer handles them, and every extra office that reads the
complainant's name is one more place the accused may work."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from grievance.models import Category, Grievance
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
    """Within a ministry: officers take tier 1 (in their districts, if limited), redress
    officers the escalated cases and, in the lead ministry only, the sensitive ones."""
    if user.role is Role.GRO:
        if sensitive_too:
            return or_(Grievance.tier >= 2, Grievance.category.in_(SENSITIVE))
        return and_(Grievance.tier >= 2, Grievance.category.not_in(SENSITIVE))
    condition = and_(Grievance.tier == 1, Grievance.category.not_in(SENSITIVE))
    if user.district_ids:
        condition = and_(condition, Grievance.district_id.in_(user.district_ids))
    return condition


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
