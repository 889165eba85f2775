import datetime as dt

import pytest
from sqlalchemy import select

from grievance.models import Category, OfficeLevel, RoutingRule
from grievance.routing import NoRoute, resolve

TODAY = dt.date(2026, 11, 27)


def test_programme_goes_to_its_lead_ministry_local_office(session):
    route = resolve(session, "FFP", Category.DEALER_MISCONDUCT, has_place=True, day=TODAY)
    assert (route.ministry_code, route.office_level, route.also_ministry_code) == ("MOFOOD", OfficeLevel.UPAZILA, None)
    assert route.cluster_code == "FS"


def test_payment_failure_also_goes_to_the_finance_division(session):
    route = resolve(session, "OAA", Category.PAYMENT_NOT_RECEIVED, has_place=True, day=TODAY)
    assert (route.ministry_code, route.also_ministry_code) == ("MOSW", "FD")


def test_sensitive_complaint_skips_the_local_office(session):
    route = resolve(session, "VWB", Category.BRIBE_OR_HARASSMENT, has_place=True, day=TODAY)
    assert (route.ministry_code, route.office_level) == ("MOWCA", OfficeLevel.MINISTRY_GRO)


def test_without_a_place_the_ministry_gro_takes_it(session):
    route = resolve(session, "OAA", Category.OTHER, has_place=False, day=TODAY)
    assert route.office_level is OfficeLevel.MINISTRY_GRO


def test_no_programme_uses_the_default_rule(session):
    assert resolve(session, None, Category.OTHER, has_place=True, day=TODAY).ministry_code == "MOSW"


def test_a_programme_that_moved_is_routed_by_the_date(session):
    """Routing is data: closing one rule and opening another moves a programme, no code change."""
    base = select(RoutingRule).where(RoutingRule.programme_code == "EGPP", RoutingRule.category.is_(None))
    old = session.scalar(base)
    old.effective_to = dt.date(2026, 12, 31)
    session.add(
        RoutingRule(
            programme_code="EGPP",
            ministry_code="MOSW",
            office_level=OfficeLevel.UPAZILA,
            effective_from=dt.date(2027, 1, 1),
            note="moved to MOSW",
        )
    )
    session.flush()
    try:
        assert resolve(session, "EGPP", Category.OTHER, True, dt.date(2026, 12, 31)).ministry_code == "MODMR"
        assert resolve(session, "EGPP", Category.OTHER, True, dt.date(2027, 1, 1)).ministry_code == "MOSW"
    finally:
        session.rollback()


def test_no_rule_at_all_is_an_error(session):
    with pytest.raises(NoRoute):
        resolve(session, "OAA", Category.OTHER, True, dt.date(1990, 1, 1))


def test_paid_less_goes_to_the_local_office(session):
    route = resolve(session, "OAA", Category.AMOUNT_SHORT, has_place=True, day=TODAY)
    assert (route.ministry_code, route.office_level, route.also_ministry_code) == ("MOSW", OfficeLevel.UPAZILA, None)


def test_a_sensitive_complaint_skips_the_local_office_whatever_the_rules_say(session):
    """A bribe rule closed by mistake, or one that names a local office and a second
    ministry, still leaves a bribe report with the lead ministry's redress officer alone."""
    rule = session.scalar(select(RoutingRule).where(RoutingRule.category == Category.BRIBE_OR_HARASSMENT))
    rule.office_level, rule.also_ministry_code = OfficeLevel.UPAZILA, "FD"
    session.flush()
    try:
        route = resolve(session, "OAA", Category.BRIBE_OR_HARASSMENT, has_place=True, day=TODAY)
        assert (route.ministry_code, route.office_level, route.also_ministry_code) == (
            "MOSW",
            OfficeLevel.MINISTRY_GRO,
            None,
        )
        assert route.reason.endswith("sensitive: never to the local office that may be accused")
    finally:
        session.rollback()
