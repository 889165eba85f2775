"""What each role may see. Every case query goes through ``visible``: a case outside it is
answered 404, whatever the URL or form says."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from grievance.models import Category, Grievance
from staff.models import Role, StaffUser

SENSITIVE = (Category.BRIBE_OR_HARASSMENT,)


def visible(user: StaffUser) -> ColumnElement[bool]:
    """The cases ``user`` may open (monitoring: none; it sees aggregates only)."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.COORDINATOR:
        return Grievance.cluster_code == user.cluster_code
    if user.role is Role.GRO:
        return and_(
            Grievance.ministry_code == user.ministry_code, or_(Grievance.tier >= 2, Grievance.category.in_(SENSITIVE))
        )
    if user.role is Role.OFFICER:
        condition = and_(
            Grievance.ministry_code == user.ministry_code, Grievance.tier == 1, Grievance.category.not_in(SENSITIVE)
        )
        if user.district_ids:
            condition = and_(condition, Grievance.district_id.in_(user.district_ids))
        return condition
    return false()


def may_act(user: StaffUser) -> bool:
    """Coordinators and monitoring read; officers, redress officers and admins act."""
    return user.role in (Role.OFFICER, Role.GRO, Role.ADMIN)


def sees_cases(user: StaffUser) -> bool:
    return user.role is not Role.MONITORING
