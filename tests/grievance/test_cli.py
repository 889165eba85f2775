"""`flask --app wsgi grievance show|routes|act|sweep|escalate`."""

from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from tests.factories import make_citizen, make_filing


def _routed(session):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    return grievance


def test_show_prints_the_complaint_and_its_trail_without_full_nid(cli, session, no_dispatch):
    grievance = _routed(session)
    result = cli.invoke(args=["grievance", "show", grievance.tracking_number])
    assert result.exit_code == 0, result.output
    assert f"complaint {grievance.tracking_number}  routed  tier 1" in result.output
    assert "routed to MOSW (upazila), also FD" in result.output
    assert "- -> received  by citizen" in result.output and "received -> routed  by router" in result.output
    from registry.models import Citizen

    nid = session.get(Citizen, grievance.citizen_id).nid
    assert nid not in result.output and nid[-3:] in result.output


def test_show_refuses_a_mistyped_number(cli, session, no_dispatch):
    grievance = _routed(session)
    wrong = grievance.tracking_number[:-1] + str((int(grievance.tracking_number[-1]) + 1) % 10)
    result = cli.invoke(args=["grievance", "show", wrong])
    assert result.exit_code != 0 and "check digit" in result.output


def test_routes_lists_the_rules_in_force(cli, session):
    result = cli.invoke(args=["grievance", "routes", "--on", "2026-11-27"])
    assert result.exit_code == 0
    assert "programme OAA" in result.output and "ministry MOSW, office upazila" in result.output
    assert "category payment_not_received" in result.output and "also FD" in result.output


def test_act_moves_the_complaint_through_the_same_service(cli, session, no_dispatch):
    grievance = _routed(session)
    number = grievance.tracking_number
    assert cli.invoke(args=["grievance", "act", number, "acknowledge", "--by", "o@mosw"]).exit_code == 0
    refused = cli.invoke(args=["grievance", "act", number, "resolve", "--by", "o@mosw"])
    assert refused.exit_code != 0 and "needs a note" in refused.output
    moved = cli.invoke(
        args=["grievance", "act", number, "transfer", "--by", "o@mosw", "--to", "MOFOOD", "--note", "dealer issue"]
    )
    assert moved.exit_code == 0 and "is now routed" in moved.output
    session.refresh(grievance)
    assert grievance.ministry_code == "MOFOOD"
    done = cli.invoke(args=["grievance", "act", number, "resolve", "--by", "o@mofood", "--note", "rice given"])
    assert done.exit_code == 0 and "is now resolved" in done.output
    wrong = cli.invoke(args=["grievance", "act", number, "acknowledge", "--by", "o@mofood"])
    assert wrong.exit_code != 0 and "cannot become acknowledged" in wrong.output
